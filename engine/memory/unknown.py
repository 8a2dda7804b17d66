"""Questions for a fact about the user that nothing stored answers: Sova says it does not know (pure).

The small primary invents a personal fact when it has none, even when the prompt's note says nothing
is stored and it may say it does not know ("Моя мама зовут Софи.", "I was born in New York City.";
docs/memory.md, "Measured"). So a question that asks for one of the user's own facts ("What is my
mother's name?", "Где я учился?") with no memory that fits it, and nothing in this conversation that
could answer it, gets a fixed reply in the reply language instead of the model's.

The table is narrow on purpose: advice and requests ("What should I cook for my mother?", "Где мне
купить билет?"), questions about this conversation ("What did I just say?") and the tools' questions
still go to the model. A wrong "I don't know" there would be worse than the invention it prevents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.memory.relations import relations_in
from engine.memory.topics import fold

#: the fixed replies, by reply language
DONT_KNOW = {
    "en": "I don't know: you haven't told me that yet. Tell me, and I'll remember.",
    "ru": "Не знаю: вы мне об этом ещё не рассказывали. Расскажете — запомню.",
}

_EN_WH = r"^(?:(?:in|at|from|on|to|for|with|by) )?(?:what|which|who|whom|whose|where|when|how old|how many|how much)\b"
#: verbs of the user's own life: "where do I live", "which university did I go to", "when was I born"
_EN_LIFE = (
    r"live|lived|work|worked|study|studied|go|went|attend|attended|come|grow|grew|move|moved|play|drink|like|love|"
    r"prefer|hate|dislike|own|drive|speak|have|do|support|listen|collect|born|from|allergic|afraid|married|called|"
    r"named|graduate|graduated|meet|met|visit|visited|travel|travelled|traveled|celebrate|keep|wear|use"
)
_EN = (
    re.compile(_EN_WH + r"[^?]*?\b(?:is|are|was|were) my\b"),
    re.compile(_EN_WH + rf"[^?]*?\b(?:do|did|does|am|was|were|have|had) i (?:\w+ )?(?:{_EN_LIFE})\b"),
    re.compile(_EN_WH + rf"[^?]*?\b(?:do|did|does) my (?:\w+(?:'s)? ){{1,2}}(?:{_EN_LIFE})\b"),
    re.compile(r"^(?:how old am i|where am i from|who am i)$"),
    re.compile(r"^(?:do|did) you (?:know|remember) "
               r"(?:my\b|(?:what|where|when|who|which|how old|how many) (?:is |are )?(?:i|my)\b)"),
)  # fmt: skip
_EN_NOT = re.compile(
    r"\b(?:should|could|can|would|might|must|need|want|ought|recommend|suggest|ideas?|good|better|tips?|help|"
    r"have to|had to|tell you|told you|say|said|ask|asked|mention|mentioned|just|today|tonight|tomorrow|now)\b"
)

_RU_MINE = r"(?:я|мне|меня|у меня|мой|моя|мое|мои|моего|моей|моему|моим|моих|мою)"
_RU = (
    re.compile(r"как (?:же )?(?:меня|моего|мою|мое|моих|моей|моему) (?:\w+ )?(?:зовут|звали)"),
    re.compile(r"как (?:зовут|звали) (?:\w+ )?(?:меня|моего|мою|моих|моей|моему)\b"),  # "как зовут мужа моей сестры"
    re.compile(r"^(?:как|какое) (?:у меня |мое )?имя\b|^(?:как|какое) мое имя\b"),
    re.compile(r"^(?:(?:в|на|с|из|за|о|об|во|до|к|от|по|у) )?"
               r"(?:какой|какая|какое|какие|каков|какова|какую|какого|каком|"
               rf"кто|где|когда|откуда|куда|сколько|чем|что|чей|чья|чье|чьи|кем|ком|кого)\b[^?]*?(?<!\w){_RU_MINE}(?!\w)"),
)  # fmt: skip
_RU_NOT = re.compile(
    r"(?<!\w)(?:должен|должна|лучше|стоит|посовету\w*|подскажи\w*|можно|нужно|надо|могу|можешь|мог|могла|сможешь|"
    r"следует|хочу|хотел\w*|сказал\w*|говорил\w*|спрашивал\w*|рассказывал\w*|упоминал\w*|только что|сегодня|"
    r"завтра|сейчас|думаешь|советуешь|ты|тебя|тебе)(?!\w)"
    r"|(?<!\w)мне \w+(?:ть|ти|чь)(?:ся)?(?!\w)"  # "что мне приготовить": advice
    r"|(?<!\w)\w+(?:и|й|те) мне(?!\w)"  # "скажи мне", "объясни мне": a request
)


#: what a spoken question may start with before it asks: "Сова, а где я учился?", "Hey Sova, what's my name?"
_LEAD = re.compile(r"^(?:(?:а|ну|и|так|слушай|скажи|эй|привет|so|and|well|ok|okay|hey|hi|tell me|sova|сова)[ ,]+)+")


def _fold(text: str) -> str:
    flat = fold(text.replace("’", "'"))
    flat = re.sub(r"\b(what|who|where|when|how)'s\b", r"\1 is", flat)
    flat = re.sub(r"\bwhats\b", "what is", flat).strip(" .!,?")
    return _LEAD.sub("", flat)


def asks_personal_fact(question: str) -> bool:
    """Whether `question` asks for a fact of the user's own life that only the user could have told."""
    text = _fold(question)
    if not text:
        return False
    if any(p.search(text) for p in _EN):
        return not _EN_NOT.search(text)
    if any(p.search(text) for p in _RU):
        return not _RU_NOT.search(text)
    return False


#: question words that say nothing about the subject
_STOP = frozenset((
    "what", "which", "where", "when", "whom", "whose", "does", "have", "your", "mine", "many", "much", "about",
    "know", "remember", "tell", "какой", "какая", "какое", "какие", "каков", "какова", "какую", "какого", "каком",
    "когда", "откуда", "куда", "сколько", "меня", "моего", "моей", "моему", "моим", "моих", "мою",
))  # fmt: skip


def told_before(question: str, earlier: Iterable[str]) -> bool:
    """Whether any of the user's `earlier` words in this conversation might answer `question`.

    Generous on purpose (a relation, or a content word's first five letters, in common): then the model,
    which sees this conversation, answers rather than the fixed reply.
    """
    folded = _fold(question)
    stems = {w[:5] for w in re.findall(r"\w{4,}", folded) if w not in _STOP}
    relations = relations_in(question)
    for text in earlier:
        words = _fold(text)
        if relations & relations_in(text) or any(re.search(rf"(?<!\w){re.escape(s)}", words) for s in stems):
            return True
    return False


def dont_know(language: str) -> str:
    """The fixed reply in `language` (English for any other)."""
    return DONT_KNOW.get(language, DONT_KNOW["en"])
