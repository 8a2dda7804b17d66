"""Silero VAD v6 (ONNX) through faster-whisper's onnxruntime wrapper: no torch."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.audio.resample import WHISPER_RATE, to_whisper_input
from engine.audio.types import Audio
from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.base import SpeechSegment
from engine.stages.vad.segmenter import VadParams, find_segments

#: samples per probability frame at 16 kHz (the v6 model's window)
WINDOW = 512


class SileroVAD:
    """Speech probability per 32 ms frame of 16 kHz audio (other rates are resampled first)."""

    frame_s: float = WINDOW / WHISPER_RATE

    def __init__(self, path: Path) -> None:
        try:
            from faster_whisper.vad import SileroVADModel

            # one thread, no memory arena: tiny model, and the cores belong to Whisper and the LLM
            self._model = SileroVADModel(str(path))
        except Exception as exc:  # onnxruntime raises its own types for a bad file
            raise ModelUnavailableError(
                f"cannot load the Silero VAD model at {path}: {exc}",
                hint="reinstall it with `sova models install-defaults`",
            ) from exc

    def speech_probabilities(self, audio: Audio) -> npt.NDArray[np.float32]:
        """One probability per `frame_s` frame; the last frame is zero-padded."""
        samples = to_whisper_input(audio).samples
        if len(samples) == 0:
            return np.zeros(0, dtype=np.float32)
        # np.pad copies: the wrapper writes into its input while building the context windows
        padded = np.pad(samples, (0, -len(samples) % WINDOW))
        try:
            probs = self._model(padded, num_samples=WINDOW)
        except Exception as exc:
            raise StageError("vad", f"speech detection failed: {exc}") from exc
        return np.asarray(probs, dtype=np.float32).reshape(-1)

    def speech_segments(self, audio: Audio, params: VadParams) -> list[SpeechSegment]:
        """Padded, merged speech segments of `audio` (empty when it holds no speech)."""
        return find_segments(self.speech_probabilities(audio), self.frame_s, params, duration_s=audio.duration_s)

    def close(self) -> None:
        """Nothing to release beyond the session, which goes with the object."""


def load_model(provider: ModelProvider, options: Mapping[str, Any]) -> SileroVAD:
    """Load the ONNX file at `provider.path` (options are unused: one thread is plenty)."""
    return SileroVAD(provider.path)
