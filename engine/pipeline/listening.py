"""Transcription while the key is still held: finished speech segments are recognised as they end.

When the user releases the key only the last segment (the tail) is left to transcribe, so the time
from release to the first reply sound no longer grows with the length of the question.

A segment is *settled* once the audio runs past its padded end: the speech stopped, the Silero model
is causal and the segmenter ends speech at its first silent frame, so a later pass finds the same
boundaries. If the user goes on speaking, a later pass finds a longer segment that no longer matches,
and that one is transcribed at release: speculation costs idle CPU time during the hold, never a
wrong transcript.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.audio.resample import to_whisper_input
from engine.audio.types import Audio
from engine.errors import NoSpeechError
from engine.stages.base import SpeechRecognizer, SpeechSegment, SpokenLanguage, Transcript
from engine.stages.vad.segmenter import VadParams
from engine.stages.vad.silero import SileroVAD

#: runs a blocking call where STT may run (the stt lane, under the scheduler's device lease)
StageRunner = Callable[..., Awaitable[Any]]

#: re-run the VAD after this much new audio
STEP_S = 0.15
#: audio past a segment's padded end before it is transcribed speculatively
SETTLE_S = 0.03
#: boundaries of one segment seen in two passes may differ by this much
TOLERANCE_S = 0.06


@dataclass(frozen=True)
class _Done:
    segment: SpeechSegment
    text: str


def settled_segments(
    segments: list[SpeechSegment], audio_end_s: float, settle_s: float = SETTLE_S
) -> list[SpeechSegment]:
    """The segments the audio has run past (by `settle_s`): their speech has stopped, for now."""
    return [s for s in segments if audio_end_s - s.end_s >= settle_s - 1e-9]


def same_segment(a: SpeechSegment, b: SpeechSegment) -> bool:
    """Whether two passes of the VAD found the same stretch of speech."""
    return abs(a.start_s - b.start_s) <= TOLERANCE_S and abs(a.end_s - b.end_s) <= TOLERANCE_S


class Listening:
    """Collects push-to-talk audio and transcribes finished segments in the background.

    `feed` may be called from any thread (an audio callback); `finish` is awaited on the loop.
    """

    def __init__(
        self,
        vad: SileroVAD,
        stt: SpeechRecognizer,
        params: VadParams,
        run_stt: StageRunner,
        loop: asyncio.AbstractEventLoop,
        language: SpokenLanguage | None,
    ) -> None:
        self._vad, self._stt, self._params, self._run, self._loop = vad, stt, params, run_stt, loop
        self.language = language
        self._chunks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._samples = 0
        self._scanned = 0
        self._done: list[_Done] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._worker = loop.create_task(self._work())

    def feed(self, chunk: Audio) -> None:
        """Add recorded audio (any rate; mono)."""
        pcm = to_whisper_input(chunk).samples
        with self._lock:
            self._chunks.append(pcm)
            self._samples += len(pcm)
        self._loop.call_soon_threadsafe(self._wake.set)

    def _audio(self) -> Audio:
        with self._lock:
            samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        return Audio(samples.astype(np.float32, copy=False), 16000)

    def _transcribe(self, audio: Audio, segment: SpeechSegment) -> Transcript:
        rate = audio.sample_rate
        part = Audio(audio.samples[int(segment.start_s * rate) : int(segment.end_s * rate)], rate)
        return self._stt.transcribe(part, self.language)

    async def _work(self) -> None:
        while not self._closed:
            await self._wake.wait()
            self._wake.clear()
            if self._samples - self._scanned < STEP_S * 16000:
                continue
            audio = self._audio()
            self._scanned = len(audio.samples)
            segments = await self._run(self._vad.speech_segments, audio, self._params)
            for segment in settled_segments(segments, audio.duration_s):
                if self._closed:
                    return
                if any(same_segment(segment, d.segment) for d in self._done):
                    continue
                transcript = await self._run(self._transcribe, audio, segment)
                self.language = self.language or transcript.language  # detect once, then keep it
                self._done.append(_Done(segment, transcript.text))

    @property
    def segments_done(self) -> int:
        """How many segments were transcribed while the key was held."""
        return len(self._done)

    async def finish(self, audio: Audio | None = None) -> Transcript:
        """Stop listening and return the whole transcript (only the tail is transcribed now)."""
        self._closed = True
        self._wake.set()
        await self._worker
        full = to_whisper_input(audio) if audio is not None else self._audio()
        segments = await self._run(self._vad.speech_segments, full, self._params)
        if not segments:
            raise NoSpeechError(
                "no speech was found in the recording", hint="check the microphone and speak closer to it"
            )
        texts, language, probability, model_id = [], self.language, 1.0, self._stt.model_id
        for segment in segments:
            known = next((d for d in self._done if same_segment(segment, d.segment)), None)
            if known is not None:
                texts.append(known.text)
                continue
            transcript = await self._run(self._transcribe, full, segment)
            language = language or transcript.language
            probability = min(probability, transcript.language_probability)
            texts.append(transcript.text)
        text = " ".join(t.strip() for t in texts if t.strip())
        speech_s = sum(s.end_s - s.start_s for s in segments)
        return Transcript(text, language or "en", probability, speech_s, model_id)

    def cancel(self) -> None:
        """Stop without a result (the key press was abandoned)."""
        self._closed = True
        self._wake.set()
