"""What Festival's Russian voice is handed (tests/integration/test_festival.py speaks the same table)."""

from __future__ import annotations

import unicodedata

import pytest

from engine.stages.tts.festival import festival_text, scheme_string

#: (written, what Festival gets); every right-hand side must be sayable (the integration test speaks them)
CASES: list[tuple[str, str]] = [
    ("Привет, как дела?", "Привет, как дела?"),  # plain text is left alone
    ("Столица Франции — Париж.", "Столица Франции, Париж."),  # an em dash made Festival write no audio
    ("Москва–Петербург, 1941–1945.", "Москва-Петербург, 1941-1945."),  # a dash inside a word: a hyphen
    ("кто-то, где-нибудь, что\u2011то", "кто-то, где-нибудь, что-то"),  # non-breaking hyphen
    ("«Привет», — сказал он.", "Привет, сказал он."),  # guillemets go, the dash is a pause
    ("Он сказал: “да” и „нет“.", "Он сказал: да и нет."),
    ('Кнопка "Пуск" и \\путь\\.', "Кнопка Пуск и путь."),  # nothing can end the Scheme string early
    ("it’s don't", "it's don't"),  # typographic apostrophe -> ASCII
    ("Подожди… ну ладно.", "Подожди... ну ладно."),
    ("вот ... и всё", "вот. и всё"),  # punctuation alone fails in Festival: joined to the word before
    ("Итак , всё ; готово .", "Итак, всё, готово."),
    ("- Привет!", "Привет!"),  # nothing before it to join to
    ("да,нет;может:быть", "да, нет; может: быть"),  # punctuation inside a word fails too
    ("Число 3.5 и 2,7.", "Число 3. 5 и 2, 7."),  # (numbers become words before TTS, elsewhere)
    ("2+2=4", "2 2 4"),  # '+' is Festival's stress mark, '=' is unknown
    ("100% и №5 и $10 и 5 €", "100 и 5 и 10 и 5"),
    ("Кафе и café, naïve!", "Кафе и cafe, naive!"),  # Latin accents folded
    ("за\u0301мок и молоко\u0301", "замок и молоко"),  # stress marks dropped without splitting the word
    (unicodedata.normalize("NFD", "Ёлка и йогурт"), "Ёлка и йогурт"),  # decomposed ё and й recomposed
    ("Привет 👋 мир 🌍!", "Привет мир!"),
    ("Строка\nвторая\tтретья\u00a0четвёртая", "Строка вторая третья четвёртая"),
    ("Слово [в скобках] и {фигурных}.", "Слово (в скобках) и (фигурных)."),
    ("(да)", "(да)"),
    ("Ну?! Да!!!", "Ну?! Да!!!"),
    ("e-mail: test@example.com", "e-mail: test example. com"),
    ("...", ""),  # nothing to say
    ("  — «» ", ""),
    ("", ""),
]


@pytest.mark.parametrize(("written", "said"), CASES)
def test_festival_text(written: str, said: str) -> None:
    assert festival_text(written) == said


@pytest.mark.parametrize(("written", "said"), CASES)
def test_only_the_voices_alphabet_and_plain_punctuation_remain(written: str, said: str) -> None:
    allowed = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcdefghijklmnopqrstuvwxyz0123456789 .,!?:;-'()")
    assert set(festival_text(written).lower()) <= allowed


@pytest.mark.parametrize(
    ("text", "literal"),
    [("abc", '"abc"'), ('a"b', '"a\\"b"'), ("a\\b", '"a\\\\b"'), ('\\"', '"\\\\\\""'), ("/tmp/x.wav", '"/tmp/x.wav"')],
)
def test_scheme_string_escapes_backslash_and_quote(text: str, literal: str) -> None:
    assert scheme_string(text) == literal
