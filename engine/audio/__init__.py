"""Audio sources, sinks, the `Audio` type and resampling."""

from engine.audio.types import Audio

__all__ = ["Audio"]
