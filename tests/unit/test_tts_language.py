"""Script-based language detection and the voice router's choice (router with stand-in voices)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from engine.audio.types import Audio
from engine.errors import StageError
from engine.stages.base import SpeechSynthesizer, SpokenLanguage
from engine.stages.tts.language import detect_language, script_counts, split_by_language
from engine.stages.tts.router import VoiceRouter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Привет, как дела?", "ru"),
        ("Hello there, how are you?", "en"),
        ("Открой Firefox", "ru"),  # Russian command with a Latin product name
        ("Запусти Visual Studio Code", "ru"),
        ("Please open the file отчёт", "en"),  # mostly English
        ("Привіт, як справи?", "ru"),  # Ukrainian letters are Cyrillic
        ("Ёлка", "ru"),
        ("Café au lait", "en"),  # accented Latin still counts as Latin
        ("123!", None),
        ("", None),
        ("   ", None),
        ("3.14 + 2 = 5.14", None),
        ("你好", None),  # neither script
        ("2 ноября", "ru"),
    ],
)
def test_detect_language(text: str, expected: SpokenLanguage | None) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "counts"),
    [("Открой Firefox", (6, 7)), ("abc АБВ 12!", (3, 3)), ("", (0, 0)), ("ÄÖü", (0, 3))],
)
def test_script_counts(text: str, counts: tuple[int, int]) -> None:
    assert script_counts(text) == counts


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("", []),
        ("Hello world.", [("en", "Hello world.")]),
        ("Открой Firefox", [("ru", "Открой "), ("en", "Firefox")]),
        ("42 Привет hello мир", [("ru", "42 Привет "), ("en", "hello "), ("ru", "мир")]),
        ("Say привет, 2 times", [("en", "Say "), ("ru", "привет, 2 "), ("en", "times")]),
        ("123 !", [(None, "123 !")]),
    ],
)
def test_split_by_language(text: str, runs: list[tuple[SpokenLanguage | None, str]]) -> None:
    result = split_by_language(text)
    assert result == runs
    assert "".join(part for _, part in result) == text


class _Voice:
    """Stand-in voice: a tone whose length encodes the text, at its own rate."""

    def __init__(self, model_id: str, sample_rate: int) -> None:
        self.model_id = model_id
        self.sample_rate = sample_rate
        self.spoken: list[str] = []

    def synthesize(self, text: str) -> Audio:
        self.spoken.append(text)
        return Audio(np.full(len(text), 0.5, dtype=np.float32), self.sample_rate)


@pytest.mark.parametrize(
    ("text", "default", "expected_lang", "expected_model"),
    [
        ("Привет, как дела?", "en", "ru", "ru-voice"),
        ("Hello there.", "ru", "en", "en-voice"),
        ("Открой Firefox", "en", "ru", "ru-voice"),
        ("12:30", "ru", "ru", "ru-voice"),  # no letters: the default language decides
        ("12:30", "en", "en", "en-voice"),
    ],
)
def test_router_picks_voice_by_script(
    text: str, default: SpokenLanguage, expected_lang: str, expected_model: str
) -> None:
    ru, en = _Voice("ru-voice", 16000), _Voice("en-voice", 22050)
    router = VoiceRouter({"ru": ru, "en": en})
    lang, voice = router.voice_for(text, default)
    assert (lang, voice.model_id) == (expected_lang, expected_model)
    audio = router.synthesize(text, default)
    assert audio.sample_rate == voice.sample_rate  # no resampling in the router
    assert len(audio.samples) == len(text)
    assert (ru.spoken, en.spoken) == (([text], []) if expected_model == "ru-voice" else ([], [text]))


def test_router_falls_back_to_the_other_voice_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    en = _Voice("en-voice", 22050)
    router = VoiceRouter({"en": en})
    with caplog.at_level(logging.WARNING, logger="engine.stages.tts.router"):
        choice = router.choose("Привет", "ru")
    assert (choice.requested, choice.language, choice.fallback) == ("ru", "en", True)
    assert choice.synthesizer is en
    assert "en-voice" in caplog.text
    assert router.voice_for("Hello", "ru") == ("en", en)
    assert not router.choose("Hello", "ru").fallback


def test_stand_in_voice_satisfies_protocol() -> None:
    assert isinstance(_Voice("x", 8000), SpeechSynthesizer)


def test_router_streams_whole_text_from_a_voice_without_streaming() -> None:
    ru = _Voice("ru-voice", 22050)
    chunks = list(VoiceRouter({"ru": ru}).synthesize_stream("Да", "en"))
    assert [len(c.samples) for c in chunks] == [2]


def test_router_without_voices_is_refused() -> None:
    with pytest.raises(StageError):
        VoiceRouter({})
