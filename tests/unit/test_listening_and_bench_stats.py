from __future__ import annotations

import math

import pytest

from engine.bench.stats import ratio, summarize
from engine.pipeline.listening import same_segment, settled_segments
from engine.stages.base import SpeechSegment


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
