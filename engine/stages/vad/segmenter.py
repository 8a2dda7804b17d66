"""Speech start/end from per-frame speech probabilities: a pure state machine, no model, no audio.

The rules follow Silero's own `get_speech_timestamps` (and Home Assistant's VoiceCommandSegmenter):

- speech starts at a frame whose probability is >= `threshold`;
- it ends at the first frame below `threshold - 0.15` (hysteresis) once `min_silence_ms` of such
  silence has passed; a frame >= `threshold` before then bridges the pause. Frames between the two
  thresholds continue speech but never start it;
- a stretch shorter than `min_speech_ms` (pauses included) is a blip and is dropped; so a "start"
  event is only emitted once the stretch is that long;
- `find_segments` pads each segment by `speech_pad_ms`, clips to the audio and merges overlaps.
"""

from __future__ import annotations

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

    def _time(self, frame: int) -> float:
        return self.offset_s + frame * self.frame_s

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
        if self._start is not None:
            end = self._silence_start if self._silence_start is not None else self._frame
            if not self._confirmed and end - self._start >= self._min_speech:
                self._confirmed = True
                events.append(SegmentEvent("start", self._time(self._start)))
            self._close(end, events)
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
