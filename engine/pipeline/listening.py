"""Transcription while the key is still held: finished speech segments are recognised as they end.

When the user releases the key only the last segment (the tail) is left to transcribe, so the time
from release to the first reply sound no longer grows with the length of the question.

The VAD scores each new 32 ms window once (`SileroStream` keeps the model's state between calls) and
a `SegmentTracker` turns the probabilities into the segments a pass over the whole recording so far
would find, so the work during a hold grows with its length, not with its square.

A segment is *settled* once the audio runs past its padded end: the speech stopped, the Silero model
is causal and the segmenter ends speech at its first silent frame, so later audio finds the same
boundaries. If the user goes on speaking, a longer segment replaces it that no longer matches, and
that one is transcribed at release: speculation costs idle CPU time during the hold, never a wrong
transcript.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from engine.audio.resample import WHISPER_RATE, to_whisper_input
from engine.audio.types import Audio
from engine.errors import NoSpeechError
from engine.stages.base import SpeechRecognizer, SpeechSegment, SpokenLanguage, Transcript
from engine.stages.stt.faster_whisper import LanguageReason, decide_language
from engine.stages.vad.segmenter import SegmentTracker, VadParams
from engine.stages.vad.silero import WINDOW, SileroVAD

#: runs a blocking call where STT may run (the stt lane, under the scheduler's device lease)
StageRunner = Callable[..., Awaitable[Any]]

#: scan new audio once this much of it has arrived
STEP_S = 0.15
#: audio past a segment's padded end before it is transcribed speculatively
SETTLE_S = 0.03
#: boundaries of one segment seen in two passes may differ by this much
TOLERANCE_S = 0.06


@dataclass(frozen=True)
class LanguageHint:
    """What an unsure language detection falls back on: the previous turn's language, else the interface's."""

    previous: SpokenLanguage | None = None
    fallback: SpokenLanguage | None = None


@runtime_checkable
class LanguageDetector(Protocol):
    """A recognizer that can say how likely each language is (Whisper); others detect inside `transcribe`."""

    def language_probabilities(self, audio: Audio) -> Mapping[str, float]:
        """The probability of each language being spoken in `audio`."""
        ...


def transcribe_speech(
    stt: SpeechRecognizer, speech: Audio, language: SpokenLanguage | None, hint: LanguageHint
) -> tuple[Transcript, LanguageReason]:
    """The words of `speech` (audio the VAD kept) in `language`, or when None in the language detected on it.

    An unsure detection takes the language of `hint` (see `decide_language`) rather than Whisper's
    guess, which leans to English on short Russian clips. Blocking: call it on the stt lane.
    """
    if language is not None:
        return stt.transcribe(speech, language), "chosen"
    if not isinstance(stt, LanguageDetector):
        return stt.transcribe(speech, None), "detected"
    probabilities = stt.language_probabilities(speech)
    chosen, reason = decide_language(probabilities, hint.previous, hint.fallback)
    transcript = stt.transcribe(speech, chosen)
    return dataclasses.replace(transcript, language_probability=float(probabilities.get(chosen, 0.0))), reason


@dataclass(frozen=True)
class _Done:
    segment: SpeechSegment
    text: str


@dataclass(frozen=True)
class _Scan:
    """Segments of the audio scanned so far, from the `first`-th on; those before index `final` will not change."""

    first: int
    segments: list[SpeechSegment]
    final: int
    end_s: float


def settled_segments(
    segments: list[SpeechSegment], audio_end_s: float, settle_s: float = SETTLE_S
) -> list[SpeechSegment]:
    """The segments the audio has run past (by `settle_s`): their speech has stopped, for now."""
    return [s for s in segments if audio_end_s - s.end_s >= settle_s - 1e-9]


def same_segment(a: SpeechSegment, b: SpeechSegment) -> bool:
    """Whether two passes of the VAD found the same stretch of speech."""
    return abs(a.start_s - b.start_s) <= TOLERANCE_S and abs(a.end_s - b.end_s) <= TOLERANCE_S


def covers_fed_audio(given_samples: int, scanned_samples: int) -> bool:
    """Whether audio handed to `finish` can be the recording that was fed (and scanned) so far.

    A recording resampled in one piece may differ from the chunks resampled one by one by a few
    samples; one that is a window shorter than what was scanned is other audio.
    """
    return given_samples + WINDOW > scanned_samples


class _Recording:
    """Append-only 16 kHz samples, grown by doubling so a long hold costs O(1) per chunk; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data = np.zeros(4 * WHISPER_RATE, np.float32)
        self._size = 0

    def append(self, pcm: npt.NDArray[np.float32]) -> None:
        with self._lock:
            needed = self._size + len(pcm)
            if needed > len(self._data):
                grown = np.zeros(max(needed, 2 * len(self._data)), np.float32)
                grown[: self._size] = self._data[: self._size]
                self._data = grown
            self._data[self._size : needed] = pcm
            self._size = needed

    def __len__(self) -> int:
        with self._lock:
            return self._size

    def samples(self, start: int = 0, end: int | None = None) -> npt.NDArray[np.float32]:
        """A copy of samples [start, end) (end defaults to all recorded so far)."""
        with self._lock:
            stop = self._size if end is None else min(end, self._size)
            return self._data[start:stop].copy()


