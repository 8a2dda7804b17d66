"""Text as a voice should say it: numbers, times, units, money and abbreviations written out as words.

`speakable` runs just before synthesis, on the sentence the splitter cut; the window and the history
keep the sentence as written. Russian goes through ru-normalizr (it puts numbers in the right case
and gender: "21 яблоко" -> "двадцать одно яблоко"), with the few things it reads wrong fixed around
it here. English goes through `normalise_en`: Piper's espeak reads plain numbers itself and only
needs help with times, money, units, arithmetic and a few abbreviations.

ru-normalizr takes about 0.35 s to import (pymorphy3's dictionaries), so it is imported once, on
first use; `prepare` does that at start-up so the first turn does not pay for it.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Protocol

from engine.stages.base import SpokenLanguage
from engine.stages.tts.normalise_en import EQUATION, english, number_words

_LOG = logging.getLogger(__name__)

#: what a normaliser may change: a digit, a sign that is read as a word, a short lower-case word with
#: a period (an abbreviation: "т.е.", "г.", "Кв.", "e.g.", "Mr.") or a Roman numeral of centuries and
#: monarchs ("XX век"; not L, C, D, M: the library would also read "MIX" or the size "XL" as numbers)
_TRIGGER = re.compile(r"[\d%$€£₽№§+=×÷^°±<>*#&]|(?<![^\W\d_])(?:[^\W\d_]?[a-zа-яё]{1,4}\.|[IVX]+(?![^\W\d_]))")
_WORDS = re.compile(r"[\W_]+")

# hh:mm on its own (not part of hh:mm:ss, a ratio "10 : 2" or "2:30 часа", which the library reads)
_TIME = re.compile(r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:]|\s*час)")
# the word before a time that puts it in another case: "до 15:30" -> "до пятнадцати тридцати"
_TIME_CASE = re.compile(r"(?:^|[^\w])(?P<prep>с|со|от|до|после|около|к|ко)\s+$", re.IGNORECASE)
_PREP_CASE = {"к": "dative", "ко": "dative"}  # the others govern the genitive

# in an arithmetic expression with "=", "/" and " : " divide (the library reads "10/2" as the
# fraction "десять вторых"; "1/2" stays a fraction); "x" or "*" between numbers multiplies anywhere
_DIVIDE = re.compile(r"(?P<a>\d+|\))(?P<sign>\s*(?:/|\s:\s)\s*)(?=(?P<b>\d+)|\()")
_TIMES = re.compile(r"(?<=[\d)])\s*[*xXхХ×]\s*(?=[\d(])")
_PLUS_AFTER = re.compile(r"(?<=\d)\+(?=\s*(?:$|[^\d\s(]))")  # "18+"
_POUNDS = re.compile(r"£\s?(?P<n>\d+(?:[.,]\d+)?)")
_AFTER_FIX = (
    (re.compile(r"\bи пр\.", re.IGNORECASE), "и прочее."),
)


class _Normaliser(Protocol):
    def normalize(self, text: str) -> str: ...


def speakable(text: str, language: SpokenLanguage) -> str:
    """`text` as `language`'s voice should read it; unchanged (the same object) when nothing is to be said differently.

    Never raises and never turns speakable text into an empty string: on any failure the written
    text is spoken as it is.
    """
    if not text or not _TRIGGER.search(text):
        return text
    try:
        spoken = russian(text) if language == "ru" else english(text)
    except Exception:  # a normaliser bug must never cost the user the sentence
        _LOG.warning("could not normalise %r for speech; speaking it as written", text, exc_info=True)
        return text
    if not spoken.strip() or _WORDS.sub("", spoken) == _WORDS.sub("", text):
        return text  # nothing left to say, or only spacing and quotes changed: keep the original
    return spoken


def prepare() -> None:
    """Import the Russian normaliser and run it once (its first call builds caches), e.g. at start-up."""
    speakable("В 2024 г. 21 яблоко стоило 15 руб. в 15:30.", "ru")


def russian(text: str) -> str:
    """Russian `text` with numbers, dates, times, units and abbreviations as words (may raise)."""
    before = _prepare_russian(text)
    spoken = _russian_normaliser().normalize(before)
    for pattern, replacement in _AFTER_FIX:
        spoken = pattern.sub(replacement, spoken)
    if text[:1].strip():  # the library may leave a space where it removed a sign at the start
        spoken = spoken.lstrip()
    return spoken


@functools.cache
def _russian_normaliser() -> _Normaliser:
    from ru_normalizr import NormalizeOptions, Normalizer

    # "safe" mode plus arithmetic ("2+2=4"); the "tts" preset also capitalises ordinals, spells out
    # capitals ("ИИ") and transliterates Latin words, which the Russian voices do not need
    return Normalizer(NormalizeOptions(enable_math_normalization=True))


def _prepare_russian(text: str) -> str:
    """What ru-normalizr would read wrong, rewritten before it sees the text."""
    text = EQUATION.sub(lambda m: _DIVIDE.sub(_division, m.group(0)), text)
    text = _TIMES.sub(" × ", text)
    text = _PLUS_AFTER.sub(" плюс", text)
    text = _POUNDS.sub(lambda m: f"{m.group('n')} {_pounds(m.group('n'))}", text)
    source = text  # the case of each time depends on the word before it in this text

    def time_words(m: re.Match[str]) -> str:
        return russian_time(int(m.group("h")), int(m.group("m")), _time_case(source, m.start()))

    return _TIME.sub(time_words, source)


def _division(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if m.group("sign") == "/" and a.isdigit() and b and int(a) < int(b):
        return m.group(0)  # a proper fraction: "1/2" -> "одна вторая"
    return f"{a} ÷ "


def _time_case(text: str, start: int) -> str:
    found = _TIME_CASE.search(text[max(0, start - 12) : start])
    if found is None:
        return "nominative"
    return _PREP_CASE.get(found.group("prep").lower(), "genitive")


def russian_time(hour: int, minute: int, case: str = "nominative") -> str:
    """A clock time as said aloud: (15, 30) -> "пятнадцать тридцать"; genitive -> "пятнадцати тридцати".

    The library reads "15:30" as "пятнадцать, тридцать" (a pause in the middle) and "с 9:00" as "с
    девяти часов ноля минут"; this is how the time is said in conversation.
    """
    if hour == 0 and minute == 0:
        return "полночь" if case == "nominative" else "полуночи"
    hours = "час" if case == "nominative" and hour == 1 else number_words(hour, "ru", case=case)
    if minute == 0:
        return hours if case != "nominative" else f"{hours} ноль ноль"
    minutes = number_words(minute, "ru", case=case, gender="f")  # минута: "двадцать одна"
    return f"{hours} ноль {minutes}" if minute < 10 else f"{hours} {minutes}"


def _pounds(amount: str) -> str:
    if not amount.isdigit():
        return "фунта"  # a fraction counts in the genitive singular: "1,5 фунта"
    n = int(amount)
    if n % 10 == 1 and n % 100 != 11:
        return "фунт"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "фунта"
    return "фунтов"
