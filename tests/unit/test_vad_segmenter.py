"""The VAD segmenter: a pure state machine over per-frame probabilities, tested by tables."""

from __future__ import annotations

import random

import pytest

from engine.stages.base import SpeechSegment
from engine.stages.vad.segmenter import (
    SegmentEvent,
    SegmentTracker,
    VadParams,
    VoiceSegmenter,
    find_segments,
    pad_and_merge,
)

FRAME = 0.1  # 100 ms frames keep the tables readable
# S: clear speech, m: between the two thresholds (0.35..0.5), l: just below the lower one, .: silence
LEVELS = {"S": 0.9, "T": 0.5, "m": 0.4, "l": 0.3, ".": 0.0}


def probs(pattern: str) -> list[float]:
    return [LEVELS[c] for c in pattern]


def params(speech: int = 300, silence: int = 300, pad: int = 0, threshold: float = 0.5) -> VadParams:
    return VadParams(threshold=threshold, min_speech_ms=speech, min_silence_ms=silence, speech_pad_ms=pad)


@pytest.mark.parametrize(
    ("pattern", "p", "expected"),
    [
        ("", params(), []),
        ("..........", params(), []),
        ("mmmmmmmm", params(), []),  # between the thresholds never starts speech
        ("..SSSS....", params(), [(0.2, 0.6)]),
        ("..SS......", params(), []),  # a blip shorter than min_speech is dropped
        ("..SSS.....", params(), [(0.2, 0.5)]),  # exactly min_speech is kept
        ("..TTT.....", params(), [(0.2, 0.5)]),  # a probability equal to the threshold is speech
        ("SSS..SSS....", params(), [(0.0, 0.8)]),  # a pause shorter than min_silence is bridged
        ("SSS...SSS...", params(), [(0.0, 0.3), (0.6, 0.9)]),  # a long enough pause splits
        ("SS.S......", params(), [(0.0, 0.4)]),  # two blips bridged by a short pause make speech
        ("S.S.S.....", params(), [(0.0, 0.5)]),
        ("...SSSS", params(), [(0.3, 0.7)]),  # speech running at the end is closed there
        ("...SSSS..", params(), [(0.3, 0.7)]),  # ... at its last speech frame
        ("......SS", params(), []),  # a trailing blip is still a blip
        ("SSSmmmm....", params(), [(0.0, 0.7)]),  # hysteresis: in-between frames continue speech
        ("SSSlll....", params(), [(0.0, 0.3)]),  # below the lower threshold is silence
        ("SSS.mS....", params(), [(0.0, 0.6)]),  # speech within min_silence bridges a pause with in-betweens
        ("SSS.mmm.S...", params(), [(0.0, 0.3)]),  # in-between frames do not restart the pause: it ends
        ("..S....", params(speech=0), [(0.2, 0.3)]),  # no minimum: one frame is speech
        ("SSS.SSS", params(silence=0), [(0.0, 0.3), (0.4, 0.7)]),  # no minimum silence: every gap splits
        ("..SSSS....", params(pad=100), [(0.1, 0.7)]),
        ("SSS......", params(pad=200), [(0.0, 0.5)]),  # padding clipped at the start
        ("......SSS", params(pad=200), [(0.4, 0.9)]),  # ... and at the end
        ("SSS...SSS.....", params(pad=200), [(0.0, 1.1)]),  # padded segments that overlap merge
        ("SSS......SSS...", params(pad=100), [(0.0, 0.4), (0.8, 1.3)]),  # ... those apart stay apart
        ("..mSm.....", params(threshold=0.35, speech=300), [(0.2, 0.5)]),  # threshold moves both levels
    ],
)
def test_find_segments(pattern: str, p: VadParams, expected: list[tuple[float, float]]) -> None:
    got = find_segments(probs(pattern), FRAME, p)
    assert [(s.start_s, s.end_s) for s in got] == [pytest.approx(e) for e in expected]


def test_find_segments_clips_padding_to_the_real_duration() -> None:
    # the last frame is zero-padded: the audio is shorter than frames x frame_s
    got = find_segments(probs("....SSSS"), FRAME, params(pad=200), duration_s=0.75)
    assert got == [SpeechSegment(pytest.approx(0.2), pytest.approx(0.75))]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "pad", "duration", "expected"),
    [
        ([], 0.2, 5.0, []),
        ([(1.0, 2.0)], 0.0, 5.0, [(1.0, 2.0)]),
        ([(1.0, 2.0)], 0.5, 5.0, [(0.5, 2.5)]),
        ([(0.1, 4.9)], 0.5, 5.0, [(0.0, 5.0)]),
        ([(1.0, 2.0), (2.0, 3.0)], 0.0, 5.0, [(1.0, 3.0)]),  # touching merge
        ([(3.0, 4.0), (1.0, 2.0)], 0.0, 5.0, [(1.0, 2.0), (3.0, 4.0)]),  # sorted
        ([(1.0, 3.0), (1.5, 2.0)], 0.0, 5.0, [(1.0, 3.0)]),  # contained
        ([(6.0, 7.0)], 0.0, 5.0, []),  # wholly past the end: dropped
    ],
)
def test_pad_and_merge(
    raw: list[tuple[float, float]], pad: float, duration: float, expected: list[tuple[float, float]]
) -> None:
    got = pad_and_merge(raw, pad, duration)
    assert [(s.start_s, s.end_s) for s in got] == [pytest.approx(e) for e in expected]


