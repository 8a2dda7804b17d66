"""Silero VAD v6 (ONNX) through faster-whisper's onnxruntime session: no torch.

The model scores 512-sample windows of 16 kHz audio, each with the 64 samples before it as context,
and carries an LSTM state from window to window. `SileroStream` keeps both between calls, so a
recording that grows while the key is held is scored once per window; a whole clip is one stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.audio.resample import WHISPER_RATE, to_whisper_input
from engine.audio.types import Audio
from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.base import SpeechSegment
from engine.stages.options import LoadOptions
from engine.stages.vad.segmenter import VadParams, find_segments

#: samples per probability frame at 16 kHz (the v6 model's window)
WINDOW = 512
#: samples of the previous window each window is scored with
CONTEXT = 64
#: windows per session call: bounds the input tensor on long audio (faster-whisper's own block)
BLOCK = 10_000
_STATE_SHAPE = (1, 1, 128)


class SileroStream:
    """Speech probabilities of 16 kHz audio that arrives in pieces; each window is scored once.

    `push` returns the probabilities of the windows its samples complete (the leftover waits for the
    next push); `flush` scores the zero-padded last window and ends the stream. Pushing a clip in any
    split gives the probabilities of one pass over it. Not thread-safe: one caller at a time.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        self._h = np.zeros(_STATE_SHAPE, np.float32)
        self._c = np.zeros(_STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)  # the last samples of the previous window
        self._pending = np.zeros(0, np.float32)  # samples that do not fill a window yet
        self._ended = False
        self.samples_in = 0

    @property
    def samples_scored(self) -> int:
        """Samples covered by the windows scored so far (zero padding excluded)."""
        return self.samples_in - len(self._pending)

    def push(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Add 16 kHz mono samples; the probabilities of the windows now complete."""
        if self._ended:
            raise StageError("vad", "speech detection was already finished for this audio")
        self.samples_in += len(samples)
        buffer = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        whole = len(buffer) - len(buffer) % WINDOW
        self._pending = buffer[whole:].copy()
        return self._score(buffer[:whole])

    def flush(self) -> npt.NDArray[np.float32]:
        """The audio ended: the probability of the zero-padded last window, if samples were left over."""
        self._ended = True
        if len(self._pending) == 0:
            return np.zeros(0, np.float32)
        last = np.pad(self._pending, (0, WINDOW - len(self._pending)))
        self._pending = np.zeros(0, np.float32)
        return self._score(last)

    def _score(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        windows = samples.reshape(-1, WINDOW)
        out: list[npt.NDArray[np.float32]] = []
        for i in range(0, len(windows), BLOCK):
            block = windows[i : i + BLOCK]
            contexts = np.concatenate([self._context[None, :], block[:-1, -CONTEXT:]])
            batch = np.ascontiguousarray(np.concatenate([contexts, block], axis=1))
            try:
                probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
            except Exception as exc:  # onnxruntime raises its own types
                raise StageError("vad", f"speech detection failed: {exc}") from exc
            self._context = block[-1, -CONTEXT:].copy()
            out.append(np.asarray(probs, np.float32).reshape(-1))
        return np.concatenate(out) if out else np.zeros(0, np.float32)


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

    def stream(self) -> SileroStream:
        """A fresh stream for one recording (its own state; the session is shared and thread-safe)."""
        return SileroStream(self._model.session)

    def speech_probabilities(self, audio: Audio) -> npt.NDArray[np.float32]:
        """One probability per `frame_s` frame; the last frame is zero-padded."""
        stream = self.stream()
        probs = stream.push(to_whisper_input(audio).samples)
        return np.concatenate([probs, stream.flush()])

    def speech_segments(self, audio: Audio, params: VadParams) -> list[SpeechSegment]:
        """Padded, merged speech segments of `audio` (empty when it holds no speech)."""
        return find_segments(self.speech_probabilities(audio), self.frame_s, params, duration_s=audio.duration_s)

    def close(self) -> None:
        """Nothing to release beyond the session, which goes with the object."""


def load_model(provider: ModelProvider, options: LoadOptions = None) -> SileroVAD:
    """Load the ONNX file at `provider.path` (there are no VAD options: one thread is plenty)."""
    return SileroVAD(provider.path)
