"""Who or what a text is about, by words (pure): the user's relations, pets and things, RU and EN.

Two users of one table: the writer believes a subject such as "sister.name" only when the quote
mentions a sister (the small extractor filed a brother's job under it), and recall answers "What is
my mother's name?" only from memories that mention a mother. Each entry is a regular expression
matched at a word start, case-insensitively, with "ё" read as "е".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from engine.memory.topics import fold, topics_asked

#: relation heads -> the words for them
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "sister": ("sister", "сестр", "сестер"),
    "brother": ("brother", "брат"),
    "wife": ("wife", "wives", r"жен(а|у|ы|е|ой)\b"),
    "husband": ("husband", "муж(а|у|ем|е)?\\b"),
    "mother": ("mother", r"mom\b", r"mum\b", "мам", r"мать\b", "матер"),
    "father": ("father", r"dad\b", "пап", "отец", "отц"),
    "grandmother": ("grandm", "granny", "grandma", "бабушк", "бабул"),
    "grandfather": ("grandf", "grandpa", "дедушк", r"дед(а|у|ом|е)?\b"),
    "parents": ("parent", "родител"),
    "children": ("child", "kids?\\b", r"sons?\b", "daughter", r"дет(и|ей|ям|ьми|ях)\b", "ребен", "сын", "доч"),
    "uncle": ("uncle", "дяд"),
    "aunt": (r"aunts?\b", r"тет(я|и|е|ю|ей|ушк)"),
    "cousin": ("cousin", "кузен", "кузин", "двоюродн"),
    "friend": (r"friends?\b", r"друг(а|у|ом|е|ья|ей|ьям|ьями|ьях)?\b", "подруг"),
    "colleague": ("colleague", "coworker", "co-worker", "коллег", "сослуживц"),
    "neighbour": ("neighbou?r", "сосед"),
    "boss": (r"boss", "manager", "начальни", "руководител", "шеф"),
    "son": (r"sons?\b", "сын"),
    "daughter": ("daughter", "доч"),
    "dog": (r"dogs?\b", "pupp", "собак", "пёс", r"пс(а|у|ом)\b", "щен"),
    "cat": (r"cats?\b", "kitt", "кот(а|у|ом|е|ы|ик)?\\b", "кош"),
    "pet": (r"pets?\b", r"dogs?\b", r"cats?\b", "pupp", "kitt", "питом", "собак", "пёс", "кот(а|у|ом|е|ы|ик)?\\b",
            "кош", "щен", "попуга", "хомяк"),
    "car": (r"cars?\b", "машин", "автомоб"),
    "band": (r"bands?\b", r"групп"),
}
#: attributes of the user -> the words for them
ATTRIBUTE_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "call", "зовут", "звать", "имя", "имени"),
    "home_city": ("live", "living", "move", "city", "town", "жив", "переех", "город", "поселил"),
    "job": ("work", "job", "profession", "occupation", "employ", "работ", "профес", "служ", "тружус"),
    "birthday": ("birthday", "born", "рожд", "родил"),
}


@functools.cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(fold(word) for word in words) + ")")


def mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether `text` has one of `words` at a word start."""
    return bool(_pattern(words).search(fold(text)))


def relations_in(text: str) -> set[str]:
    """The relation heads `text` mentions ("my sister's dog" -> {"sister", "dog", "pet"})."""
    folded = fold(text)
    return {head for head, words in RELATION_WORDS.items() if _pattern(words).search(folded)}


def answer_filter(question: str) -> Callable[[str], bool]:
    """`can_answer` for one question, read once: a test of memory texts (recall runs it on every candidate)."""
    needed = [_pattern(RELATION_WORDS[head]) for head in relations_in(question)]
    needed += [topic.evidence for topic in topics_asked(question)]
    return lambda memory_text: all(p.search(fold(memory_text)) for p in needed)


def can_answer(question: str, memory_text: str) -> bool:
    """Whether a memory may answer `question` by whom and what it is about.

    It names every relation the question names, and speaks of every topic it asks about (engine/memory/topics.py):

    "Как зовут мою маму?" is not answered by "Моя жена Марина — архитектор", however close their vectors, nor
    "What is my favourite food?" by "I'm allergic to peanuts".
    """
    return answer_filter(question)(memory_text)
