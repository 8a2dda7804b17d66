"""Person names: natasha's Russian NER (checked against pymorphy3) and an offline English recogniser.

Russian: natasha's PER spans, trimmed of words that are no part of a name (it reads "Позвони Маше"
as one name: "Позвони" is a verb, dropped), plus single words pymorphy3 is sure are a given name,
patronymic or surname (score >= 0.9), which catches lower-case STT output ("скажи андрею").
English: `engine.privacy.names_en` (a list of given names, titles, the surname after them).
The models load once, on first use (natasha ~1.6 s, pymorphy3 ~0.1 s on this machine).
"""

from __future__ import annotations

import re
import sys
import threading
from functools import cache
from typing import Any

from engine.privacy.names_en import AMBIGUOUS, GIVEN_NAMES, NOT_SURNAMES, TITLES
from engine.privacy.recognisers import Span

_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
#: parts of speech a word of a name never has (natasha sometimes takes in the verb before a name)
_NOT_NAME_POS = frozenset({"VERB", "INFN", "PRTF", "PRTS", "GRND", "ADVB", "PREP", "CONJ", "PRCL", "INTJ", "NPRO"})
_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)?")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_lock = threading.Lock()


@cache
def morph() -> Any:
    """The shared pymorphy3 analyser (Russian dictionary forms and grammemes), loaded once."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def _natasha() -> tuple[Any, Any]:
    import pymorphy3

    # natasha imports pymorphy2, which breaks on setuptools >= 81; pymorphy3 is its maintained fork
    sys.modules.setdefault("pymorphy2", pymorphy3)
    from natasha import NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding())


def warm_up() -> None:
    """Load the Russian models now (they otherwise load on the first Russian text)."""
    morph()
    _natasha()


def _is_name_word(word: str) -> bool:
    parses = morph().parse(word)
    if any(_NAME_TAGS & p.tag.grammemes for p in parses):
        return True
    best = parses[0]
    return not (morph().word_is_known(word) and (best.tag.POS in _NOT_NAME_POS or best.tag.POS is None))


def _sure_name(word: str) -> bool:
    best = morph().parse(word)[0]
    return bool(_NAME_TAGS & best.tag.grammemes) and best.score >= 0.9


def russian_names(text: str) -> list[Span]:
    """Person names in Russian text."""
    if not _CYRILLIC_WORD.search(text):
        return []
    from natasha import Doc

    segmenter, tagger = _natasha()
    doc = Doc(text)
    with _lock:  # the tagger is not documented as thread-safe
        doc.segment(segmenter)
        doc.tag_ner(tagger)
    spans: list[Span] = []
    for ner in doc.spans:
        if ner.type != "PER":
            continue
        words = [m for m in _CYRILLIC_WORD.finditer(text, ner.start, ner.stop) if _is_name_word(m.group())]
        if words:
            spans.append(_person(text, words[0].start(), words[-1].end()))
    for m in _CYRILLIC_WORD.finditer(text):
        if not any(s.start <= m.start() < s.end for s in spans) and _sure_name(m.group()):
            spans.append(_person(text, m.start(), m.end()))
    return spans


def english_names(text: str) -> list[Span]:
    """Person names in English text (given names, titled names, with their surname)."""
    words = list(_LATIN_WORD.finditer(text))
    spans: list[Span] = []
    i = 0
    while i < len(words):
        word = words[i].group().removesuffix("'s")
        low = word.lower()
        prev = words[i - 1].group().lower() if i else ""
        titled = prev.rstrip(".") in TITLES or prev == "named" or (prev == "is" and _before(words, i - 1) == "name")
        end = _surname_end(text, words, i)
        if word[0].isupper() and (
            (low in GIVEN_NAMES and low not in AMBIGUOUS and low not in NOT_SURNAMES)
            or (titled and low not in NOT_SURNAMES)
            or (low in AMBIGUOUS and end > i and not _sentence_start(text, words[i].start()))
        ):
            spans.append(_person(text, words[i].start(), words[end].end()))
            i = end + 1
            continue
        i += 1
    return spans


def _before(words: list[re.Match[str]], i: int) -> str:
    return words[i - 1].group().lower() if i > 0 else ""


def _surname_end(text: str, words: list[re.Match[str]], i: int) -> int:
    """The index of the last word of the name starting at word `i` (one capitalised surname at most)."""
    if i + 1 < len(words):
        nxt = words[i + 1]
        gap = text[words[i].end() : nxt.start()]
        if gap == " " and nxt.group()[0].isupper() and nxt.group().lower() not in NOT_SURNAMES:
            return i + 1
    return i


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return not before or before[-1] in ".!?:\n\"«"


def _person(text: str, start: int, end: int) -> Span:
    # the possessive "'s" is no part of the name
    if text[start:end].lower().endswith("'s"):
        end -= 2
    return Span(start, end, "PERSON", text[start:end].lower())
