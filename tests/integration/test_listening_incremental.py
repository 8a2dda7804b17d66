"""Listening during the hold with the real Silero model: incremental scoring equals one pass over the clip."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.audio.io import read_audio
from engine.audio.types import Audio
from engine.pipeline.listening import TOLERANCE_S, Listening, same_segment
from engine.registry.registry import ModelProvider
from engine.stages.base import SpeechRecognizer, SpeechSegment, SpokenLanguage, Transcript
from engine.stages.stt.faster_whisper import WhisperRecognizer
from engine.stages.vad.segmenter import SegmentTracker, VadParams
from engine.stages.vad.silero import WINDOW, SileroVAD

pytestmark = pytest.mark.models

DATA = Path(__file__).resolve().parents[1] / "data"
RATE = 16000
Installed = Callable[[str], ModelProvider]


Part = str | float | tuple[str, float, float]


def _piece(part: Part) -> np.ndarray:
    if isinstance(part, float):
        return np.zeros(int(part * RATE), np.float32)
    if isinstance(part, str):
        return read_audio(DATA / f"{part}.wav").samples
    name, cut_start, cut_end = part
    samples = read_audio(DATA / f"{name}.wav").samples
    return samples[int(cut_start * RATE) : len(samples) - int(cut_end * RATE)]


def clip(*parts: Part) -> Audio:
    """Fixtures by name (or (name, seconds cut from its start, from its end)) and seconds of silence, joined."""
    return Audio(np.concatenate([_piece(p) for p in parts]).astype(np.float32), RATE)


# the fixtures have 0.4 s of silence either side of the question
CLIPS: dict[str, tuple[Part, ...]] = {
    "en_capital_france": ("en_capital_france",),
    "en_days_week": ("en_days_week",),
    "ru_capital_france": ("ru_capital_france",),
    "ru_days_week": ("ru_days_week",),
    "silence_2s": ("silence_2s",),
    "two_questions_apart": ("en_capital_france", 1.0, "en_days_week"),
    # the pauses cut to 0.03 s each: the VAD hears a pause shorter than min_silence, one segment
    "two_questions_bridged": (("ru_capital_france", 0.0, 0.37), ("ru_days_week", 0.37, 0.0)),
    "four_questions_and_silence": (
        0.7,
        "en_capital_france",
        0.6,
        "ru_days_week",
        2.5,
        "en_days_week",
        0.3,
        "ru_capital_france",
        "silence_2s",
    ),
}


def chunk_sizes(seed: int) -> Iterator[int]:
    """Microphone blocks of 20-50 ms, with odd sizes around a window mixed in."""
    rng = random.Random(seed)
    odd = [1, WINDOW - 1, WINDOW, WINDOW + 1, 3 * WINDOW + 7]
    while True:
        yield rng.choice(odd) if rng.random() < 0.2 else rng.randint(int(0.02 * RATE), int(0.05 * RATE))


def assert_same_segments(got: list[SpeechSegment], expected: list[SpeechSegment]) -> None:
    assert len(got) == len(expected), (got, expected)
    for a, b in zip(got, expected, strict=True):
        assert same_segment(a, b), (a, b, TOLERANCE_S)


@pytest.mark.parametrize("name", list(CLIPS))
@pytest.mark.parametrize("seed", [0, 1])
def test_incremental_segments_equal_a_whole_pass(vad: SileroVAD, name: str, seed: int) -> None:
    audio = clip(*CLIPS[name])
    stream, tracker = vad.stream(), SegmentTracker(VadParams(), vad.frame_s)
    probs: list[np.ndarray] = []
    fed, checkpoint = 0, RATE
    for size in chunk_sizes(seed):
        if fed >= len(audio.samples):
            break
        probs.append(stream.push(audio.samples[fed : fed + size]))
        tracker.process(probs[-1])
        fed += size
        if fed >= checkpoint:  # mid-hold: what a pass over the windows scored so far finds
            checkpoint += RATE
            scored = Audio(audio.samples[: tracker.frames_seen * WINDOW], RATE)
            assert_same_segments(tracker.segments(), vad.speech_segments(scored, VadParams()))
    probs.append(stream.flush())
    tracker.process(probs[-1], audio_end_s=audio.duration_s)
    whole = vad.speech_probabilities(audio)
    np.testing.assert_allclose(np.concatenate(probs), whole, atol=1e-5)
    expected = vad.speech_segments(audio, VadParams())
    assert_same_segments(tracker.segments(audio.duration_s), expected)
    assert len(expected) == {"silence_2s": 0, "two_questions_apart": 2, "four_questions_and_silence": 4}.get(name, 1)


class CountingSTT:
    """Stands in for Whisper: the text is the length of what it was given."""

    model_id = "counting"

    def __init__(self) -> None:
        self.heard: list[int] = []

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        self.heard.append(len(audio.samples))
        return Transcript(f"<{len(audio.samples)}>", language or "en", 1.0, audio.duration_s, self.model_id)


async def _until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def hold_and_release(vad: SileroVAD, stt: SpeechRecognizer, audio: Audio, seed: int) -> tuple[int, Transcript]:
    """Feed `audio` in microphone blocks, wait (bounded) for a settled segment, release with the whole clip."""

    async def run() -> tuple[int, Transcript]:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(1) as lane:  # one thread, like the stt lane

            async def run_stt(fn: Callable[..., Any], *args: Any) -> Any:
                return await loop.run_in_executor(lane, fn, *args)

            listening = Listening(vad, stt, VadParams(), run_stt, loop, "en")
            fed = 0
            for size in chunk_sizes(seed):
                if fed >= len(audio.samples):
                    break
                listening.feed(Audio(audio.samples[fed : fed + size], RATE))
                fed += size
                await asyncio.sleep(0)
            await _until(lambda: listening.segments_done >= 1, 60.0)
            done = listening.segments_done
            return done, await listening.finish(audio)

    return asyncio.run(run())


def slices(audio: Audio, segments: list[SpeechSegment]) -> list[Audio]:
    return [Audio(audio.samples[int(s.start_s * RATE) : int(s.end_s * RATE)], RATE) for s in segments]


@pytest.mark.parametrize("name", ["two_questions_apart", "four_questions_and_silence"])
def test_listening_transcribes_what_a_whole_pass_finds(vad: SileroVAD, name: str) -> None:
    audio = clip(*CLIPS[name])
    stt = CountingSTT()
    done, transcript = hold_and_release(vad, stt, audio, seed=3)
    segments = vad.speech_segments(audio, VadParams())
    assert done >= 1
    assert transcript.text == " ".join(f"<{len(part.samples)}>" for part in slices(audio, segments))
    assert len(stt.heard) == len(segments)  # each segment once: those of the hold are not redone at release
    assert transcript.audio_duration_s == pytest.approx(sum(s.end_s - s.start_s for s in segments))


def test_listening_with_whisper_gives_the_whole_pass_transcript(vad: SileroVAD, base: WhisperRecognizer) -> None:
    audio = clip(*CLIPS["two_questions_apart"])
    done, transcript = hold_and_release(vad, base, audio, seed=5)
    segments = vad.speech_segments(audio, VadParams())
    expected = " ".join(base.transcribe(part, "en").text.strip() for part in slices(audio, segments))
    assert done >= 1
    assert transcript.text == expected
    words = set(re.sub(r"[^\w ]+", " ", transcript.text.lower()).split())
    assert {"france", "week"} <= words, transcript.text
