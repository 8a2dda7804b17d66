"""Which language a piece of text is written in, by its script (Cyrillic -> ru, Latin -> en).

Pure functions. The decision leans towards Russian on mixed text on purpose: the Russian voice
reads an embedded Latin word ("Открой Firefox") tolerably, while the English voice cannot read
Cyrillic at all.
"""

from __future__ import annotations

import re
import unicodedata

from engine.stages.base import SpokenLanguage

#: share of Cyrillic among all letters from which a text counts as Russian
CYRILLIC_SHARE_FOR_RU = 0.3

_SPACE_SPLIT = re.compile(r"(\s+)")


def _is_cyrillic(ch: str) -> bool:
    # Cyrillic (U+0400-04FF) and Cyrillic Supplement (U+0500-052F): Russian, Ukrainian, Belarusian...
    return "\u0400" <= ch <= "\u052f"


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


def script_counts(text: str) -> tuple[int, int]:
    """(Cyrillic letters, Latin letters) in `text`; digits, punctuation and other scripts ignored."""
    cyrillic = latin = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if _is_cyrillic(ch):
            cyrillic += 1
        elif _is_latin(ch):
            latin += 1
    return cyrillic, latin


def detect_language(text: str) -> SpokenLanguage | None:
    """Return "ru" or "en" by script; None when `text` has no Cyrillic or Latin letter (e.g. "123!")."""
    cyrillic, latin = script_counts(text)
    total = cyrillic + latin
    if total == 0:
        return None
    return "ru" if cyrillic / total >= CYRILLIC_SHARE_FOR_RU else "en"


def split_by_language(text: str) -> list[tuple[SpokenLanguage | None, str]]:
    """Cut `text` into runs of words of one language, in order; joined, the runs give `text` back.

    Words without letters (numbers, punctuation) join the run around them. A text with no letters
    at all is one run with language None; blank text gives no runs.
    """
    if not text.strip():
        return []
    runs: list[tuple[SpokenLanguage | None, str]] = []
    pending = ""  # leading pieces that wait for the first word with letters
    for piece in _SPACE_SPLIT.split(text):
        lang = detect_language(piece) if piece and not piece.isspace() else None
        if lang is None or (runs and runs[-1][0] == lang):
            if runs:
                runs[-1] = (runs[-1][0], runs[-1][1] + piece)
            else:
                pending += piece
            continue
        runs.append((lang, pending + piece))
        pending = ""
    if not runs:
        return [(None, text)]
    return runs