def test_start_is_emitted_once_speech_is_long_enough() -> None:
    seg = VoiceSegmenter(params(), FRAME)
    assert seg.process(probs("..SS")) == []
    assert not seg.in_speech
    events = seg.process(probs("S"))
    assert events == [SegmentEvent("start", pytest.approx(0.2))]  # type: ignore[arg-type]
    assert seg.in_speech
    assert seg.process(probs("S..")) == []  # the pause may still be bridged
    assert seg.process(probs(".")) == [SegmentEvent("end", pytest.approx(0.6))]
    assert not seg.in_speech
    assert seg.finish() == []


def test_finish_closes_open_speech_and_confirms_a_long_enough_trailing_stretch() -> None:
    seg = VoiceSegmenter(params(speech=300), FRAME, offset_s=10.0)
    assert seg.process(probs("..SS")) == []
    assert seg.finish() == []  # 200 ms: a blip
    seg.reset()
    assert seg.process(probs("SS")) == []
    assert seg.process(probs("S")) == [SegmentEvent("start", pytest.approx(10.0))]  # type: ignore[arg-type]
    assert seg.finish() == [SegmentEvent("end", pytest.approx(10.3))]  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern", ["SSS..SSS....S.SSSS......SS....", "..SSSS", "S.S.S.S.S.S", "SSSmmllm..SS.."])
