"""The persona's pure checks, abstention and tone detection (RU and EN), by tables."""

from __future__ import annotations

import pytest

from engine.eval.checks import (
    abstains,
    adapted_tone,
    has_no_emoji,
    in_language,
    is_plain_text,
    is_short,
    mentions_any,
    numbers_as_digits,
    persona_checks,
    persona_score,
    sentences,
)


@pytest.mark.parametrize(
    ("text", "count"),
    [("One. Two! Three?", 3), ("Version 2.5 is out.", 1), ("Привет… Как дела?", 2), ("", 0), ("No end", 1)],
)
def test_sentences(text: str, count: int) -> None:
    assert len(sentences(text)) == count


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Paris is the capital of France.", True),
        ("Sleep at regular hours. Keep the room dark. Avoid coffee late.", True),
        ("One. Two. Three. Four.", False),
        ("word " * 61, False),
        ("   ", False),
    ],
)
def test_is_short(text: str, short: bool) -> None:
    assert is_short(text) is short


@pytest.mark.parametrize(
    ("text", "language", "ok"),
    [
        ("Столица Франции — Париж.", "ru", True),
        ("Я использую Python и Linux каждый день.", "ru", True),  # a few Latin names are fine
        ("The capital of France is Paris.", "ru", False),
        ("The capital of France is Paris.", "en", True),
        ("Столица — Париж.", "en", False),
        ("42", "en", False),  # no letters: not in any language
    ],
)
def test_in_language(text: str, language: str, ok: bool) -> None:
    assert in_language(text, language) is ok


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Just a plain sentence, with a comma.", True),
        ("Use **bold** here.", False),
        ("# Heading\ntext", False),
        ("Tips:\n- sleep\n- eat", False),
        ("1. First\n2. Second", False),
        ("Run `ls` now.", False),
        ("See [docs](http://x).", False),
        ("It costs 5-10 dollars.", True),
        ("В 2024 году было 366 дней.", True),
    ],
)
def test_is_plain_text(text: str, plain: bool) -> None:
    assert is_plain_text(text) is plain


@pytest.mark.parametrize(("text", "ok"), [("Happy birthday!", True), ("Happy birthday! 🎉", False), ("Ура ☀️", False)])
def test_no_emoji(text: str, ok: bool) -> None:
    assert has_no_emoji(text) is ok


@pytest.mark.parametrize(
    ("text", "language", "ok"),
    [
        ("A week has 7 days.", "en", True),
        ("A week has seven days.", "en", False),
        ("В неделе 7 дней.", "ru", True),
        ("В неделе семь дней.", "ru", False),
        ("One moment, please.", "en", True),
    ],
)
def test_numbers_as_digits(text: str, language: str, ok: bool) -> None:
    assert numbers_as_digits(text, language) is ok


def test_persona_checks_and_score() -> None:
    verdicts = persona_checks("Tips:\n- sleep\n- eat", "en", ["short", "language", "plain_text"])
    assert verdicts == {"short": True, "language": True, "plain_text": False}
    assert persona_score(verdicts) == pytest.approx(2 / 3)
    assert persona_score({}) == 0.0


@pytest.mark.parametrize(
    ("text", "language", "declines"),
    [
        ("I don't know your sister's name; you haven't told me.", "en", True),
        ("I’m not sure what colour your car is.", "en", True),  # typographic apostrophe
        ("You didn't mention that. Could you tell me?", "en", True),
        ("Your sister's name is Sarah.", "en", False),
        ("Your car is red.", "en", False),
        ("Я не знаю, как зовут вашего брата.", "ru", True),
        ("Вы не говорили мне об этом.", "ru", True),
        ("У меня нет информации о вашем враче.", "ru", True),
        ("Вашего брата зовут Иван.", "ru", False),
        ("Вы родились в Москве.", "ru", False),
    ],
)
def test_abstention_detection(text: str, language: str, declines: bool) -> None:
    assert abstains(text, language) is declines
    assert abstains(text) is declines  # without a language: both phrase lists


@pytest.mark.parametrize(
    ("text", "language", "adapted"),
    [
        ("I'm so sorry about your dog. That must be really hard.", "en", True),
        ("Shops usually open at 9.", "en", False),
        ("Мне очень жаль, это тяжело.", "ru", True),
        ("Поздравляю с экзаменом!", "ru", True),
        ("Лететь около 2 часов.", "ru", False),
    ],
)
def test_adapted_tone(text: str, language: str, adapted: bool) -> None:
    assert adapted_tone(text, language) is adapted


@pytest.mark.parametrize(
    ("text", "expected", "ok"),
    [("Your cat is Murka.", ["Murka"], True), ("Your cat is Tom.", ["Murka"], False), ("anything", [], True)],
)
def test_mentions_any(text: str, expected: list[str], ok: bool) -> None:
    assert mentions_any(text, expected) is ok


def test_a_reply_cut_at_the_token_cap_is_not_short() -> None:
    assert persona_checks("Sleep well.", "en", ["short"]) == {"short": True}
    assert persona_checks("Sleep well.", "en", ["short"], truncated=True) == {"short": False}


@pytest.mark.parametrize(
    ("reply", "prompt", "ok"),
    [
        ("Дай пять советов, как лучше спать.\n\nСообщение...", "Дай пять советов, как лучше спать.", False),
        ("Как зовут мою собаку?\n\nСообаку", "Как зовут мою собаку?", False),
        ("Ложитесь спать в одно и то же время.", "Дай пять советов, как лучше спать.", True),
        ("Париж.", "", True),
    ],
)
def test_an_echo_of_the_prompt_is_not_a_reply(reply: str, prompt: str, ok: bool) -> None:
    from engine.eval.checks import not_an_echo

    assert not_an_echo(reply, prompt) is ok
    verdicts = persona_checks(reply, "ru", ["language", "plain_text"], prompt=prompt)
    assert all(verdicts.values()) is ok
