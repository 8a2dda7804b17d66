"""The one in-memory audio type that crosses stage boundaries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] with their sample rate.

    Stages agree on this shape so that nothing guesses a rate: Whisper and the VAD want 16 kHz,
    Piper produces 22.05 kHz, espeak-ng 22.05 kHz; conversions are explicit (`engine.audio.resample`).
    """

    samples: npt.NDArray[np.float32]
    sample_rate: int

    def __post_init__(self) -> None:
        if self.samples.ndim != 1:
            raise ValueError("Audio.samples must be mono (1-D)")
        if self.samples.dtype != np.float32:
            raise ValueError("Audio.samples must be float32")
        if self.sample_rate <= 0:
            raise ValueError("Audio.sample_rate must be positive")

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    @classmethod
    def empty(cls, sample_rate: int) -> Audio:
        """Zero-length audio at `sample_rate`."""
        return cls(np.zeros(0, dtype=np.float32), sample_rate)

    def to_int16(self) -> npt.NDArray[np.int16]:
        """Samples as 16-bit PCM (clipped)."""
        return (np.clip(self.samples, -1.0, 1.0) * 32767.0).astype(np.int16)
