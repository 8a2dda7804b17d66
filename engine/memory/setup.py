"""Building the memory from the config: the store in the data dir, the configured embedder behind its cache."""

from __future__ import annotations

from pathlib import Path

from engine.config import SovaConfig
from engine.memory.embedding import CachedEmbedder, EmbeddingModel, model_version
from engine.memory.recall import Gate
from engine.memory.service import MemoryService, MemoryWriter
from engine.memory.store import MemoryStore
from engine.registry.checksum import path_fingerprint
from engine.registry.registry import Registry
from engine.stages.options import EmbedderOptions

#: the memory database's file name in the data dir (beside history.sqlite3)
MEMORY_DB = "memory.sqlite3"
#: the embedding cache's folder under the cache dir
EMBEDDING_CACHE = "embeddings"


def gate_from(config: SovaConfig) -> Gate:
    """The abstention gate's settings from [memory]."""
    return Gate(min_margin=config.memory.min_margin, fts_margin=config.memory.fts_margin)


def open_embedder(config: SovaConfig, registry: Registry, cache_dir: Path) -> EmbeddingModel:
    """The main embeddings model ([embeddings.main]), behind the disk cache when [memory] embedding_cache is on."""
    provider = registry.get(config.embeddings.main.id)
    inner: EmbeddingModel = provider.load(EmbedderOptions())
    if not config.memory.embedding_cache:
        return inner
    try:
        fingerprint = path_fingerprint(provider.path)
    except OSError:
        fingerprint = ""
    version = model_version(provider.manifest.revision, provider.manifest.checksum_sha256, fingerprint)
    return CachedEmbedder(inner, cache_dir / EMBEDDING_CACHE, version=version)


def open_service(
    config: SovaConfig,
    embedder: EmbeddingModel,
    data_dir: Path,
    *,
    writer: MemoryWriter | None = None,
    quarantine: bool = True,
) -> MemoryService:
    """The memory service over `data_dir/memory.sqlite3`.

    `quarantine`: a damaged file is moved aside and an empty memory started (see `MemoryStore.quarantined`);
    a locked one raises `MemoryStoreError` either way.
    """
    path = data_dir / MEMORY_DB
    store = MemoryStore.open_or_quarantine(path) if quarantine else MemoryStore(path)
    return MemoryService(store, embedder, top_k=config.memory.recall_top_k, writer=writer, gate=gate_from(config))
