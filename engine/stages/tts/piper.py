"""Piper neural voices (ONNX): one voice per model file, 22.05 kHz for the medium voices.

piper-tts is GPL-3.0-or-later. Its phonemizer embeds its own copy of espeak-ng (with its own data),
statically linked into `piper.espeakbridge` and loaded privately, so it does not share state with
`engine.stages.tts.espeak`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.audio.types import Audio
from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.options import TTSOptions, options_for

_LOG = logging.getLogger(__name__)


class PiperSynthesizer:
    """A loaded Piper voice; implements `SpeechSynthesizer` plus per-sentence streaming."""

    def __init__(self, voice: Any, model_id: str, *, speed: float = 1.0) -> None:
        from piper import SynthesisConfig

        if speed <= 0:
            raise ValueError("speed must be positive")
        self._voice = voice
        self.model_id = model_id
        self.sample_rate: int = int(voice.config.sample_rate)
        self.speed = speed
        # Piper's length_scale stretches phoneme durations: faster speech is a smaller scale.
        self._syn_config = SynthesisConfig(length_scale=voice.config.length_scale / speed)

    def synthesize_stream(self, text: str) -> Iterator[Audio]:
        """Yield one `Audio` per sentence, as Piper produces them (nothing for blank text)."""
        if not text.strip():
            return
        try:
            for chunk in self._voice.synthesize(text, self._syn_config):
                samples = np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
                yield Audio(samples, int(chunk.sample_rate))
        except StageError:
            raise
        except Exception as exc:  # onnxruntime and the phonemizer raise many unrelated types
            raise StageError(
                "tts",
                f"Piper voice {self.model_id} failed to speak: {exc}",
                hint="check the text; reinstall the voice if it persists",
            ) from exc

    def synthesize(self, text: str) -> Audio:
        """Speak `text` (all its sentences, joined) as float32 mono at `sample_rate`."""
        parts = [a.samples for a in self.synthesize_stream(text)]
        if not parts:
            return Audio.empty(self.sample_rate)
        return Audio(np.concatenate(parts), self.sample_rate)

    def close(self) -> None:
        """Drop the ONNX session so its memory can be freed."""
        self._voice = None


def _cuda_available() -> bool:
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def load_model(provider: ModelProvider, options: TTSOptions | None = None) -> PiperSynthesizer:
    """Load the Piper voice at `provider.path` (its config is `<model>.onnx.json` beside it).

    `options`: see `TTSOptions` (None: its defaults); without onnxruntime's CUDA provider
    `use_cuda` falls back to the CPU, with a log line.
    """
    opts = options_for(TTSOptions, options, provider.manifest.id)
    model_path = Path(provider.path)
    config_path = model_path.with_name(model_path.name + ".json")
    model_id = provider.manifest.id
    if not model_path.is_file() or not config_path.is_file():
        raise ModelUnavailableError(
            f"Piper voice {model_id}: expected {model_path} and {config_path}",
            hint="a Piper voice is two files, the .onnx model and its .onnx.json config, in one folder",
        )
    speed = float(opts.speed)
    use_cuda = bool(opts.use_cuda)
    if use_cuda and not _cuda_available():
        _LOG.info("Piper %s: onnxruntime has no CUDA provider; using the CPU", model_id)
        use_cuda = False
    try:
        from piper import PiperVoice

        voice = PiperVoice.load(model_path, config_path=config_path, use_cuda=use_cuda)
        return PiperSynthesizer(voice, model_id, speed=speed)
    except Exception as exc:  # onnxruntime's load errors share no base class narrower than Exception
        raise StageError(
            "tts", f"cannot load Piper voice {model_id} from {model_path}: {exc}", hint="reinstall the voice"
        ) from exc
