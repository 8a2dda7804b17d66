"""Which language a turn is heard in with `language = "auto"`: the decision, its fallbacks, and the flow.

The decision is a pure function (tables below); the flow tests run a real `Assistant` over scripted
stages whose recognizer reports the language probabilities each test scripts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.audio.types import Audio
from engine.events import TranscriptReady
from engine.pipeline.inputs import AudioInput
from engine.pipeline.listening import LanguageHint, transcribe_speech
from engine.pipeline.recognise import Recogniser, interface_language, system_locale
from engine.stages.base import SpokenLanguage, Transcript
from engine.stages.stt.faster_whisper import UNSURE_MARGIN, decide_language
from tests.conftest import make_config
from tests.harness.engine import Harness
from tests.harness.fakes import RecordingSink, ScriptedLLM, ScriptedSTT, speech

SURE_RU = {"ru": 0.9, "en": 0.05}
SURE_EN = {"en": 0.8, "ru": 0.1}
UNSURE = {"ru": 0.30, "en": 0.29, "pl": 0.2}  # a short clip: Whisper spreads its bets


@pytest.mark.parametrize(
    ("probabilities", "previous", "fallback", "expected"),
    [
        (SURE_RU, None, None, ("ru", "detected")),
        (SURE_RU, "en", "en", ("ru", "detected")),  # a sure detection wins over the fallbacks
        (SURE_EN, "ru", "ru", ("en", "detected")),
        (UNSURE, "en", "ru", ("en", "previous")),  # unsure: the previous turn's language first
        (UNSURE, None, "en", ("en", "interface")),  # then the interface's
        (UNSURE, None, None, ("ru", "detected")),  # nothing to fall back on: the likelier
        ({"ru": 0.29, "en": 0.30}, None, None, ("en", "detected")),
        ({"uk": 0.92, "ru": 0.077, "en": 0.0}, None, "en", ("ru", "detected")),  # Ukrainian counts as Russian
        ({"en": 0.2, "ru": 0.12, "be": 0.1}, "en", None, ("en", "previous")),
        ({"ja": 0.9, "ru": 0.03, "en": 0.01}, "en", None, ("en", "previous")),  # neither is likely: unsure
        ({"en": 1.0}, "ru", "ru", ("en", "detected")),  # an English-only model
        ({}, "ru", "en", ("ru", "previous")),  # no speech to detect on
        ({"en": 0.60, "ru": 0.35}, "ru", None, ("en", "detected")),  # exactly the margin: sure
        ({"en": 0.60, "ru": 0.36}, "ru", None, ("ru", "previous")),  # just under it
    ],
)
def test_decide_language(
    probabilities: dict[str, float],
    previous: SpokenLanguage | None,
    fallback: SpokenLanguage | None,
    expected: tuple[str, str],
) -> None:
    assert decide_language(probabilities, previous, fallback, threshold=0.25) == expected


def test_the_default_margin_is_the_measured_one() -> None:
    assert UNSURE_MARGIN == 0.25  # docs/benchmarks.md, "Speech recognition on real speech"
    assert decide_language({"ru": 0.6, "en": 0.4}, "en", None) == ("en", "previous")


@pytest.mark.parametrize(
    ("setting", "locale_name", "expected"),
    [
        ("ru", "en_US.UTF-8", "ru"),
        ("en", "ru_RU.UTF-8", "en"),
        ("system", "ru_RU.UTF-8", "ru"),
        ("system", "ru", "ru"),
        ("system", "uk_UA.UTF-8", "en"),  # the window has ru and en only; it shows English there
        ("system", "", "en"),
        ("system", "C.UTF-8", "en"),
    ],
)
def test_interface_language(setting: str, locale_name: str, expected: str) -> None:
    assert interface_language(setting, locale_name) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru_RU.UTF-8"),
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru_RU.UTF-8"),
        ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8", "LC_ALL": "de_DE"}, "de_DE"),
        ({"LC_ALL": "", "LANG": "ru_RU"}, "ru_RU"),  # an empty variable is unset
        ({}, ""),
    ],
)
def test_system_locale(environ: dict[str, str], expected: str) -> None:
    assert system_locale(environ) == expected


@pytest.mark.parametrize(
    ("text", "forced", "hint", "expected"),
    [
        ("Привет, как дела?", None, LanguageHint("en", "en"), ("ru", "detected")),
        ("hello there", "ru", LanguageHint("en", "en"), ("ru", "chosen")),
        ("2 + 2 = ?", None, LanguageHint("ru", "en"), ("ru", "previous")),  # no letters to tell by
        ("2 + 2 = ?", None, LanguageHint(None, "ru"), ("ru", "interface")),
        ("2 + 2 = ?", None, LanguageHint(), ("en", "interface")),
    ],
)
def test_typed_language(text: str, forced: SpokenLanguage | None, hint: LanguageHint, expected: tuple) -> None:
    heard = Recogniser._typed(text, forced, hint)
    assert (heard.transcript.language, heard.language_reason) == expected


# -- the flow: detection on the speech, the previous turn's language carried into the next ---------------


@dataclass
class DetectingSTT(ScriptedSTT):
    """A scripted recognizer that also reports language probabilities (as Whisper does)."""

    probabilities: dict[str, float] = field(default_factory=lambda: dict(SURE_EN))
    detected_on: list[float] = field(default_factory=list)  # seconds of audio each detection saw
    asked: list[SpokenLanguage | None] = field(default_factory=list)

    def language_probabilities(self, audio: Audio) -> dict[str, float]:
        self.detected_on.append(audio.duration_s)
        return dict(self.probabilities)

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        if audio.samples.any():
            self.asked.append(language)
        return super().transcribe(audio, language)


def test_transcribe_speech_detects_then_transcribes_in_the_decided_language() -> None:
    stt = DetectingSTT(probabilities=dict(UNSURE))
    transcript, reason = transcribe_speech(stt, speech(1.0), None, LanguageHint("en", "ru"))
    assert (transcript.language, reason, stt.asked) == ("en", "previous", ["en"])
    assert transcript.language_probability == pytest.approx(0.29)  # Whisper's P(en), not a forced 1.0
    transcript, reason = transcribe_speech(stt, speech(1.0), "ru", LanguageHint("en", "en"))
    assert (transcript.language, reason, stt.asked[-1], len(stt.detected_on)) == ("ru", "chosen", "ru", 1)


def test_a_recognizer_without_detection_detects_inside_transcribe() -> None:
    transcript, reason = transcribe_speech(ScriptedSTT(), speech(1.0), None, LanguageHint("ru", "ru"))
    assert (transcript.language, reason) == ("en", "detected")


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made: list[Harness] = []

    def build(stt: DetectingSTT, **app: str) -> Harness:
        config = make_config({"app": app}) if app else make_config()
        harness = Harness(tmp_path / f"h{len(made)}", config, llm=ScriptedLLM(["Ok."] * 40), stt=stt)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.close()


def with_silence(seconds: float = 1.0, lead_s: float = 2.0) -> Audio:
    """Speech after `lead_s` of silence: the VAD keeps only the speech (and its padding)."""
    voiced = speech(seconds)
    lead = np.zeros(int(lead_s * voiced.sample_rate), np.float32)
    return Audio(np.concatenate([lead, voiced.samples]), voiced.sample_rate)


def test_detection_runs_on_the_speech_not_the_silence_before_it(make: Any) -> None:
    stt = DetectingSTT()
    h = make(stt)
    h.run(h.assistant.ask_audio(AudioInput(with_silence(1.0, lead_s=2.0)), RecordingSink()))
    assert len(stt.detected_on) == 1 and stt.detected_on[0] < 1.6  # 1 s of speech and its padding, not 3 s


def test_an_unsure_turn_takes_the_previous_turns_language(make: Any) -> None:
    stt = DetectingSTT(probabilities=dict(SURE_RU))
    h = make(stt, ui_language="en")
    first = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    stt.probabilities = dict(UNSURE)  # the next question is short: Whisper is unsure
    second = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    assert (first.language, second.language) == ("ru", "ru")
    assert [e.language_reason for e in h.of(TranscriptReady)] == ["detected", "previous"]
    assert stt.asked == ["ru", "ru"]


def test_a_sure_detection_switches_language(make: Any) -> None:
    stt = DetectingSTT(probabilities=dict(SURE_RU))
    h = make(stt)
    h.run(h.assistant.ask_text("Привет!", RecordingSink()))
    stt.probabilities = dict(SURE_EN)
    result = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    assert result.language == "en" and h.of(TranscriptReady)[-1].language_reason == "detected"


def test_the_first_unsure_turn_takes_the_interface_language(make: Any) -> None:
    stt = DetectingSTT(probabilities=dict(UNSURE))
    h = make(stt, ui_language="en")
    result = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    assert result.language == "en" and h.of(TranscriptReady)[0].language_reason == "interface"
    h2 = make(DetectingSTT(probabilities={"ru": 0.29, "en": 0.30}), ui_language="ru")
    result = h2.run(h2.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    assert result.language == "ru" and h2.of(TranscriptReady)[0].language_reason == "interface"


def test_a_chosen_language_is_not_detected(make: Any) -> None:
    stt = DetectingSTT(probabilities=dict(SURE_EN))
    h = make(stt, language="ru")
    result = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink()))
    assert result.language == "ru" and stt.detected_on == [] and stt.asked == ["ru"]
    result = h.run(h.assistant.ask_audio(AudioInput(speech()), RecordingSink(), language="en"))
    assert result.language == "en" and h.of(TranscriptReady)[-1].language_reason == "chosen"


def test_the_key_hold_transcription_detects_once_with_the_previous_language(make: Any) -> None:
    stt = DetectingSTT(probabilities=dict(SURE_RU))
    h = make(stt, ui_language="en")
    h.run(h.assistant.ask_text("Привет!", RecordingSink()))
    stt.probabilities = dict(UNSURE)

    async def hold_and_release() -> Any:
        listening = h.assistant.listen()
        audio = with_silence(1.0, lead_s=0.5)
        for start in range(0, len(audio.samples), 1600):  # 0.1 s microphone blocks
            listening.feed(Audio(audio.samples[start : start + 1600], audio.sample_rate))
            await asyncio.sleep(0)
        return await h.assistant.ask_audio(AudioInput(audio, listening=listening), RecordingSink())

    result = h.run(hold_and_release())
    assert result.language == "ru" and h.of(TranscriptReady)[-1].language_reason == "previous"
    assert len(stt.detected_on) == 1 and set(stt.asked) == {"ru"}
