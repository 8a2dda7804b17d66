"""Word error rate: word-level edit distance over the reference's word count, after light normalisation.

Both texts are lower-cased, "ё" is read as "е" (Russian writes it either way), and anything that is
not a letter or a digit separates words, so punctuation, stress marks and hyphens never count as
errors: "Кто-то пришёл." and "кто то пришел" are the same three words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_NOT_A_WORD = re.compile(r"[\W_]+")


def words(text: str) -> list[str]:
    """The words of `text` as they are compared: lower case, no punctuation, ё as е."""
    return _NOT_A_WORD.sub(" ", text.lower().replace("ё", "е")).split()


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Fewest substitutions, deletions and insertions that turn `reference` into `hypothesis`."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, words in the reference): sum these over a corpus for its WER."""
    ref = words(reference)
    return edit_distance(ref, words(hypothesis)), len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word errors per reference word (0.0 is perfect; above 1.0 when much is inserted).

    An empty reference gives 0.0 when nothing was heard, else the number of words heard.
    """
    errors, count = word_errors(reference, hypothesis)
    return errors / max(count, 1)


def corpus_word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """WER over many (reference, hypothesis) pairs: all errors over all reference words."""
    errors = count = 0
    for reference, hypothesis in pairs:
        e, n = word_errors(reference, hypothesis)
        errors, count = errors + e, count + n
    return errors / max(count, 1)
