"""What a personal question asks about, by topic, and whether a memory speaks of it (pure), RU and EN.

The vector gate lets a question in when something stored stands out, then the top few go to the
prompt; the small primary then answers from whatever it got ("What is my favourite food?" -> the
peanut allergy; "In which city was I born?" -> "I moved to Moscow"). A question that names one of
these topics is only answered by memories that speak of it. The table is deliberately short and its
evidence generous: a topic missing here filters nothing, and a memory wrongly dropped makes Sova say
it does not know, never invent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """A topic: asked about when the question matches every `asked` pattern; spoken of when `evidence` matches."""

    name: str
    asked: tuple[re.Pattern[str], ...]
    evidence: re.Pattern[str]


def _words(*stems: str) -> re.Pattern[str]:
    """Any of `stems` at a word start (each a regular expression over casefolded text, "ё" as "е")."""
    return re.compile(r"(?<!\w)(?:" + "|".join(stems) + ")")


_COLOUR = ("colou?r", "цвет")
#: colour names: "Какого цвета наша машина?" is answered by "синюю тойоту"
_COLOUR_NAMES = ("red", "orange", "yellow", "green", "blue", "purple", "violet", "pink", "brown", "black", "white",
                 "gr[ae]y", "gold", "silver", "красн", "оранжев", "желт", "зелен", "голуб", "фиолет", "розов",
                 "коричнев", "черн", "золот", "серебр", r"син(?:ий|яя|ее|юю|его|ей|ие|им|их)\b",
                 r"бел(?:ый|ая|ое|ую|ого|ой|ые|ых)\b", r"сер(?:ый|ая|ое|ую|ого|ой|ые|ых)\b")  # fmt: skip
_FOOD = ("food", "dish", "meal", "cuisine", "еда", "еду", "еды", "блюд", "кухн")
_DRINK = ("drink", "пь[юеи]", "пить", "напит")
_EDUCATION = ("school", "universit", "college", "studied", "study", "graduat", "школ", "универ", "институт",
              "вуз", "учил", "учусь", "окончил", "колледж", "техникум")  # fmt: skip
_PHONE = ("phone", "smartphone", "телефон", "смартфон")
_FILM = ("film", "movie", "cinema", "фильм", "кино")
_MUSIC = ("music", "song", "singer", "musician", "музык", "песн", "певец", "певиц", "исполнител")
_BOOK = ("book", "novel", "author", "writer", "книг", "роман", "писател", "автор")
_SPORT = ("sport", "спорт")
_PLACES = ("where", "city", "town", "country", "place", "откуда", "где", "город", "стран", "мест")

TOPICS: tuple[Topic, ...] = (
    Topic("favourite", (_words("favou?rite", "любим"),),
          _words("favou?rite", "love", "like", "prefer", "enjoy", "adore", "fan\\b", "любим", "люблю", "нрав",
                 "обожа", "предпочита")),
    Topic("colour", (_words(*_COLOUR),), _words(*_COLOUR, *_COLOUR_NAMES)),
    Topic("food", (_words(*_FOOD),),
          _words(*_FOOD, "eat", "cook", "breakfast", "lunch", "dinner", "allerg", "ем\\b", "ест\\b", "едим", "куша",
                 "готов", "завтрак", "обед", "ужин", "аллерг", "pizza", "пицц", "sushi", "суш", "pasta", "паст",
                 "борщ", "пельмен", "салат", "steak", "стейк", "burger", "бургер")),
    Topic("drink", (_words(*_DRINK),),
          _words(*_DRINK, "coffee", "tea\\b", "juice", "water", "beer", "wine", "milk", "кофе", "ча[йяюе]", "сок",
                 "вод[аыу]", "пив", "вин[оа]", "молок")),
    Topic("origin", (_words(*_PLACES), _words("born", "from", "родил", "родом", "birthplace", "hometown",
                                              "nationality", "национальн")),
          _words("born in", "born at", "birthplace", "hometown", "native", "(?:is|are|am|i'm|comes?) from",
                 "originally", "nationality", "citizen", "родил(?:ся|ась)? в", "родом", "уроженец", "уроженка",
                 "родн(?:ой|ом) город", "национальн", "гражданств")),
    # the user's own age: only a first-person statement of it ("ему три года" is the cat's)
    Topic("age", (_words("how old am i", "my age", "сколько мне лет", "мой возраст"),),
          _words("мне \\d+", "мне (?:\\w+ )?(?:лет|год)", "i'?m \\d+", "i am \\d+", "i'?m \\w+ years",
                 "i am \\w+ years", "my age", "мой возраст", "i was born", "я родил", "i turned", "мне исполнил")),
    # anyone else's age, birthday, breed, languages
    Topic("age_of", (_words("how old (?:is|are|was|will)", "сколько (?!мне\\b)(?:\\w+ )?лет", "возраст"),),
          _words("\\d+ ?(?:years?|лет|год)", "years? old", "age", "возраст", "лет\\b", "год(?:а|ик)?\\b", "born",
                 "родил", "turn", "исполн")),
    Topic("birthday", (_words("birthday", "(?:день|дня|дне|днем) рождени", "when (?:was|is|were) \\w+ born",
                              "когда (?:\\w+ )?родил"),),
          _words("birthday", "рожд", "born", "родил", "turn", "исполн")),
    Topic("breed", (_words("breed", "пород"),),
          _words("breed", "пород", "beagle", "бигл", "terrier", "терьер", "spaniel", "спаниел", "shepherd", "овчарк",
                 "retriever", "ретривер", "poodle", "пудел", "husky", "хаски", "corgi", "корги", "labrador",
                 "лабрадор", "siamese", "сиамск", "persian", "персидск", "british", "британск", "maine coon",
                 "мейн.кун", "sphynx", "сфинкс", "mongrel", "дворняж", "mixed")),
    Topic("language", (_words("languages?", "язык"),),
          _words("languages?", "язык", "speak", "говор", "english", "russian", "german", "french", "spanish",
                 "chinese", "англий", "русск", "немец", "француз", "испан", "китай", "по-\\w+")),
    Topic("season", (_words("seasons?", "время года", "времена года", "сезон"),),
          _words("seasons?", "summer", "winter", "autumn", "fall\\b", "spring", "сезон", "время года", "лет[оа]\\b",
                 "летом", "зим", "осен", "весн")),
    Topic("education", (_words(*_EDUCATION),), _words(*_EDUCATION, "degree", "student", "диплом", "студент",
                                                       "факультет")),
    Topic("film", (_words(*_FILM),), _words(*_FILM, "watch", "смотр", "series", "сериал", "actor", "актер")),
    Topic("music", (_words(*_MUSIC),), _words(*_MUSIC, "bands?\\b", "групп", "listen", "слуша", "concert", "концерт",
                                              "rock", "рок\\b", "jazz", "джаз", "rap\\b", "рэп")),
    Topic("book", (_words(*_BOOK),), _words(*_BOOK, "read", "чита")),
    Topic("sport", (_words(*_SPORT),), _words(*_SPORT, "football", "футбол", "hockey", "хокке", "tennis", "теннис",
                                              "swim", "плава", "run", "бега", "бег\\b", "gym", "yoga", "йог", "ski",
                                              "лыж", "cycl", "велосипед", "box", "бокс", "chess", "шахмат")),
    Topic("height", (_words("height", "how tall", "рост\\b", "роста"),),
          _words("tall", "height", "\\d+ ?cm", "\\d+ ?см", "рост")),
    Topic("weight", (_words("weight", "weigh", "вес\\b", "вешу", "весит"),),
          _words("weigh", "\\d+ ?kg", "\\d+ ?кг", "вес\\b", "вешу", "весит")),
    Topic("phone", (_words(*_PHONE),), _words(*_PHONE, "iphone", "айфон", "android", "андроид", "samsung",
                                              "самсунг", "xiaomi", "сяоми", "pixel")),
)  # fmt: skip


def fold(text: str) -> str:
    """`text` as the memory's word tables read it: casefolded, "ё" as "е", whitespace collapsed."""
    return " ".join(text.casefold().replace("ё", "е").split())


def topics_asked(question: str) -> tuple[Topic, ...]:
    """The topics `question` asks about ("Какой у меня любимый цвет?" -> favourite, colour)."""
    text = fold(question)
    return tuple(t for t in TOPICS if all(p.search(text) for p in t.asked))


def speaks_of(question: str, memory_text: str) -> bool:
    """Whether a memory speaks of every topic `question` asks about (True when it names none)."""
    text = fold(memory_text)
    return all(topic.evidence.search(text) for topic in topics_asked(question))