@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_chunked_feeding_gives_the_same_events(pattern: str, chunk: int) -> None:
    whole = VoiceSegmenter(params(), FRAME)
    expected = whole.process(probs(pattern)) + whole.finish()
    seg = VoiceSegmenter(params(), FRAME)
    got: list[SegmentEvent] = []
    values = probs(pattern)
    for i in range(0, len(values), chunk):
        got += seg.process(values[i : i + chunk])
    got += seg.finish()
    assert got == expected
    assert [e.kind for e in got] == ["start", "end"] * (len(got) // 2)


def test_neg_threshold_has_a_floor() -> None:
    assert VadParams(threshold=0.5).neg_threshold == pytest.approx(0.35)
    assert VadParams(threshold=0.1).neg_threshold == pytest.approx(0.01)


def test_params_from_config() -> None:
    from engine.config import VADSection

    section = VADSection(threshold=0.6, min_speech_ms=100, min_silence_ms=700, speech_pad_ms=50)
    assert VadParams.from_config(section) == VadParams(0.6, 100, 700, 50)


def test_bad_frame_length_is_refused() -> None:
    with pytest.raises(ValueError, match="frame_s"):
        VoiceSegmenter(params(), 0.0)


# --- the open stretch, as a pass ending now would close it ------------------------------------


@pytest.mark.parametrize(
    ("pattern", "open_span", "next_start"),
    [
        ("", None, 0.0),
        ("...", None, 0.3),  # nothing open: speech to come starts at the next frame at the earliest
        ("..SS", None, 0.2),  # a blip so far: finish() would drop it, but it may still grow
        ("..SSS", (0.2, 0.5), 0.2),
        ("..SSS..", (0.2, 0.5), 0.2),  # the pause may still be bridged: closed at its first silent frame
        ("..SSSmm", (0.2, 0.7), 0.2),  # in-between frames go on with the speech
        ("..SSS...", None, 0.8),  # the pause was long enough: the segment ended
        ("SSS.", (0.0, 0.3), 0.0),
    ],
)
def test_open_segment_is_what_finish_would_close(
    pattern: str, open_span: tuple[float, float] | None, next_start: float
) -> None:
    seg = VoiceSegmenter(params(), FRAME)
    events = seg.process(probs(pattern))
    got = seg.open_segment()
    assert got == (None if open_span is None else pytest.approx(open_span))
    assert seg.next_start_s == pytest.approx(next_start)
    assert seg.open_segment() == got  # asking changes nothing
    closing = seg.finish()
    if got is None:
        assert all(e.kind != "end" for e in closing)
    else:
        starts = [e.time_s for e in events + closing if e.kind == "start"]
        assert (starts[-1], closing[-1].time_s) == got
        assert closing[-1].kind == "end"


# --- the tracker: find_segments of a growing stream --------------------------------------------

TRACKER_PARAMS = [
    params(),
    params(pad=100),  # padded segments apart
    params(pad=200),  # 2 x pad >= min_silence: ended segments merge with the next
    params(speech=0, silence=0),
    params(silence=0, pad=300),
    params(threshold=0.35, pad=50),
]
PATTERNS = [
    "",
    "SSS..SSS....S.SSSS......SS....",
    "..SSSS",
    "S.S.S.S.S.S",
    "SSSmmllm..SS..",
    "SSS...SSS...SSS...SSS.......SSSS",
    "......SSSSSSSSSSSSSSSSSSSS",
]


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("p", TRACKER_PARAMS)
@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_tracker_equals_a_whole_pass_after_every_chunk(pattern: str, p: VadParams, chunk: int) -> None:
    values = probs(pattern)
    tracker = SegmentTracker(p, FRAME)
    for end in range(chunk, len(values) + chunk, chunk):
        tracker.process(values[end - chunk : end])
        seen = values[:end]
        assert tracker.segments() == find_segments(seen, FRAME, p)
        assert tracker.covered_s == pytest.approx(len(seen) * FRAME)
        assert tracker.final_count <= len(tracker.segments())


@pytest.mark.parametrize("pattern", PATTERNS[1:])
@pytest.mark.parametrize("p", TRACKER_PARAMS)
def test_tracker_clips_to_a_zero_padded_last_frame_like_a_whole_pass(pattern: str, p: VadParams) -> None:
    values = probs(pattern)
    duration = (len(values) - 0.7) * FRAME  # the last frame holds 30 ms of audio and 70 ms of padding
    tracker = SegmentTracker(p, FRAME)
    tracker.process(values[:-1])
    tracker.process(values[-1:], audio_end_s=duration)
    assert tracker.segments(duration) == find_segments(values, FRAME, p, duration_s=duration)


def test_tracker_equals_a_whole_pass_on_random_streams() -> None:
    rng = random.Random(7)
    for _ in range(400):
        p = params(
            speech=rng.choice([0, 100, 300]), silence=rng.choice([0, 100, 300, 500]), pad=rng.choice([0, 30, 200, 400])
        )
        values = [rng.choice([0.0, 0.0, 0.3, 0.4, 0.9, 0.9]) for _ in range(rng.randrange(60))]
        tracker = SegmentTracker(p, FRAME)
        done = 0
        while done < len(values):
            step = rng.randrange(1, 6)
            tracker.process(values[done : done + step])
            done = min(len(values), done + step)
            assert tracker.segments() == find_segments(values[:done], FRAME, p), (p, values[:done])
            first = rng.randrange(tracker.final_count + 1)
            assert tracker.segments(first=first) == tracker.segments()[first:]


def test_tracker_sets_finished_segments_aside() -> None:
    # a long stream of separate questions: only the newest segments are ever looked at again
    tracker = SegmentTracker(params(pad=100), FRAME)
    for n in range(1, 201):
        tracker.process(probs("SSSS......"))
        assert tracker.final_count == n
        assert len(tracker.segments()) == n
    tracker.process(probs("SSSS"))  # speech going on: not final, but already a segment
    assert (tracker.final_count, len(tracker.segments())) == (200, 201)


@pytest.mark.parametrize(
    ("p", "pattern", "final", "segments"),
    [
        # 2 x pad = 400 ms >= min_silence: the ended segment (padded 0.0-0.5) may merge with speech to come
        (params(pad=200), "SSS...", 0, [(0.0, 0.5)]),
        (params(pad=200), "SSS....", 0, [(0.0, 0.5)]),  # speech from 0.7 s on pads back to 0.5: they touch
        (params(pad=200), "SSS.....", 1, [(0.0, 0.5)]),  # any speech to come starts past its padded end
        (params(pad=200), "SSS.....SS", 1, [(0.0, 0.5)]),  # ... a blip changes nothing
        (params(pad=200), "SSS...SSS", 0, [(0.0, 0.9)]),  # speech came back in time: they merged
        # a padded end past the audio is clipped there until the audio runs past it
        (params(pad=400), "SSS...", 0, [(0.0, 0.6)]),
        (params(pad=400), "SSS..........", 1, [(0.0, 0.7)]),
        (params(pad=0), "SSS...", 1, [(0.0, 0.3)]),
    ],
)
def test_tracker_sets_a_segment_aside_only_once_it_cannot_change(
    p: VadParams, pattern: str, final: int, segments: list[tuple[float, float]]
) -> None:
    tracker = SegmentTracker(p, FRAME)
    tracker.process(probs(pattern))
    assert tracker.final_count == final
    assert [(s.start_s, s.end_s) for s in tracker.segments()] == [pytest.approx(e) for e in segments]
