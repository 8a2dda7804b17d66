"""Embeddings from a sentence-transformers model folder (bge-m3, gte-small: seed 4), run with transformers.

Needs the optional `[transformers]` extra (torch + transformers), imported only here when such a model
is loaded. The sentence-transformers package itself is not needed: this reads the folder's own
description of the model (`1_Pooling/config.json`: CLS or mean pooling; `config_sentence_transformers.json`:
the query/passage prompts) and applies it, then L2-normalises as the `EmbeddingModel` contract asks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.options import EmbedderOptions, options_for

#: tokens per text; bge-m3 takes 8192, but memories are sentences and attention cost is quadratic
MAX_TOKENS = 512
BATCH = 32


@dataclass(frozen=True)
class StLayout:
    """How a sentence-transformers folder says to turn token states into one vector."""

    pooling: str = "mean"  # "mean" or "cls"
    query_prompt: str = ""
    passage_prompt: str = ""


def read_layout(folder: Path) -> StLayout:
    """The pooling and prompts a sentence-transformers folder declares (mean pooling and no prompts when silent)."""
    pooling = "mean"
    pool_file = folder / "1_Pooling" / "config.json"
    if pool_file.is_file():
        conf = json.loads(pool_file.read_text(encoding="utf-8"))
        if conf.get("pooling_mode_cls_token"):
            pooling = "cls"
        elif not conf.get("pooling_mode_mean_tokens", True):
            raise ModelUnavailableError(
                f"{folder}: only CLS or mean pooling is supported, not {sorted(k for k, v in conf.items() if v)}"
            )
    prompts: dict[str, str] = {}
    st_file = folder / "config_sentence_transformers.json"
    if st_file.is_file():
        prompts = dict(json.loads(st_file.read_text(encoding="utf-8")).get("prompts") or {})
    return StLayout(
        pooling=pooling,
        query_prompt=str(prompts.get("query", "")),
        passage_prompt=str(prompts.get("passage", prompts.get("document", ""))),
    )


class SentenceTransformerEmbedder:
    """An `EmbeddingModel` over a transformers encoder with the folder's pooling."""

    def __init__(self, tokenizer: Any, model: Any, model_id: str, layout: StLayout, device: str) -> None:
        self._tokenizer = tokenizer
        self._model = model
        self.model_id = model_id
        self.layout = layout
        self.dim: int = int(model.config.hidden_size)
        self._device = device
        # one forward pass at a time: torch's intra-op threads already use the cores
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        """(len(texts), dim) L2-normalised float32 embeddings."""
        import torch

        prompt = self.layout.query_prompt if query else self.layout.passage_prompt
        items = [prompt + t for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts: list[npt.NDArray[np.float32]] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(items), BATCH):
                batch = self._tokenizer(
                    items[start : start + BATCH],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                batch = {k: v.to(self._device) for k, v in batch.items()}
                states = self._model(**batch).last_hidden_state
                if self.layout.pooling == "cls":
                    pooled = states[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                    pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                parts.append(pooled.float().cpu().numpy())
        out = np.concatenate(parts).astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise StageError("embeddings", f"{self.model_id} returned non-finite values")
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: npt.NDArray[np.float32] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised


def load_model(provider: ModelProvider, options: EmbedderOptions | None = None) -> SentenceTransformerEmbedder:
    """Load the sentence-transformers folder at `provider.path` (offline) on the CPU, or CUDA when present."""
    opts = options_for(EmbedderOptions, options, provider.manifest.id)
    path = Path(provider.path)
    if not (path / "config.json").is_file():
        raise ModelUnavailableError(
            f"model {provider.manifest.id}: {path} is not a transformers model folder (no config.json)",
            hint=f"put the model's folder there, or `sova models add FOLDER --manifest {provider.manifest.id}`",
        )
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the sentence-transformers embeddings need the Python package {exc.name!r}, which is not installed",
            hint="install the extra: `.venv/bin/pip install -e .[transformers]`",
        ) from exc
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if opts.threads > 0 and device == "cpu":
        torch.set_num_threads(opts.threads)
    layout = read_layout(path)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(
            f"model {provider.manifest.id}: transformers cannot load {path}: {exc}",
            hint="the folder needs config.json, the tokenizer files and the weights",
        ) from exc
    model.eval()
    model.to(device)
    return SentenceTransformerEmbedder(tokenizer, model, provider.manifest.id, layout, device)
