"""Speech start/end from per-frame speech probabilities: a pure state machine, no model, no audio.

The rules follow Silero's own `get_speech_timestamps` (and Home Assistant's VoiceCommandSegmenter):

- speech starts at a frame whose probability is >= `threshold`;
- it ends at the first frame below `threshold - 0.15` (hysteresis) once `min_silence_ms` of such
  silence has passed; a frame >= `threshold` before then bridges the pause. Frames between the two
  thresholds continue speech but never start it;
- a stretch shorter than `min_speech_ms` (pauses included) is a blip and is dropped; so a "start"
  event is only emitted once the stretch is that long;
- `find_segments` pads each segment by `speech_pad_ms`, clips to the audio and merges overlaps;
  `SegmentTracker` gives the same answer for a stream that grows, at a constant cost per frame.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from engine.stages.base import SpeechSegment

if TYPE_CHECKING:
    from engine.config import VADSection

_EPS = 1e-6  # so 300 ms / 0.1 s frames is 3 frames, not 4, despite float rounding


@dataclass(frozen=True)
class VadParams:
    """Segmentation settings (config `[audio.vad]`)."""

    threshold: float = 0.5
    min_speech_ms: int = 250
    min_silence_ms: int = 500
    speech_pad_ms: int = 200
    hysteresis: float = 0.15

    @property
    def neg_threshold(self) -> float:
        """Below this a frame is silence; between it and `threshold` speech goes on."""
        return max(self.threshold - self.hysteresis, 0.01)

    @classmethod
    def from_config(cls, section: VADSection) -> VadParams:
        """The parameters of a `[audio.vad]` config section."""
        return cls(
            threshold=section.threshold,
            min_speech_ms=section.min_speech_ms,
            min_silence_ms=section.min_silence_ms,
            speech_pad_ms=section.speech_pad_ms,
        )


@dataclass(frozen=True)
class SegmentEvent:
    """Speech started or ended at `time_s` (seconds from the start of the stream)."""

    kind: Literal["start", "end"]
    time_s: float


def _frames(ms: int, frame_s: float) -> int:
    return max(0, math.ceil(ms / 1000.0 / frame_s - _EPS))


class VoiceSegmenter:
    """Feed probabilities as they come (`process`), then `finish()` at the end of the audio."""

    def __init__(self, params: VadParams, frame_s: float, *, offset_s: float = 0.0) -> None:
        if frame_s <= 0:
            raise ValueError("frame_s must be positive")
        self.params = params
        self.frame_s = frame_s
        self.offset_s = offset_s
        self._min_speech = _frames(params.min_speech_ms, frame_s)
        self._min_silence = _frames(params.min_silence_ms, frame_s)
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next frame is frame 0."""
        self._frame = 0
        self._start: int | None = None  # first frame of the stretch being considered
        self._silence_start: int | None = None  # first silent frame after it, while the pause lasts
        self._confirmed = False  # the stretch is long enough and its "start" was emitted

    @property
    def in_speech(self) -> bool:
        """Whether a (confirmed) speech segment is open."""
        return self._confirmed

    @property
    def frames_seen(self) -> int:
        """Frames processed since creation or `reset`."""
        return self._frame

    @property
    def next_start_s(self) -> float:
        """No segment still to come starts before this time (the open stretch's start, else the next frame)."""
        return self._time(self._start if self._start is not None else self._frame)

    def _time(self, frame: int) -> float:
        return self.offset_s + frame * self.frame_s

    def _open_end(self) -> int | None:
        """The end frame `finish()` would give the open stretch now; None when it would drop it."""
        if self._start is None:
            return None
        end = self._silence_start if self._silence_start is not None else self._frame
        return end if self._confirmed or end - self._start >= self._min_speech else None

    def open_segment(self) -> tuple[float, float] | None:
        """The (start, end) `finish()` would close now, without closing it: what a pass ending here sees."""
        end = self._open_end()
        return None if end is None or self._start is None else (self._time(self._start), self._time(end))

    def _close(self, end_frame: int, events: list[SegmentEvent]) -> None:
        if self._confirmed:
            events.append(SegmentEvent("end", self._time(end_frame)))
        self._start = None
        self._silence_start = None
        self._confirmed = False

    def process(self, probs: Iterable[float]) -> list[SegmentEvent]:
        """Consume the next frames' probabilities; the events they complete."""
        thr, neg = self.params.threshold, self.params.neg_threshold
        events: list[SegmentEvent] = []
        for prob in probs:
            i = self._frame
            self._frame += 1
            if self._start is None:
                if prob < thr:
                    continue
                self._start, self._silence_start, self._confirmed = i, None, False
            elif prob >= thr:
                self._silence_start = None
            elif prob < neg and self._silence_start is None:
                self._silence_start = i
            if self._silence_start is None:
                if not self._confirmed and i + 1 - self._start >= self._min_speech:
                    self._confirmed = True
                    events.append(SegmentEvent("start", self._time(self._start)))
            elif i + 1 - self._silence_start >= self._min_silence:
                self._close(self._silence_start, events)
        return events

    def finish(self) -> list[SegmentEvent]:
        """The audio ended: close speech still open (a long-enough trailing stretch counts)."""
        events: list[SegmentEvent] = []
        end = self._open_end()
        if end is not None and self._start is not None and not self._confirmed:
            self._confirmed = True
            events.append(SegmentEvent("start", self._time(self._start)))
        if self._start is not None:
            self._close(end if end is not None else self._frame, events)
        return events


