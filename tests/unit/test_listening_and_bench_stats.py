from __future__ import annotations

import asyncio
import concurrent.futures
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from engine.audio.types import Audio
from engine.bench.listening import SilentRecognizer, load_factory, measure_listening, speech_and_silence
from engine.bench.stats import ratio, summarize
from engine.errors import NoSpeechError
from engine.pipeline.listening import Listening, covers_fed_audio, same_segment, settled_segments
from engine.stages.base import SpeechSegment, SpokenLanguage, Transcript
from engine.stages.vad.segmenter import VadParams, find_segments


@pytest.mark.parametrize(
    ("segments", "audio_end_s", "settled"),
    [
        ([], 3.0, []),
        ([(0.2, 1.0)], 1.0, []),  # the padded end is clipped to the audio: speech may be going on
        ([(0.2, 1.0)], 1.02, []),
        ([(0.2, 1.0)], 1.03, [(0.2, 1.0)]),  # the audio ran past its padded end: transcribe it now
        ([(0.2, 1.0), (2.0, 2.5)], 2.52, [(0.2, 1.0)]),  # the tail is still open
        ([(0.2, 1.0), (2.0, 2.5)], 3.5, [(0.2, 1.0), (2.0, 2.5)]),
    ],
)
def test_settled_segments(
    segments: list[tuple[float, float]], audio_end_s: float, settled: list[tuple[float, float]]
) -> None:
    got = settled_segments([SpeechSegment(*s) for s in segments], audio_end_s)
    assert [(s.start_s, s.end_s) for s in got] == settled


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ((1.0, 2.0), (1.0, 2.0), True),
        ((1.0, 2.0), (1.05, 1.95), True),
        ((1.0, 2.0), (1.0, 2.2), False),  # the second pass found more speech at its end
        ((1.0, 2.0), (0.8, 2.0), False),
    ],
)
def test_same_segment(a: tuple[float, float], b: tuple[float, float], same: bool) -> None:
    assert same_segment(SpeechSegment(*a), SpeechSegment(*b)) is same


@pytest.mark.parametrize(
    ("values", "median", "q1", "q3"),
    [
        ([5.0], 5.0, 5.0, 5.0),
        ([1.0, 3.0], 2.0, 1.5, 2.5),
        ([4.0, 1.0, 3.0, 2.0, 5.0], 3.0, 2.0, 4.0),
        ([10.0, 10.0, 10.0, 100.0], 10.0, 10.0, 32.5),
    ],
)
def test_summarize(values: list[float], median: float, q1: float, q3: float) -> None:
    s = summarize(values)
    assert (s.median, s.q1, s.q3, s.min, s.max, s.n) == (median, q1, q3, min(values), max(values), len(values))


def test_summarize_refuses_nothing_and_ratio_guards_zero() -> None:
    with pytest.raises(ValueError):
        summarize([])
    assert ratio(1.0, 2.0) == 0.5
    assert math.isinf(ratio(1.0, 0.0))


@pytest.mark.parametrize(
    ("given", "scanned", "covers"),
    [
        (16000, 16000, True),
        (20000, 16000, True),  # longer: the rest is scanned at release
        (15990, 16000, True),  # resampled in one piece: a few samples short
        (16000 - 512, 16000, False),  # a window short of what was scanned: other audio
        (0, 0, True),
    ],
)
def test_covers_fed_audio(given: int, scanned: int, covers: bool) -> None:
    assert covers_fed_audio(given, scanned) is covers


# --- Listening with a fake VAD and recognizer: what is scanned and transcribed, and when ---------

RATE, WIN = 16000, 512


def _window_probs(samples: npt.NDArray[np.float32]) -> list[float]:
    """Speech where a window is loud: a stand-in for Silero that keeps to its 512-sample windows."""
    return [1.0 if np.abs(samples[i : i + WIN]).max() > 0.1 else 0.0 for i in range(0, len(samples), WIN)]


