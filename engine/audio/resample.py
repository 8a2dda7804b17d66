"""Explicit sample-rate conversion (soxr), so no stage ever guesses a rate."""

from __future__ import annotations

import numpy as np
import soxr

from engine.audio.types import Audio

#: the rate Whisper and Silero VAD expect
WHISPER_RATE = 16_000


def resample(audio: Audio, rate: int) -> Audio:
    """`audio` at `rate` Hz; the same object when it is already at that rate."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    if audio.sample_rate == rate:
        return audio
    if len(audio.samples) == 0:
        return Audio.empty(rate)
    # HQ is transparent for speech and much cheaper than VHQ on long replies
    out = soxr.resample(audio.samples, audio.sample_rate, rate, quality="HQ")
    return Audio(np.ascontiguousarray(out, dtype=np.float32), rate)


def to_whisper_input(audio: Audio) -> Audio:
    """16 kHz mono, what Whisper and the VAD take."""
    return resample(audio, WHISPER_RATE)
