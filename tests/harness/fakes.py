"""Scripted fakes for orchestration tests that run in milliseconds (the real models have their own tests).

`ScriptedLLM` yields a script of pieces and can hold one back until released (or the turn is
cancelled); `ScriptedVoice` and `RecordingSink` can fail on demand; `ScriptedSTT` can block until
released. Every wait in them has a deadline, so a test that goes wrong fails instead of hanging.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.audio.types import Audio
from engine.errors import StageError
from engine.memory.types import MemoryHit, MemoryItem, MemoryKind
from engine.stages.base import ChatMessage, SamplingParams, SpeechSegment, SpokenLanguage, Transcript
from engine.stages.vad.segmenter import VadParams, find_segments

#: no fake waits longer than this: a test that forgets to release one fails with a clear error
DEADLINE_S = 10.0
RATE = 16000


def _wait(release: threading.Event, cancel: threading.Event | None, what: str) -> bool:
    """Wait for `release`; False when `cancel` came first; AssertionError past the deadline."""
    waited = 0.0
    while not release.wait(0.002):
        if cancel is not None and cancel.is_set():
            return False
        waited += 0.002
        if waited > DEADLINE_S:
            raise AssertionError(f"{what} was never released")
    return True


@dataclass
class ScriptedLLM:
    """An LLM that streams `script`; holds before piece `hold_at` until `release` is set."""

    script: Sequence[str]
    hold_at: int | None = None
    fail_at: int | None = None
    model_id: str = "scripted-llm"
    release: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    yielded: int = 0
    saw_cancel: bool = False
    calls: int = 0

    @property
    def stopped_early(self) -> bool:
        """The stream ended before the script did (cancelled, or closed by its consumer)."""
        return self.finished.is_set() and self.yielded < len(self.script) and self.fail_at is None

    @property
    def context_length(self) -> int:
        """Tokens the fake context holds."""
        return 4096

    def count_tokens(self, text: str) -> int:
        """One token per word."""
        return len(text.split())

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """The script, piece by piece; stops when `cancel` is set."""
        if params.max_tokens == 1:  # the warm-up's priming call
            yield "ok"
            return
        self.calls += 1
        try:
            for i, piece in enumerate(self.script):
                if cancel is not None and cancel.is_set():
                    self.saw_cancel = True
                    return
                if i == self.fail_at:
                    raise StageError("llm", "scripted failure")
                if i == self.hold_at:
                    self.held.set()
                    if not _wait(self.release, cancel, "the LLM's held piece"):
                        self.saw_cancel = True
                        return
                self.yielded += 1
                yield piece
        finally:
            self.finished.set()


@dataclass
class ScriptedVoice:
    """A voice that speaks 0.1 s of tone per word; fails on sentence number `fail_on` (0-based)."""

    language: SpokenLanguage = "en"
    fail_on: int | None = None
    model_id: str = "scripted-voice"
    sample_rate: int = RATE
    spoken: list[str] = field(default_factory=list)

    def synthesize(self, text: str) -> Audio:
        """Audio for `text` (warm-up words are not counted)."""
        if text in ("Yes.", "Да."):
            return _tone(0.05)
        if len(self.spoken) == self.fail_on:
            raise StageError("tts", "scripted voice failure")
        self.spoken.append(text)
        return _tone(0.1 * max(1, len(text.split())))


class _LoudnessStream:
    """Frame probabilities by loudness: 1 where a 32 ms frame is not silent (the real stream's shape)."""

    WINDOW = 512

    def __init__(self) -> None:
        self._pending = np.zeros(0, np.float32)
        self.samples_in = 0

    @property
    def samples_scored(self) -> int:
        return self.samples_in - len(self._pending)

    def push(self, samples: np.ndarray) -> np.ndarray:
        self.samples_in += len(samples)
        buffer = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        whole = len(buffer) - len(buffer) % self.WINDOW
        self._pending = buffer[whole:].copy()
        return self._score(buffer[:whole])

    def flush(self) -> np.ndarray:
        if len(self._pending) == 0:
            return np.zeros(0, np.float32)
        last = np.pad(self._pending, (0, self.WINDOW - len(self._pending)))
        self._pending = np.zeros(0, np.float32)
        return self._score(last)

    def _score(self, samples: np.ndarray) -> np.ndarray:
        frames = samples.reshape(-1, self.WINDOW)
        return (np.abs(frames).max(axis=1) > 0.01).astype(np.float32) if len(frames) else np.zeros(0, np.float32)


class ScriptedVAD:
    """Speech wherever the audio is not silent, through the real segmenter."""

    frame_s = _LoudnessStream.WINDOW / RATE

    def stream(self) -> _LoudnessStream:
        """A fresh stream for one recording."""
        return _LoudnessStream()

    def speech_segments(self, audio: Audio, params: VadParams) -> list[SpeechSegment]:
        """Padded, merged segments of the loud parts."""
        stream = self.stream()
        probs = np.concatenate([stream.push(audio.samples), stream.flush()])
        return find_segments(probs, self.frame_s, params, duration_s=audio.duration_s)


@dataclass
class ScriptedSTT:
    """Hears `text`; with `hold`, waits for `release` first."""

    text: str = "what time is it"
    hold: bool = False
    model_id: str = "scripted-stt"
    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        """`text`, or "" for silence (the warm-up)."""
        if not np.any(audio.samples):
            return Transcript("", language or "en", 1.0, audio.duration_s, self.model_id)
        self.started.set()
        if self.hold:
            _wait(self.release, None, "the recognition")
        return Transcript(self.text, language or "en", 1.0, audio.duration_s, self.model_id)


class RecordingSink:
    """Keeps what it was given; `fail_on_play` raises there; `hold_drain` blocks drain until stopped.

    Playback is instant unless `heard_s` says how much the user heard.
    """

    def __init__(self, *, fail_on_play: bool = False, hold_drain: bool = False) -> None:
        self.fail_on_play = fail_on_play
        self.hold_drain = hold_drain
        self.played: list[Audio] = []
        self.stopped = threading.Event()
        self.draining = threading.Event()
        self.heard_s: float | None = None
        self.first_audio_at: float | None = None
        self.closed = False

    def play(self, audio: Audio) -> None:
        """Queue `audio` (or fail, as scripted)."""
        if self.fail_on_play:
            raise OSError("scripted sound server failure")
        if self.first_audio_at is None:
            import time

            self.first_audio_at = time.perf_counter()
        self.played.append(audio)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until played (or stopped, when the drain is held)."""
        self.draining.set()
        if self.hold_drain:
            _wait(self.stopped, None, "the held drain")
        return True

    def stop(self) -> None:
        """Stop playback."""
        self.stopped.set()

    def close(self) -> None:
        """Release the sink."""
        self.closed = True

    def reset_counters(self) -> None:
        """Forget what was played."""
        self.played.clear()

    @property
    def samples_played(self) -> int:
        """Samples the user heard."""
        return int(self.seconds_played * RATE)

    @property
    def seconds_played(self) -> float:
        """Seconds the user heard."""
        if self.heard_s is not None:
            return self.heard_s
        return sum(a.duration_s for a in self.played)


def _tone(seconds: float) -> Audio:
    t = np.arange(int(seconds * RATE), dtype=np.float32) / RATE
    return Audio((0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), RATE)


def speech(seconds: float = 1.0) -> Audio:
    """A recording that is not silent (the scripted VAD finds speech in it)."""
    return _tone(seconds)


# -- the window's features (memory, reminders, tools, remote): stand-ins until they are wired ---------


@dataclass(frozen=True)
class FakeReminder:
    """A reminder as `Assistant.reminders()` lists it."""

    id: int
    text: str
    due_at: float
    fired_at: float | None = None
    late: bool = False


@dataclass
class FakeMemory:
    """An in-memory stand-in for engine/memory/service.py's `MemoryService`: same calls, words ranked by overlap."""

    memories: list[MemoryItem] = field(default_factory=list)
    calls: list[tuple[str, object]] = field(default_factory=list)

    def add(
        self, text: str, *, quote: str = "", kind: MemoryKind = "fact", superseded_by: int | None = None
    ) -> MemoryItem:
        """Store a memory (as the writer would) and return it."""
        item = MemoryItem(
            id=len(self.memories) + 1,
            kind=kind,
            text=text,
            language="en",
            source_quote=quote,
            created_at=1_700_000_000.0 + len(self.memories),
            conversation_id=1,
            turn_id=None,
            subject="",
            entities=(),
            entity_type=None,
            superseded_by=superseded_by,
        )
        self.memories.append(item)
        return item

    def items(self, *, kind: MemoryKind | None = None, include_superseded: bool = True) -> list[MemoryItem]:
        """Every memory, oldest first."""
        return [m for m in self.memories if (kind is None or m.kind == kind) and (include_superseded or m.current)]

    def search(self, query: str, k: int | None = None) -> list[MemoryHit]:
        """Memories sharing a word with `query`, most shared first."""
        self.calls.append(("search", query))
        words = set(query.lower().split())
        scored = [(len(words & set(m.text.lower().split())), m) for m in self.memories]
        ranked = sorted((s for s in scored if s[0]), key=lambda s: -s[0])
        return [MemoryHit(m, float(n)) for n, m in ranked][: k or 5]

    def edit(self, memory_id: int, text: str) -> MemoryItem:
        """Replace a memory's text."""
        self.calls.append(("edit", (memory_id, text)))
        i = next(i for i, m in enumerate(self.memories) if m.id == memory_id)
        self.memories[i] = dataclasses.replace(self.memories[i], text=text)
        return self.memories[i]

    def forget(self, memory_id: int) -> bool:
        """Delete one memory."""
        self.calls.append(("forget", memory_id))
        before = len(self.memories)
        self.memories = [m for m in self.memories if m.id != memory_id]
        return len(self.memories) < before

    def forget_all(self) -> int:
        """Delete every memory."""
        self.calls.append(("forget_all", None))
        n, self.memories = len(self.memories), []
        return n
