"""The VAD segmenter: a pure state machine over per-frame probabilities, tested by tables."""

from __future__ import annotations

import pytest

from engine.stages.base import SpeechSegment
from engine.stages.vad.segmenter import SegmentEvent, VadParams, VoiceSegmenter, find_segments, pad_and_merge

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
