"""The denylist: words and phrases that never leave this machine, found in any case and inflection.

A phrase matches case-insensitively as written, and also word by word on dictionary forms
(pymorphy3's lemma of each Russian word; an English word's own lower case with a plural "s"),
so "Газпромбанк" on the list also catches "в Газпромбанке", and "проект Сирень" "о проекте Сирени".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from engine.privacy.names import morph
from engine.privacy.recognisers import Span

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_VOWELS = "аяоеёиыуюьй"


@lru_cache(maxsize=4096)
def lemma(word: str) -> str:
    """A word's dictionary form, lower case (Russian: pymorphy3's best parse; otherwise a plural "s" dropped)."""
    low = word.lower().replace("ё", "е")
    if _CYRILLIC.search(low):
        return str(morph().parse(low)[0].normal_form).replace("ё", "е")
    return low[:-1] if len(low) > 3 and low.endswith("s") and not low.endswith("ss") else low


def denylisted(text: str, denylist: Sequence[str]) -> list[Span]:
    """Every occurrence of a denylist phrase in `text` (as written, or by dictionary forms)."""
    phrases = [p.strip() for p in denylist if p.strip()]
    if not phrases:
        return []
    spans: list[Span] = []
    lowered = text.lower()
    for phrase in phrases:
        # whole words; a Russian phrase of 4+ letters by its stem and any ending ("Сирень" -> "Сирени")
        stem, ending = phrase.lower(), ""
        if _CYRILLIC.search(phrase) and len(phrase) >= 4:
            stem, ending = (stem[:-1] if stem[-1] in _VOWELS else stem), r"\w{0,3}"
        for m in re.finditer(rf"(?<!\w){re.escape(stem)}{ending}(?!\w)", lowered):
            spans.append(Span(m.start(), m.end(), "PRIVATE", m.group()))
    words = list(_WORD.finditer(text))
    lemmas = [lemma(w.group()) for w in words]
    for phrase in phrases:
        target = [lemma(w) for w in _WORD.findall(phrase)]
        if not target:
            continue
        n = len(target)
        for i in range(len(words) - n + 1):
            if lemmas[i : i + n] == target:
                start, end = words[i].start(), words[i + n - 1].end()
                spans.append(Span(start, end, "PRIVATE", lowered[start:end]))
    return spans