def pad_and_merge(raw: Iterable[tuple[float, float]], pad_s: float, duration_s: float) -> list[SpeechSegment]:
    """Pad each (start, end) by `pad_s`, clip to [0, duration_s], merge overlapping or touching ones."""
    merged: list[list[float]] = []
    for start, end in sorted(raw):
        s, e = max(0.0, start - pad_s), min(duration_s, end + pad_s)
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [SpeechSegment(s, e) for s, e in merged]


def find_segments(
    probs: Iterable[float], frame_s: float, params: VadParams, *, duration_s: float | None = None
) -> list[SpeechSegment]:
    """Speech segments of a whole clip, padded and merged; `duration_s` defaults to frames x frame_s."""
    segmenter = VoiceSegmenter(params, frame_s)
    events = segmenter.process(probs) + segmenter.finish()
    starts = [e.time_s for e in events if e.kind == "start"]
    ends = [e.time_s for e in events if e.kind == "end"]
    total = duration_s if duration_s is not None else segmenter.frames_seen * frame_s
    return pad_and_merge(zip(starts, ends, strict=True), params.speech_pad_ms / 1000.0, total)


class SegmentTracker:
    """`find_segments` for a growing stream: feed probabilities as they come, ask for segments any time.

    `segments(d)` after n frames equals `find_segments(first n probabilities, duration_s=d)`. Segments
    no later frame can change (no longer clipped at the end, too far before any speech still to come
    to merge with it) are set aside once, so a frame costs the same however long the stream is.
    """

    def __init__(self, params: VadParams, frame_s: float) -> None:
        self._segmenter = VoiceSegmenter(params, frame_s)
        self._pad = params.speech_pad_ms / 1000.0
        self._final: list[SpeechSegment] = []
        self._closed: list[tuple[float, float]] = []  # ended segments, unpadded, not yet final
        self._open_start: float | None = None

    @property
    def frame_s(self) -> float:
        """Seconds per probability frame."""
        return self._segmenter.frame_s

    @property
    def frames_seen(self) -> int:
        """Frames processed so far."""
        return self._segmenter.frames_seen

    @property
    def covered_s(self) -> float:
        """Seconds of audio the frames so far cover."""
        return self._segmenter.frames_seen * self._segmenter.frame_s

    @property
    def final_count(self) -> int:
        """How many leading entries of `segments()` no later frame can change."""
        return len(self._final)

    def process(self, probs: Iterable[float], *, audio_end_s: float | None = None) -> None:
        """Consume the next frames; `audio_end_s` when the last one is zero-padded past the audio's end."""
        for event in self._segmenter.process(probs):
            if event.kind == "start":
                self._open_start = event.time_s
            elif self._open_start is not None:
                self._closed.append((self._open_start, event.time_s))
                self._open_start = None
        end = self.covered_s if audio_end_s is None else min(audio_end_s, self.covered_s)
        self._set_aside(end)

    def _set_aside(self, audio_end_s: float) -> None:
        # a segment to come starts at or after next_start_s, so its padded start is at least `horizon`:
        # a padded group ending before that never merges again, and one inside the audio is never clipped
        horizon = max(0.0, self._segmenter.next_start_s - self._pad)
        final = list(
            itertools.takewhile(
                lambda g: g.end_s < horizon and g.end_s <= audio_end_s,
                pad_and_merge(self._closed, self._pad, math.inf),
            )
        )
        if final:
            self._final += final
            self._closed = [c for c in self._closed if c[1] + self._pad > final[-1].end_s]

    def segments(self, duration_s: float | None = None, *, first: int = 0) -> list[SpeechSegment]:
        """Padded, merged segments of the audio so far (`duration_s`, default the frames' span), as a pass would.

        `first` skips that many leading segments (final ones a caller has already dealt with).
        """
        tail = list(self._closed)
        open_span = self._segmenter.open_segment()
        if open_span is not None:
            tail.append(open_span)
        total = duration_s if duration_s is not None else self.covered_s
        return self._final[first:] + pad_and_merge(tail, self._pad, total)
