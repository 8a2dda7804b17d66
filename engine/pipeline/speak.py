"""The turn's last stage: reply pieces -> sentence splitter -> TTS per sentence -> the audio sink.

Two coroutines run together: one reads the reply stream and cuts it into sentences, the other
synthesises and plays them, so the first sentence is heard while the LLM writes the rest. If
either fails, the other is stopped at once (and with it the LLM's thread). On barge-in both stop
and `SpeechLog.heard` tells what the user actually heard.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from engine.audio.sinks import AudioSink
from engine.cancel import CancelToken
from engine.errors import SovaError, StageError
from engine.events import AssistantState, Event, ReplyDelta, SentenceReady, SentenceSpoken, StateChanged
from engine.pipeline.respond import FixedStream, ReplyStream
from engine.pipeline.splitter import SentenceSplitter
from engine.scheduler.lanes import Lanes
from engine.stages.base import SpokenLanguage
from engine.stages.tts.normalise import speakable
from engine.stages.tts.router import VoiceRouter

#: a first sentence longer than this is spoken from its first comma on: the user hears the answer
#: begin while the LLM is still writing the rest of that sentence
FIRST_CLAUSE_CHARS = 40


@dataclass
class SpeechLog:
    """What one reply wrote and played, as it happens (kept when the turn is cut off)."""

    pieces: list[str] = field(default_factory=list)
    spoken: list[tuple[str, float]] = field(default_factory=list)  # sentence, seconds of audio
    voices: list[str] = field(default_factory=list)
    first_sentence_at: float | None = None
    tts_first_audio_ms: float | None = None

    @property
    def text(self) -> str:
        """The reply as written so far."""
        return "".join(self.pieces).strip()

    def heard(self, seconds_played: float) -> str:
        """The sentences whose audio had played in full after `seconds_played` seconds."""
        out, total = [], 0.0
        for text, duration in self.spoken:
            total += duration
            if total > seconds_played + 0.05:
                break
            out.append(text)
        return " ".join(out)


async def run_together(*coros: Coroutine[Any, Any, None]) -> None:
    """Run the coroutines concurrently; the first to fail cancels the others and its error is raised."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:  # also when this task is cancelled: nothing is left running
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


class Speaker:
    """Speaks a reply stream through a sink, sentence by sentence."""

    def __init__(self, voices: VoiceRouter, lanes: Lanes, emit: Callable[[Event], None]) -> None:
        self.voices = voices
        self.lanes = lanes
        self.emit = emit

    async def speak(
        self,
        turn_id: int,
        reply: ReplyStream | FixedStream,
        language: SpokenLanguage,
        sink: AudioSink,
        cancel: CancelToken,
        log: SpeechLog,
    ) -> None:
        """Write, split, synthesise and play until the reply ends (or `cancel` is set); fills `log`."""
        sentences: asyncio.Queue[str | None] = asyncio.Queue()

        async def write() -> None:
            splitter = SentenceSplitter(first_soft_limit=FIRST_CLAUSE_CHARS)
            async with aclosing(reply.pieces()) as pieces:
                async for piece in pieces:
                    log.pieces.append(piece)
                    self.emit(ReplyDelta(turn_id, piece))
                    for sentence in splitter.push(piece):
                        queue_sentence(sentence)
            rest = splitter.flush()
            if rest:
                queue_sentence(rest)
            sentences.put_nowait(None)

        def queue_sentence(sentence: str) -> None:
            if log.first_sentence_at is None:
                log.first_sentence_at = time.perf_counter()
                # on a small CPU the LLM and the first synthesis would share the cores, and the first
                # sound (what the user waits for) would come later; later sentences overlap playback
                reply.pause()
            self.emit(SentenceReady(turn_id, sentence))
            sentences.put_nowait(sentence)

        async def say() -> None:
            try:
                while (sentence := await sentences.get()) is not None and not cancel.is_set():
                    await self._say(turn_id, sentence, language, sink, cancel, log)
                    reply.resume()
            finally:
                reply.resume()

        await run_together(write(), say())
        if not cancel.is_set():
            await asyncio.to_thread(sink.drain)

    async def _say(
        self,
        turn_id: int,
        sentence: str,
        language: SpokenLanguage,
        sink: AudioSink,
        cancel: CancelToken,
        log: SpeechLog,
    ) -> None:
        started = time.perf_counter()
        voice_language, voice = self.voices.voice_for(sentence, language)
        audio = await self.lanes.run("tts", lambda: voice.synthesize(speakable(sentence, voice_language)))
        if log.tts_first_audio_ms is None:
            log.tts_first_audio_ms = round((time.perf_counter() - started) * 1000.0, 1)
        if cancel.is_set() or audio.samples.size == 0:
            return
        if not log.spoken:
            self.emit(StateChanged(AssistantState.SPEAKING))
        try:
            sink.play(audio)
        except SovaError:
            raise
        except Exception as exc:  # a sound server that went away: the turn stops with a clear error
            hint = "check the speaker, or mute replies"
            raise StageError("sink", f"cannot play the reply: {exc}", hint=hint) from exc
        log.spoken.append((sentence, audio.duration_s))
        log.voices.append(voice.model_id)
        self.emit(SentenceSpoken(turn_id, sentence, voice_language, voice.model_id))