class Listening:
    """Collects push-to-talk audio and transcribes finished segments in the background.

    `feed` may be called from any thread (an audio callback); `finish` is awaited on the loop. The
    VAD state is only touched inside `run_stt` calls, which the worker and `finish` make one at a time.
    """

    def __init__(
        self,
        vad: SileroVAD,
        stt: SpeechRecognizer,
        params: VadParams,
        run_stt: StageRunner,
        loop: asyncio.AbstractEventLoop,
        language: SpokenLanguage | None,
        *,
        hint: LanguageHint | None = None,
    ) -> None:
        self._vad, self._stt, self._params, self._run, self._loop = vad, stt, params, run_stt, loop
        #: the language given, or once the first segment is heard the one detected on it (then kept)
        self.language = language
        self.language_reason: LanguageReason = "chosen" if language is not None else "detected"
        self._hint = hint or LanguageHint()
        self._recording = _Recording()
        self._stream = vad.stream()
        self._tracker = SegmentTracker(params, vad.frame_s)
        self._scanned = 0  # samples pushed into the VAD stream
        self._checked = 0  # leading final segments already transcribed or matched
        self._done: list[_Done] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._worker = loop.create_task(self._work())

    def feed(self, chunk: Audio) -> None:
        """Add recorded audio (any rate; mono)."""
        self._recording.append(to_whisper_input(chunk).samples)
        self._loop.call_soon_threadsafe(self._wake.set)

    def _transcribe(self, audio: Audio, segment: SpeechSegment) -> tuple[Transcript, LanguageReason]:
        rate = audio.sample_rate
        part = Audio(audio.samples[int(segment.start_s * rate) : int(segment.end_s * rate)], rate)
        return transcribe_speech(self._stt, part, self.language, self._hint)

    def _transcribe_recorded(self, segment: SpeechSegment) -> tuple[Transcript, LanguageReason]:
        start, end = int(segment.start_s * WHISPER_RATE), int(segment.end_s * WHISPER_RATE)
        part = Audio(self._recording.samples(start, end), WHISPER_RATE)
        return transcribe_speech(self._stt, part, self.language, self._hint)

    def _keep_language(self, transcript: Transcript, reason: LanguageReason) -> None:
        """Detect once (on the first segment heard), then keep it: one question, one language."""
        if self.language is None:
            self.language, self.language_reason = transcript.language, reason

    def _scan(self, samples: npt.NDArray[np.float32], first: int) -> _Scan:
        """Score new audio and segment it (on the stt lane); segments before `first` are left out."""
        tracker = self._tracker
        tracker.process(self._stream.push(samples))
        return _Scan(first, tracker.segments(first=first), tracker.final_count, tracker.covered_s)

    def _scan_rest(self, full: Audio) -> list[SpeechSegment]:
        """The segments of the whole recording, scoring only what was not scanned yet (on the stt lane)."""
        if not covers_fed_audio(len(full.samples), self._scanned):
            return self._vad.speech_segments(full, self._params)
        probs = self._stream.push(full.samples[self._scanned :])
        self._tracker.process(np.concatenate([probs, self._stream.flush()]), audio_end_s=full.duration_s)
        return self._tracker.segments(full.duration_s)

    async def _work(self) -> None:
        while not self._closed:
            await self._wake.wait()
            self._wake.clear()
            recorded = len(self._recording)
            if recorded - self._scanned < STEP_S * WHISPER_RATE:
                continue
            fresh = self._recording.samples(self._scanned, recorded)
            self._scanned = recorded
            scan: _Scan = await self._run(self._scan, fresh, self._checked)
            for index, segment in enumerate(settled_segments(scan.segments, scan.end_s), scan.first):
                if self._closed:
                    return
                if not any(same_segment(segment, d.segment) for d in self._done):
                    transcript, reason = await self._run(self._transcribe_recorded, segment)
                    self._keep_language(transcript, reason)
                    self._done.append(_Done(segment, transcript.text))
                if index < scan.final:  # it will not change: never look at it again
                    self._checked = index + 1

    @property
    def segments_done(self) -> int:
        """How many segments were transcribed while the key was held."""
        return len(self._done)

    async def finish(self, audio: Audio | None = None) -> Transcript:
        """Stop listening and return the whole transcript (only the tail is scanned and transcribed now).

        `audio` is the whole recording when the caller has it (as checked and resampled for the turn);
        without it the audio fed so far is used.
        """
        self._closed = True
        self._wake.set()
        await self._worker
        full = to_whisper_input(audio) if audio is not None else Audio(self._recording.samples(), WHISPER_RATE)
        segments = await self._run(self._scan_rest, full)
        if not segments:
            raise NoSpeechError(
                "no speech was found in the recording", hint="check the microphone and speak closer to it"
            )
        texts, probability, model_id = [], 1.0, self._stt.model_id
        for segment in segments:
            known = next((d for d in self._done if same_segment(segment, d.segment)), None)
            if known is not None:
                texts.append(known.text)
                continue
            transcript, reason = await self._run(self._transcribe, full, segment)
            self._keep_language(transcript, reason)
            probability = min(probability, transcript.language_probability)
            texts.append(transcript.text)
        text = " ".join(t.strip() for t in texts if t.strip())
        speech_s = sum(s.end_s - s.start_s for s in segments)
        return Transcript(text, self.language or "en", probability, speech_s, model_id)

    def cancel(self) -> None:
        """Stop without a result (the key press was abandoned)."""
        self._closed = True
        self._wake.set()