class FakeStream:
    def __init__(self, vad: FakeVAD) -> None:
        self.vad, self.pending = vad, np.zeros(0, np.float32)

    def push(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        with self.vad.one_at_a_time():
            self.vad.pushed += len(samples)
            buffer = np.concatenate([self.pending, samples])
            whole = len(buffer) - len(buffer) % WIN
            self.pending = buffer[whole:]
            return np.array(_window_probs(buffer[:whole]), np.float32)

    def flush(self) -> npt.NDArray[np.float32]:
        with self.vad.one_at_a_time():
            probs, self.pending = _window_probs(self.pending), np.zeros(0, np.float32)
            return np.array(probs, np.float32)


class FakeVAD:
    frame_s = WIN / RATE

    def __init__(self) -> None:
        self.pushed = 0
        self.whole_passes = 0
        self._busy = threading.Lock()

    def one_at_a_time(self) -> threading.Lock:
        assert not self._busy.locked(), "the VAD state was touched from two threads at once"
        return self._busy

    def stream(self) -> FakeStream:
        return FakeStream(self)

    def speech_segments(self, audio: Audio, params: VadParams) -> list[SpeechSegment]:
        self.whole_passes += 1
        return find_segments(_window_probs(audio.samples), self.frame_s, params, duration_s=audio.duration_s)


class FakeSTT:
    model_id = "fake"

    def __init__(self) -> None:
        self.heard: list[int] = []

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        self.heard.append(len(audio.samples))
        return Transcript(f"<{len(audio.samples)}>", language or "en", 0.9, audio.duration_s, self.model_id)


def tones(*spans: tuple[str, float]) -> Audio:
    """("s", seconds) of silence and ("t", seconds) of a loud tone, in turn."""
    parts = [
        (0.5 * np.sin(np.arange(int(sec * RATE)) / 5.0) if kind == "t" else np.zeros(int(sec * RATE)))
        for kind, sec in spans
    ]
    return Audio(np.concatenate(parts).astype(np.float32), RATE)


#: two questions 1.2 s apart, 4.9 s in all (past the recording's first 4 s of room); the key is released
#: 0.2 s after the second, within its padding, so only the first can settle during the hold
TWO = tones(("s", 0.5), ("t", 1.5), ("s", 1.2), ("t", 1.5), ("s", 0.2))


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def expected_text(audio: Audio) -> str:
    segments = find_segments(_window_probs(audio.samples), WIN / RATE, VadParams(), duration_s=audio.duration_s)
    return " ".join(f"<{int(s.end_s * RATE) - int(s.start_s * RATE)}>" for s in segments)


def hold(
    audio: Audio, release: Callable[[Listening], Any], *, chunk_s: float = 0.03, settled: int = 1
) -> tuple[FakeVAD, FakeSTT, int, Any]:
    """Feed `audio` as a microphone would, wait for `settled` segments, then `release(listening)`."""
    vad, stt = FakeVAD(), FakeSTT()

    async def run() -> tuple[int, Any]:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(1) as lane:

            async def run_stt(fn: Callable[..., Any], *args: Any) -> Any:
                return await loop.run_in_executor(lane, fn, *args)

            listening = Listening(vad, stt, VadParams(), run_stt, loop, None)  # type: ignore[arg-type]
            step = int(chunk_s * RATE)
            for i in range(0, len(audio.samples), step):
                listening.feed(Audio(audio.samples[i : i + step], RATE))
                await asyncio.sleep(0)
            await until(lambda: listening.segments_done >= settled)
            done = listening.segments_done
            return done, await release(listening)

    done, result = asyncio.run(run())
    return vad, stt, done, result


@pytest.mark.parametrize("chunk_s", [0.02, 0.03, 0.05, 0.0123])
def test_release_scans_only_the_tail_and_transcribes_only_the_last_segment(chunk_s: float) -> None:
    vad, stt, done, transcript = hold(TWO, lambda listening: listening.finish(TWO), chunk_s=chunk_s)
    assert done == 1  # the first question, while the key was held
    assert transcript.text == expected_text(TWO)  # what one pass over the whole recording gives
    assert vad.whole_passes == 0
    assert vad.pushed == len(TWO.samples)  # every sample scored once
    assert len(stt.heard) == 2  # the first question during the hold, the second at release


def test_release_without_the_audio_uses_what_was_fed() -> None:
    vad, stt, _, transcript = hold(TWO, lambda listening: listening.finish())
    assert transcript.text == expected_text(TWO)
    assert (vad.whole_passes, vad.pushed, len(stt.heard)) == (0, len(TWO.samples), 2)


def test_a_recording_longer_than_what_was_fed_is_scanned_to_its_end() -> None:
    fed = Audio(TWO.samples[: int(3.5 * RATE)], RATE)  # the second question was cut short in the feed
    vad, _, _, transcript = hold(fed, lambda listening: listening.finish(TWO))
    assert transcript.text == expected_text(TWO)
    assert (vad.whole_passes, vad.pushed) == (0, len(TWO.samples))


def test_other_audio_at_release_gets_a_whole_pass() -> None:
    first = Audio(TWO.samples[: int(2.4 * RATE)], RATE)
    vad, _, _, transcript = hold(TWO, lambda listening: listening.finish(first))
    assert vad.whole_passes == 1
    assert transcript.text == expected_text(first)


def test_silence_is_no_speech() -> None:
    async def release(listening: Listening) -> Any:
        with pytest.raises(NoSpeechError):
            await listening.finish()
        return listening.segments_done

    _, stt, _, done = hold(tones(("s", 2.0)), release, settled=0)
    assert done == 0 and stt.heard == []


def test_cancel_ends_the_worker() -> None:
    async def release(listening: Listening) -> bool:
        listening.cancel()
        await asyncio.wait_for(listening._worker, 5.0)
        return listening._worker.done()

    assert hold(TWO, release)[3] is True


# --- the bench's helpers ---------------------------------------------------------------------


def test_speech_and_silence_cycles_the_clips_to_the_length_asked() -> None:
    one, two = tones(("t", 0.5)), tones(("t", 0.25))
    audio = speech_and_silence([one, two], 3.0, gap_s=0.5)
    assert audio.sample_rate == RATE and len(audio.samples) == 3 * RATE
    loud = np.abs(audio.samples) > 0.1
    # 0.5 tone, 0.5 gap, 0.25 tone, 0.5 gap, then the first clip again
    assert loud[: int(0.4 * RATE)].any() and not loud[int(0.55 * RATE) : int(0.95 * RATE)].any()
    assert loud[int(1.75 * RATE) : int(2.2 * RATE)].any()


def test_measure_listening_reports_a_hold() -> None:
    stt = SilentRecognizer()
    cost = measure_listening(FakeVAD(), stt, TWO, chunk_s=0.05, realtime=False)  # type: ignore[arg-type]
    assert cost.recognizer == "none"
    assert cost.audio_s == pytest.approx(TWO.duration_s)
    assert cost.cpu_s >= 0 and cost.cpu_per_audio_s == pytest.approx(cost.cpu_s / TWO.duration_s)
    assert cost.transcript_chars > 0


def test_the_bench_measures_another_listening_py_the_same_way() -> None:
    import engine.pipeline.listening as current

    factory = load_factory(Path(current.__file__))
    assert factory is not Listening and factory.__name__ == "Listening"
    cost = measure_listening(FakeVAD(), FakeSTT(), TWO, chunk_s=0.05, realtime=False, factory=factory)  # type: ignore[arg-type]
    assert cost.transcript_chars > 0  # fed as fast as possible, so the release may have done it all
