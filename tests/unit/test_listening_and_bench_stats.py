from __future__ import annotations

import math

import pytest

from engine.bench.stats import ratio, summarize
from engine.pipeline.listening import finished_segments, same_segment
from engine.stages.base import SpeechSegment
from engine.stages.vad.segmenter import VadParams

PARAMS = VadParams(threshold=0.5, min_speech_ms=250, min_silence_ms=500, speech_pad_ms=200)


@pytest.mark.parametrize(
    ("segments", "audio_end_s", "finished"),
    [
        ([], 3.0, []),
        ([(0.2, 1.0)], 1.69, []),  # 0.69 s of quiet after it: it may still go on
        ([(0.2, 1.0)], 1.70, [(0.2, 1.0)]),  # silence + padding seen: it is over
        ([(0.2, 1.0), (2.0, 2.5)], 2.6, [(0.2, 1.0)]),  # the tail is still open
        ([(0.2, 1.0), (2.0, 2.5)], 3.5, [(0.2, 1.0), (2.0, 2.5)]),
    ],
)
def test_finished_segments(
    segments: list[tuple[float, float]], audio_end_s: float, finished: list[tuple[float, float]]
) -> None:
    got = finished_segments([SpeechSegment(*s) for s in segments], audio_end_s, PARAMS)
    assert [(s.start_s, s.end_s) for s in got] == finished


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
