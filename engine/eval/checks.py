"""Pure checks of a reply's text: the persona's rules, abstention, an adapted tone, expected facts.

The persona (resources/personas/default/*.md) asks for one or two plain sentences, in the reply's
language, without markdown, lists or emoji, with numbers as digits. Each rule is a function of the
reply alone, so it is tested by tables and costs nothing at run time; the judge is used only where a
rule needs judgement (relevance).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

MAX_SENTENCES = 3  # "one or two sentences": one over is tolerated (a short closing question)
MAX_WORDS = 60

_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")
_MARKUP = re.compile(
    r"(\*\*|__|`|^\s{0,3}#{1,6}\s|^\s*[-*•]\s|^\s*\d+[.)]\s|\[[^\]]*\]\([^)]*\)|^\s*>\s|\|.*\|)", re.MULTILINE
)
_EMOJI = re.compile("[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\ufe0f]")
_NUMBER_WORDS = {
    "en": r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand)\b",
    "ru": r"\b(два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|двадцать|тридцать|сто|тысяча)\b",
}


def sentences(text: str) -> list[str]:
    """The text's sentences (split after . ! ? … followed by a space or the end)."""
    parts = _SENTENCE_END.split(text.strip())
    return [p.strip() for p in parts if p.strip()]


def is_short(text: str) -> bool:
    """At most MAX_SENTENCES sentences and MAX_WORDS words (a spoken reply)."""
    return bool(text.strip()) and len(sentences(text)) <= MAX_SENTENCES and len(text.split()) <= MAX_WORDS


def script_share(text: str) -> tuple[float, float]:
    """(Cyrillic share, Latin share) of the letters in `text`."""
    cyr = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    lat = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    letters = cyr + lat
    if letters == 0:
        return 0.0, 0.0
    return cyr / letters, lat / letters


def in_language(text: str, language: str) -> bool:
    """Mostly written in `language`'s script (names and terms in the other script are tolerated)."""
    cyr, lat = script_share(text)
    if language == "ru":
        return cyr >= 0.6
    return lat >= 0.9


def is_plain_text(text: str) -> bool:
    """No markdown: no emphasis, headings, list items, code, links, quotes or tables."""
    return _MARKUP.search(text) is None


def has_no_emoji(text: str) -> bool:
    """No emoji or pictographs."""
    return _EMOJI.search(text) is None


def numbers_as_digits(text: str, language: str) -> bool:
    """Numbers written as digits, not words ("one"/"один" are tolerated: they are often not numbers)."""
    pattern = _NUMBER_WORDS.get(language)
    return pattern is None or re.search(pattern, text, re.IGNORECASE) is None


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def not_an_echo(text: str, prompt: str) -> bool:
    """The reply does not repeat the user's words back (a small model's failure that passes other checks)."""
    said = _words(prompt)
    return not said or said not in _words(text)


PersonaCheck = Literal["short", "language", "plain_text", "no_emoji", "digits"]


def persona_checks(
    text: str, language: str, checks: Sequence[str], *, truncated: bool = False, prompt: str = ""
) -> dict[str, bool]:
    """Each requested check's verdict on `text` (see PERSONA_CHECKS in engine/eval/scenarios.py).

    `truncated`: the reply ran into the eval's token cap, so it was not short whatever is left of it.
    `prompt`: when given, a reply that repeats it back fails every check (it is not a reply).
    """
    if prompt and not not_an_echo(text, prompt):
        return dict.fromkeys(checks, False)
    table = {
        "short": lambda: is_short(text) and not truncated,
        "language": lambda: in_language(text, language),
        "plain_text": lambda: is_plain_text(text),
        "no_emoji": lambda: has_no_emoji(text),
        "digits": lambda: numbers_as_digits(text, language),
    }
    return {check: table[check]() for check in checks}


def persona_score(verdicts: Mapping[str, bool]) -> float:
    """The share of checks passed (0-1)."""
    return sum(verdicts.values()) / len(verdicts) if verdicts else 0.0


#: phrases that say "I don't know / you never told me" (lower-case, matched as substrings)
ABSTENTION_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "i don't know", "i do not know", "i don't have", "i do not have", "you haven't told", "you have not told",
        "you didn't tell", "you did not tell", "you haven't mentioned", "you have not mentioned",
        "you didn't mention", "i'm not sure", "i am not sure", "no information", "not aware", "i can't know",
        "i cannot know", "i don't remember", "i do not remember", "i have no way", "no record", "not sure",
        "i can't say", "i cannot say", "unknown to me", "i don't recall", "haven't shared", "didn't share",
        "i'm sorry, but i", "could you tell me", "can you tell me", "i can't access", "i cannot access",
        "don't have access", "do not have access", "don't have any", "not something i know",
    ),
    "ru": (
        "не знаю", "не могу знать", "не помню", "вы не говорили", "ты не говорил", "вы не упоминали",
        "ты не упоминал", "вы не рассказывали", "ты не рассказывал", "нет информации", "нет данных",
        "не располагаю", "мне неизвестно", "мне не известно", "не уверен", "не уверена", "у меня нет",
        "не могу сказать", "не могу ответить", "не знаю этого", "не сообщали", "не сказал", "не сказали",
        "не имею доступа", "нет доступа", "подскажите", "расскажите мне", "скажи мне", "скажите мне",
        "к сожалению, я не", "не могу помочь с этим",
    ),
}  # fmt: skip


def abstains(text: str, language: str | None = None) -> bool:
    """Whether the reply declines to state a fact it cannot know (RU and EN phrases).

    The memory suite's detector (issue 10) is asked too when it exists: one notion of abstention.
    """
    lowered = text.lower().replace("’", "'")
    languages = (language,) if language in ABSTENTION_PHRASES else tuple(ABSTENTION_PHRASES)
    if any(phrase in lowered for lang in languages for phrase in ABSTENTION_PHRASES[lang]):
        return True
    try:
        from engine.eval.memory_suite import is_abstention
    except ImportError:
        return False
    return bool(is_abstention(text))


def mentions_any(text: str, expected: Sequence[str]) -> bool:
    """Whether the reply contains one of the expected words (case-insensitive); True when none are given."""
    lowered = text.lower()
    return not expected or any(word.lower() in lowered for word in expected)


#: words of care and sympathy: a reply that uses one has adapted its tone to a sad or anxious user
EMPATHY_MARKERS: dict[str, tuple[str, ...]] = {
    "en": (
        "sorry", "i'm here", "i am here", "that sounds", "must be", "understand", "hard", "difficult", "tough",
        "painful", "take care", "take your time", "feel", "heartbreaking", "condolence", "it's okay", "it's ok",
        "don't worry", "breathe", "support", "glad", "congratulations", "wonderful", "great news", "happy for you",
    ),
    "ru": (
        "сочувств", "жаль", "понимаю", "тяжело", "трудно", "больно", "я рядом", "береги", "не переживай",
        "не волнуй", "успокой", "подыш", "поддерж", "соболезн", "мне очень", "чувству", "рада за", "рад за",
        "поздравля", "замечательн", "отлично",
    ),
}  # fmt: skip


def adapted_tone(text: str, language: str | None = None) -> bool:
    """Whether the reply acknowledges the user's feelings (a word of care, sympathy or shared joy)."""
    lowered = text.lower().replace("’", "'")
    languages = (language,) if language in EMPATHY_MARKERS else tuple(EMPATHY_MARKERS)
    return any(marker in lowered for lang in languages for marker in EMPATHY_MARKERS[lang])
