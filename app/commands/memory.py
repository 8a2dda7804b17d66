"""`sova memory list | search | forget | export | reindex`: what Sova remembers about you, and control over it."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from tqdm import tqdm

from app.paths import AppPaths
from app.wiring import open_registry
from engine.config import SovaConfig
from engine.errors import SovaError
from engine.memory.service import MemoryService, memory_json, write_export
from engine.memory.setup import MEMORY_DB, open_embedder, open_service
from engine.memory.store import MemoryStore
from engine.memory.types import MemoryHit, MemoryItem

OFF_NOTE = "memory is off ([memory] enabled = false): nothing new is stored or recalled; this is what was stored before"


def run_memory(config: SovaConfig, args: argparse.Namespace) -> int:
    """Dispatch `sova memory ACTION`."""
    paths = AppPaths.from_config(config)
    if not config.memory.enabled and args.memory_command in ("list", "search"):
        print(OFF_NOTE, file=sys.stderr)
    action = args.memory_command
    if action in ("list", "forget", "export"):
        # these need no embedding model: open the file alone (never moving a damaged one aside here)
        store = MemoryStore(paths.data_dir / MEMORY_DB)
        try:
            if action == "list":
                return _list(store.items(), args.json)
            if action == "forget":
                return _forget(store, args)
            count = _export(store, args)
            print(f"wrote {count} memories to {args.file}")
            return 0
        finally:
            store.close()
    registry, _ = open_registry(config)
    service = open_service(config, open_embedder(config, registry, paths.cache_dir), paths.data_dir, quarantine=False)
    try:
        if action == "search":
            return _search(service, args.query, args.json)
        return _reindex(service)
    finally:
        service.close()


def _line(item: MemoryItem, score: float | None = None) -> str:
    date = datetime.fromtimestamp(item.created_at).strftime("%Y-%m-%d %H:%M")
    head = f"#{item.id:<5} {item.kind:7} {date}"
    if score is not None:
        head += f"  score {score:.4f}"
    state = f"  (superseded by #{item.superseded_by})" if item.superseded_by is not None else ""
    quote = f'\n        said: "{item.source_quote}"' if item.source_quote and item.source_quote != item.text else ""
    return f"{head}  {item.text}{state}{quote}"


def _print_json(rows: list[dict[str, Any]]) -> None:
    print(json.dumps(rows, ensure_ascii=False, indent=2))


def _list(items: list[MemoryItem], as_json: bool) -> int:
    if as_json:
        _print_json([memory_json(i) for i in items])
        return 0
    if not items:
        print("nothing is stored yet")
        return 0
    for item in items:
        print(_line(item))
    current = sum(1 for i in items if i.current)
    print(f"{len(items)} memories ({current} current)")
    return 0


def _search(service: MemoryService, query: str, as_json: bool) -> int:
    hits: list[MemoryHit] = service.search(query)
    if as_json:
        _print_json([memory_json(h.item, h.score) for h in hits])
        return 0
    if not hits:
        print(f"no stored memory is relevant to {query!r}")
        return 0
    for hit in hits:
        print(_line(hit.item, hit.score))
    return 0


def _forget(store: MemoryStore, args: argparse.Namespace) -> int:
    if args.all:
        print(f"forgot {store.forget_all()} memories")
        return 0
    if not store.forget(args.id):
        raise SovaError(f"there is no memory #{args.id}", hint="`sova memory list` shows the ids")
    print(f"forgot memory #{args.id}")
    return 0


def _export(store: MemoryStore, args: argparse.Namespace) -> int:
    try:
        return write_export(store.items(), args.file)
    except OSError as exc:
        raise SovaError(f"cannot write {args.file}: {exc}", hint="choose a writable path") from exc


def _reindex(service: MemoryService) -> int:
    bar = tqdm(total=0, unit="memory", desc=f"re-embedding with {service.model_id}", file=sys.stderr)
    try:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        count = service.reindex(progress, everything=True)
    finally:
        bar.close()
    print(f"re-embedded {count} memories with {service.model_id}")
    return 0
