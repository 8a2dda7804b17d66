"""The turn's first stage: the user's words, from a recording (VAD + STT) or typed.

A recording is checked (empty, too short, too long), resampled to 16 kHz and recognised under the
scheduler's device lease; when the key-hold transcription (`Listening`) ran, only its tail is left.
With no language chosen, it is detected on the speech the VAD kept; an unsure detection takes the
previous turn's language, else the interface's (`language_hint`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from engine.audio.resample import to_whisper_input
from engine.audio.types import Audio
from engine.cancel import CancelToken
from engine.config import SovaConfig
from engine.errors import AudioInputError, NoSpeechError
from engine.events import TurnSource
from engine.pipeline.inputs import AudioInput, TurnInput
from engine.pipeline.listening import LanguageHint, transcribe_speech
from engine.pipeline.stages import Stages
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import SpokenLanguage, Transcript
from engine.stages.stt.faster_whisper import LanguageReason
from engine.stages.tts.language import detect_language
from engine.stages.vad.segmenter import VadParams

#: a recording shorter than this is a slip of the key, not a question
MIN_AUDIO_S = 0.3
_NO_SPEECH_HINT = "check the microphone and speak closer to it"
_NO_WORDS_HINT = "speak more clearly, or type the question"


@dataclass(frozen=True)
class Recognised:
    """The user's words for this turn, with the 16 kHz recording (None when typed) for the voice cues."""

    transcript: Transcript
    source: TurnSource
    audio: Audio | None
    stt_ms: float | None
    language_reason: LanguageReason = "chosen"


def choose_language(override: str | None, configured: str, detected: str | None) -> SpokenLanguage | None:
    """The reply language: an explicit choice (the call's, else the config's) over the detected one."""
    wanted = override or configured
    if wanted in ("ru", "en"):
        return wanted  # type: ignore[return-value]
    return detected if detected in ("ru", "en") else None  # type: ignore[return-value]


def system_locale(environ: Mapping[str, str] | None = None) -> str:
    """The desktop's locale name (LC_ALL, LC_MESSAGES, LANG: the order glibc and Qt read them), or ''."""
    env = os.environ if environ is None else environ
    return next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name)), "")


def interface_language(ui_setting: str, locale_name: str) -> SpokenLanguage:
    """The interface's language as the window shows it: `[app] ui_language` when ru/en, else the locale's."""
    if ui_setting in ("ru", "en"):
        return ui_setting  # type: ignore[return-value]
    return "ru" if locale_name.lower().startswith("ru") else "en"


def language_hint(config: SovaConfig, previous: SpokenLanguage | None) -> LanguageHint:
    """What an unsure detection falls back on: the `previous` turn's language, else the interface's."""
    return LanguageHint(previous, interface_language(config.app.ui_language, system_locale()))


def check_audio(audio: Audio, max_seconds: float) -> Audio:
    """The recording as 16 kHz mono, or AudioInputError saying what to do."""
    if audio.samples.size == 0:
        raise AudioInputError("the recording is empty", hint="hold the key while you speak")
    if audio.duration_s < MIN_AUDIO_S:
        raise AudioInputError(
            f"the recording is too short ({audio.duration_s:.2f} s)",
            hint="hold the key a little longer while you speak",
        )
    if audio.duration_s > max_seconds:
        raise AudioInputError(
            f"the recording is {audio.duration_s:.0f} s long; the limit is {max_seconds:.0f} s",
            hint="speak a shorter question, or raise [audio.stt] max_audio_seconds in your config",
        )
    return to_whisper_input(audio)


class Recogniser:
    """Turns a `TurnInput` into the user's words."""

    def __init__(self, stages: Stages, config: SovaConfig, scheduler: Scheduler) -> None:
        self.stages = stages
        self.config = config
        self.scheduler = scheduler

    async def __call__(
        self, turn_input: TurnInput, language: str | None, cancel: CancelToken, previous: SpokenLanguage | None = None
    ) -> Recognised:
        """The words of `turn_input`; AudioInputError/NoSpeechError for unusable input.

        `previous` is the last turn's language: an unsure detection takes it.
        """
        hint = language_hint(self.config, previous)
        forced = choose_language(language, self.config.app.language, None)
        if not isinstance(turn_input, AudioInput):
            text = turn_input.text.strip()
            if not text:
                raise AudioInputError("the question is empty", hint="type a question, or hold the key and speak")
            return self._typed(text, forced, hint)
        try:
            audio = check_audio(turn_input.audio, self.config.audio.stt.max_audio_seconds)
        except AudioInputError:
            if turn_input.listening is not None:  # its background transcription is of no use now
                turn_input.listening.cancel()
            raise
        started = time.perf_counter()
        if turn_input.listening is not None:  # only the tail is left to transcribe
            transcript = await turn_input.listening.finish(audio)
            reason = turn_input.listening.language_reason
        else:  # under the device lease: STT and the LLM never overlap on it
            transcript, reason = await self.scheduler.run(
                "stt", "stt", self._recognise, audio, forced, hint, cancel=cancel
            )
        if not transcript.text.strip():
            raise NoSpeechError("no words could be recognised", hint=_NO_WORDS_HINT)
        stt_ms = round((time.perf_counter() - started) * 1000.0, 1)
        return Recognised(transcript, "audio", audio, stt_ms, reason)

    @staticmethod
    def _typed(text: str, forced: SpokenLanguage | None, hint: LanguageHint) -> Recognised:
        """Typed words: the language chosen, else the one the text is written in, else the hint's."""
        detected = detect_language(text)
        reason: LanguageReason = "chosen" if forced else "detected" if detected else "previous"
        lang = forced or detected or hint.previous
        if lang is None:
            lang, reason = hint.fallback or "en", "interface"
        return Recognised(Transcript(text, lang, 1.0, 0.0, ""), "text", None, None, reason)

    def _recognise(
        self, audio: Audio, language: SpokenLanguage | None, hint: LanguageHint
    ) -> tuple[Transcript, LanguageReason]:
        """VAD, then language detection and STT on the speech found (blocking: runs on the stt lane)."""
        segments = self.stages.vad.speech_segments(audio, VadParams.from_config(self.config.audio.vad))
        if not segments:
            raise NoSpeechError("no speech was found in the recording", hint=_NO_SPEECH_HINT)
        start = int(segments[0].start_s * audio.sample_rate)
        end = int(segments[-1].end_s * audio.sample_rate)
        speech = Audio(audio.samples[start:end], audio.sample_rate)  # not the silence before or after it
        return transcribe_speech(self.stages.stt, speech, language, hint)
