"""Text said as words, heard back: a normalised sentence through the real voice, then Whisper base.

Whisper writes the numbers it hears as digits ("Сколько будет 2 плюс 2?"), so the checks are on
what the digits and signs became: the "+" is heard as "плюс" (the raw "2+2" came back as "2.2"
through Festival), the silent "-" of "7 - 3 = 4" as "minus" (raw: "73 equals 4") and "9:00" as
"9 o'clock" (raw: "9000").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from engine.audio.resample import to_whisper_input
from engine.errors import ModelUnavailableError
from engine.pipeline.stages import voice_candidates
from engine.registry.registry import ModelProvider, Registry
from engine.stages.base import SpeechSynthesizer, SpokenLanguage
from engine.stages.options import TTSOptions
from engine.stages.stt.faster_whisper import WhisperRecognizer
from engine.stages.tts.normalise import speakable
from tests.conftest import make_config

pytestmark = pytest.mark.models

Installed = Callable[[str], ModelProvider]


@pytest.fixture(scope="module")
def russian_voice(registry: Registry) -> Iterator[tuple[str, SpeechSynthesizer]]:
    """The Russian voice `build_stages` speaks with under the repo's config (its first loadable candidate)."""
    installed = [p.manifest for p in registry.select(kind="tts", language="ru") if p.status().installed]
    for model_id in voice_candidates(installed, make_config().audio.tts.ru):
        try:
            voice: SpeechSynthesizer = registry.get(model_id).load(TTSOptions(speed=1.0))
        except ModelUnavailableError:
            continue
        if registry.get(model_id).manifest.format == "espeak-ng":
            # a formant voice Whisper base cannot read back (issue 13: 123% WER): nothing to measure
            pytest.skip(f"the Russian voice is {model_id}; install Festival (festival, festvox-ru) to hear it")
        yield model_id, voice
        close = getattr(voice, "close", None)  # Festival keeps a process: stop it with the module
        if callable(close):
            close()
        return
    pytest.fail("no Russian voice can be loaded")


def _heard(voice: SpeechSynthesizer, text: str, stt: WhisperRecognizer, language: SpokenLanguage) -> str:
    return stt.transcribe(to_whisper_input(voice.synthesize(text)), language).text.lower()


def test_russian_arithmetic_is_heard_as_words(
    russian_voice: tuple[str, SpeechSynthesizer], base: WhisperRecognizer
) -> None:
    model_id, voice = russian_voice
    spoken = speakable("Сколько будет 2+2?", "ru")
    assert spoken == "Сколько будет два плюс два?"
    heard = _heard(voice, spoken, base, "ru")
    assert re.search(r"(2|два)\s*плюс\s*(2|два)", heard), f"{model_id} said {spoken!r}, Whisper heard {heard!r}"


def test_english_signs_and_times_are_heard_as_words(installed: Installed, base: WhisperRecognizer) -> None:
    voice = installed("piper-en-us-joe-medium").load(TTSOptions(speed=1.0))
    spoken = speakable("So 7 - 3 = 4, and we meet at 9:00.", "en")
    assert spoken == "So 7 minus 3 equals 4, and we meet at nine o'clock."
    heard = _heard(voice, spoken, base, "en")
    assert re.search(r"\b(7|seven) minus (3|three) equals (4|four)\b", heard), heard
    assert re.search(r"\b(9|nine) o'clock\b", heard), heard
