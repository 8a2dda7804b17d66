"""The streaming sentence splitter: boundaries, abbreviations, markdown, and chunking independence."""

from __future__ import annotations

import random

import pytest

from engine.pipeline.splitter import SentenceSplitter, clean_for_speech, split_sentences


def feed(pieces: list[str]) -> list[str]:
    splitter = SentenceSplitter()
    out: list[str] = []
    for piece in pieces:
        out += splitter.push(piece)
    tail = splitter.flush()
    return [*out, tail] if tail else out


def random_chunks(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces, i = [], 0
    while i < len(text):
        step = rng.randint(1, 7)
        pieces.append(text[i : i + step])
        i += step
    return pieces


ENGLISH = [
    ("Hello. World", ["Hello.", "World"]),
    ("Hello world", ["Hello world"]),
    ("", []),
    ("Mr. Smith met Dr. Watson at St. Mary's. Bye.", ["Mr. Smith met Dr. Watson at St. Mary's.", "Bye."]),
    ("Mrs. Hudson vs. Prof. Moriarty. Who wins?", ["Mrs. Hudson vs. Prof. Moriarty.", "Who wins?"]),
    ("Bring fruit, e.g. apples, i.e. red ones. Thanks.", ["Bring fruit, e.g. apples, i.e. red ones.", "Thanks."]),
    ("We need eggs, milk, etc. and bread. Then cook.", ["We need eggs, milk, etc. and bread.", "Then cook."]),
    ("We need eggs, milk, etc. Then cook.", ["We need eggs, milk, etc.", "Then cook."]),
    ("Pi is 3.14 and e is 2.72. Nice.", ["Pi is 3.14 and e is 2.72.", "Nice."]),
    ("It costs 1,000 dollars or 1.000 euros. Fine.", ["It costs 1,000 dollars or 1.000 euros.", "Fine."]),
    ("Update to version 2.10.3 today. Done.", ["Update to version 2.10.3 today.", "Done."]),
    (
        "Meet me at 10.30 a.m. tomorrow. Or at 5 p.m. Then we go.",
        ["Meet me at 10.30 a.m. tomorrow.", "Or at 5 p.m.", "Then we go."],
    ),
    ("The U.S. economy grew. Good.", ["The U.S. economy grew.", "Good."]),
    ("J. R. R. Tolkien wrote it. Read it.", ["J. R. R. Tolkien wrote it.", "Read it."]),
    ("Really?! Yes!!! Wow.", ["Really?!", "Yes!!!", "Wow."]),
    ("Well... I don't know. Hmm… Maybe.", ["Well...", "I don't know.", "Hmm…", "Maybe."]),
    ("Wait... and then... nothing.", ["Wait... and then... nothing."]),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ("It ended “well.” Next time.", ["It ended “well.”", "Next time."]),
    ("(It works.) Next one.", ["(It works.)", "Next one."]),
    ("Steps:\n1. Open it.\n2. Close it.", ["Steps:", "1. Open it.", "2. Close it."]),
    ("1. First step\n2. Second step", ["1. First step", "2. Second step"]),
    ("I was born in 1990. Now I am old.", ["I was born in 1990.", "Now I am old."]),
    ("First line\nSecond line", ["First line", "Second line"]),
    ("Paragraph one.\n\nParagraph two.", ["Paragraph one.", "Paragraph two."]),
    ("## Heading\n- **Bold** item\n* another _one_\n---\nDone.", ["Heading", "Bold item", "another one", "Done."]),
    ("Use `pip install` now. Ok.", ["Use pip install now.", "Ok."]),
    ("**Note.** Read this.", ["Note.", "Read this."]),
    ("See [the docs](https://example.org/a.b) first. Then ask.", ["See the docs first.", "Then ask."]),
    ("Visit example.com. It is free.", ["Visit example.com.", "It is free."]),
    ("Nothing else   \n\n   ", ["Nothing else"]),
    ("Done!", ["Done!"]),
    ("Trailing ellipsis...", ["Trailing ellipsis..."]),
]

RUSSIAN = [
    ("Привет. Как дела?", ["Привет.", "Как дела?"]),
    ("Это было в 10.30 утра, т.е. рано. Потом мы ушли.", ["Это было в 10.30 утра, т.е. рано.", "Потом мы ушли."]),
    ("А. С. Пушкин родился в Москве. Он поэт.", ["А. С. Пушкин родился в Москве.", "Он поэт."]),
    ("А.С. Пушкин написал это. Читай.", ["А.С. Пушкин написал это.", "Читай."]),
    ("Мы купили хлеб, молоко и т.д. Потом пошли домой.", ["Мы купили хлеб, молоко и т.д.", "Потом пошли домой."]),
    ("Яблоки, груши и т.д. и т.п. всё было. Конец.", ["Яблоки, груши и т.д. и т.п. всё было.", "Конец."]),
    ("Он живёт на ул. Ленина, д. 5. Хорошо.", ["Он живёт на ул. Ленина, д. 5.", "Хорошо."]),
    ("Это было в 1999 г. Потом всё изменилось.", ["Это было в 1999 г.", "Потом всё изменилось."]),
    ("Я был в г. Москва. Красиво.", ["Я был в г. Москва.", "Красиво."]),
    ("В 2023-2024 гг. цены росли. Сейчас нет.", ["В 2023-2024 гг. цены росли.", "Сейчас нет."]),
    ("Цена 3,5 тыс. руб. за штуку. Дорого.", ["Цена 3,5 тыс. руб. за штуку.", "Дорого."]),
    ("Бюджет 5 млн. Это много, а 2 млрд. больше.", ["Бюджет 5 млн.", "Это много, а 2 млрд. больше."]),
    ("Стоит 10 руб. 50 коп. Недорого.", ["Стоит 10 руб. 50 коп.", "Недорого."]),
    ("Музей им. Пушкина открыт. См. стр. 5 в буклете.", ["Музей им. Пушкина открыт.", "См. стр. 5 в буклете."]),
    ("Он сказал: «Привет!» Потом ушёл.", ["Он сказал: «Привет!»", "Потом ушёл."]),
    ("Ну… Не знаю. Может… может быть.", ["Ну…", "Не знаю.", "Может… может быть."]),
    ("Правда?! Да!!! Ура.", ["Правда?!", "Да!!!", "Ура."]),
    ("Версия 1.2.3 вышла. Обновитесь.", ["Версия 1.2.3 вышла.", "Обновитесь."]),
    ("Температура 36.6 градуса. Нормально.", ["Температура 36.6 градуса.", "Нормально."]),
    ("Шаги:\n1. Откройте файл.\n2. Сохраните его.", ["Шаги:", "1. Откройте файл.", "2. Сохраните его."]),
    ("Это просто, т. е. легко. И т. д. Потом.", ["Это просто, т. е. легко.", "И т. д.", "Потом."]),
    ("Т.к. шёл дождь, мы остались. Жаль.", ["Т.к. шёл дождь, мы остались.", "Жаль."]),
    ("Мне 25. Я студент.", ["Мне 25.", "Я студент."]),
    ("- **Важно:** пейте воду.\n- Спите больше.", ["Важно: пейте воду.", "Спите больше."]),
    ("Спокойной ночи!", ["Спокойной ночи!"]),
]

CASES = ENGLISH + RUSSIAN


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_whole_text(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_char_by_char_matches_whole(text: str, expected: list[str]) -> None:
    assert feed(list(text)) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_chunks_match_whole(text: str, expected: list[str], seed: int) -> None:
    assert feed(random_chunks(text, seed)) == expected


def test_sentence_leaves_when_the_space_arrives() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("Hello.") == []
    assert splitter.push(" World") == ["Hello."]
    assert splitter.flush() == "World"


def test_first_sentence_leaves_before_the_reply_ends() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("Первое предложение. Второе") == ["Первое предложение."]
    assert splitter.push(" тоже.") == []
    assert splitter.flush() == "Второе тоже."


def test_abbreviation_waits_for_the_next_letter() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("Eggs, etc.") == []
    assert splitter.push(" ") == []
    assert splitter.push("T") == ["Eggs, etc."]
    assert splitter.flush() == "T"


def test_decimal_waits_for_the_next_character() -> None:
    splitter = SentenceSplitter()
    assert splitter.push("Pi is 3.") == []
    assert splitter.push("14 roughly.") == []
    assert splitter.push(" Yes") == ["Pi is 3.14 roughly."]


@pytest.mark.parametrize("rest", ["", "   ", "**", "---", "\n\n"])
def test_flush_without_speakable_text_is_none(rest: str) -> None:
    splitter = SentenceSplitter()
    splitter.push(rest)
    assert splitter.flush() is None


def test_splitter_is_reusable_after_flush() -> None:
    splitter = SentenceSplitter()
    splitter.push("One. Two")
    assert splitter.flush() == "Two"
    assert splitter.push("1. Item") == []  # a new reply starts a new line again: "1." is a list number
    assert splitter.flush() == "1. Item"


LONG_COMMAS = ", ".join(["это очень длинное перечисление без точки"] * 14)
LONG_SEMICOLONS = "; ".join(["first part of a long list of things"] * 14)
LONG_DASHES = " — ".join(["one more clause that keeps going"] * 14)
LONG_WORDS = " ".join(["word"] * 200)


@pytest.mark.parametrize("text", [LONG_COMMAS, LONG_SEMICOLONS, LONG_DASHES, LONG_WORDS])
def test_long_sentence_is_split(text: str) -> None:
    pieces = split_sentences(text)
    assert len(pieces) > 1
    assert all(len(p) <= 450 for p in pieces)
    assert len(pieces[0]) >= 200  # not before the soft limit
    # nothing is lost but the dashes the split removed
    assert " ".join(pieces).replace(" —", "").split() == text.replace(" —", "").split()
    assert feed(list(text)) == pieces
    assert feed(random_chunks(text, 7)) == pieces


def test_long_sentence_splits_at_the_comma_after_the_soft_limit() -> None:
    pieces = split_sentences(LONG_COMMAS)
    assert pieces[0].endswith(",")
    assert LONG_COMMAS.index(",", 200) == len(pieces[0]) - 1


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("**Bold** and *italic*", "Bold and italic"),
        ("# Title", "Title"),
        ("### Deeper title", "Deeper title"),
        ("- item", "item"),
        ("* item", "item"),
        ("+ item", "item"),
        ("• пункт", "пункт"),
        ("> quoted", "quoted"),
        ("`code` here", "code here"),
        ("__under__ line", "under line"),
        ("snake_case stays", "snake_case stays"),
        ("C# is a language", "C# is a language"),
        ("[link](http://x.y/z) text", "link text"),
        ("  many    spaces\there ", "many spaces here"),
        ("---", ""),
        ("**", ""),
        ("-5 degrees", "-5 degrees"),
        ("— Привет, — сказал он.", "— Привет, — сказал он."),
    ],
)
def test_clean_for_speech(text: str, spoken: str) -> None:
    assert clean_for_speech(text) == spoken


@pytest.mark.parametrize(
    ("text", "first"),
    [
        # long first sentence: its first clause goes to speech on its own, the rest as usual
        (
            "Owls are known for their keen hearing and night vision, which lets them hunt in the dark. "
            "They fly silently.",
            [
                "Owls are known for their keen hearing and night vision,",
                "which lets them hunt in the dark.",
                "They fly silently.",
            ],
        ),
        # a short first sentence is not cut
        (
            "Yes, of course. Here it is, as you asked for it, in full.",
            ["Yes, of course.", "Here it is, as you asked for it, in full."],
        ),
        # a decimal comma is no clause boundary
        (
            "Температура сегодня составит примерно 3,5 градуса, и пойдёт снег.",
            ["Температура сегодня составит примерно 3,5 градуса,", "и пойдёт снег."],
        ),
    ],
)
def test_first_clause_is_spoken_early(text: str, first: list[str]) -> None:
    def run(pieces: list[str]) -> list[str]:
        splitter = SentenceSplitter(first_soft_limit=40)
        out = [s for piece in pieces for s in splitter.push(piece)]
        rest = splitter.flush()
        return out + ([rest] if rest else [])

    assert run([text]) == first
    assert run(list(text)) == first  # token by token: the same pieces
