"""The word error rate of the speech benchmarks."""

from __future__ import annotations

import pytest

from engine.bench.wer import corpus_word_error_rate, edit_distance, word_error_rate, words


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("he was not an ill disposed young man", "He was not an ill-disposed young man.", 0.0),
        ("Кто-то пришёл.", "кто то пришел", 0.0),  # hyphens, ё and punctuation are not errors
        ("вол+ос", "волос", 1.0),  # "+" splits words: strip festvox's stress marks before comparing
        ("one two three four", "one two four", 0.25),  # a deletion
        ("one two three four", "one two three four five", 0.25),  # an insertion
        ("one two three four", "one too three four", 0.25),  # a substitution
        ("one two", "", 1.0),  # nothing heard
        ("one", "one two three", 2.0),  # insertions can pass 100%
        ("", "", 0.0),
        ("", "hello there", 2.0),  # an empty reference: the words heard are all errors
        ("Сколько будет два плюс два?", "сколько будет 2 + 2", 0.6),  # digits and signs are not words
    ],
)
def test_word_error_rate(reference: str, hypothesis: str, expected: float) -> None:
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ([], [], 0),
        (["a"], [], 1),
        ([], ["a", "b"], 2),
        (["a", "b", "c"], ["c", "b", "a"], 2),
        (["a", "b", "c", "d"], ["b", "c", "d", "e"], 2),
    ],
)
def test_edit_distance(reference: list[str], hypothesis: list[str], expected: int) -> None:
    assert edit_distance(reference, hypothesis) == expected


def test_words() -> None:
    assert words("Ёлка, ЁЖ — и «ещё»!") == ["елка", "еж", "и", "еще"]
    assert words("don't stop_now") == ["don", "t", "stop", "now"]


def test_corpus_wer_weights_by_reference_words() -> None:
    # 1 error in 1 word and 0 in 9 words: 1/10 over the corpus, not the mean of 100% and 0%
    pairs = [("one", "two"), ("a b c d e f g h i", "a b c d e f g h i")]
    assert corpus_word_error_rate(pairs) == pytest.approx(0.1)
    assert corpus_word_error_rate([]) == 0.0
