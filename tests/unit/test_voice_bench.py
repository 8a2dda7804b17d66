"""The round-trip score of `python -m engine.bench.voices`: word error rate, tested by a table."""

from __future__ import annotations

import pytest

from engine.bench.voices import SENTENCES, word_error_rate, word_errors, words


@pytest.mark.parametrize(
    ("reference", "hypothesis", "language", "errors"),
    [
        ("Сколько стоит билет?", "сколько стоит билет", None, 0),  # case and punctuation do not count
        ("Ёлка живёт", "елка живет", None, 0),  # ё written as е
        ("кошка спит на диване", "кошка спит на диван", None, 1),  # a substitution
        ("кошка спит на диване", "кошка на диване", None, 1),  # a deletion
        ("кошка спит", "кошка не спит", None, 1),  # an insertion
        ("кошка спит", "", None, 2),
        ("", "шум", None, 1),
        ("в семь часов", "в 7 часов", None, 1),  # digits are errors unless the language is given
        ("в семь часов", "в 7 часов", "ru", 0),
        ("через двадцать минут", "через 20 минут", "ru", 0),
        ("за одну неделю", "за 1 неделю", "ru", 1),  # the plain cardinal only: "один" is not "одну"
        ("thirty three floors", "33 floors", "en", 0),
        ("don't forget", "dont forget", None, 1),
        ("Москва-Петербург", "москва петербург", None, 0),
    ],
)
def test_word_errors(reference: str, hypothesis: str, language: str | None, errors: int) -> None:
    assert word_errors(reference, hypothesis, language) == errors


def test_word_error_rate_is_errors_over_all_reference_words() -> None:
    assert word_error_rate(["a b c d", "e f"], ["a b x d", "e f g"]) == pytest.approx(2 / 6)
    assert word_error_rate([], []) == 0.0
    with pytest.raises(ValueError, match="one hypothesis per reference"):
        word_error_rate(["a"], [])


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_the_sentences_are_enough_and_sayable(language: str) -> None:
    sentences = SENTENCES[language]  # type: ignore[index]
    assert len(sentences) >= 20 and len(set(sentences)) == len(sentences)
    for text in sentences:
        assert "—" not in text and "–" not in text
        assert not any(c.isdigit() for c in text), text  # numbers as words: the voice, not the normaliser
        assert len(words(text)) >= 4
