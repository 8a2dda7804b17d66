"""The memory facade the turn, the window and `sova memory` use: recall, search, remember, edit, export, reindex."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from engine.fileio import write_atomic
from engine.memory.embedding import EmbeddingModel
from engine.memory.entities import entity_facts
from engine.memory.recall import Gate, Recaller, asks_about_conversations, notes
from engine.memory.relations import answer_filter
from engine.memory.slots import asked_slots
from engine.memory.store import MemoryStore
from engine.memory.types import Exchange, MemoryHit, MemoryItem, MemoryKind, Recall, recall_passage
from engine.memory.unknown import asks_personal_fact

#: texts embedded per call while reindexing
REINDEX_BATCH = 32


class MemoryWriter(Protocol):
    """What turns a finished exchange into stored memories (engine/memory's writer)."""

    def remember(self, exchange: Exchange) -> object:
        """Extract and store what the exchange told about the user."""
        ...


def memory_json(item: MemoryItem, score: float | None = None) -> dict[str, Any]:
    """A memory as `sova memory list/search --json` and `export` write it."""
    data: dict[str, Any] = {
        "id": item.id,
        "text": item.text,
        "kind": item.kind,
        "created_at": datetime.fromtimestamp(item.created_at).astimezone().isoformat(timespec="seconds"),
        "source_quote": item.source_quote,
        "superseded_by": item.superseded_by,
        "language": item.language,
        "subject": item.subject,
        "entities": list(item.entities),
        "entity_type": item.entity_type,
        "conversation_id": item.conversation_id,
        "turn_id": item.turn_id,
    }
    if score is not None:
        data["score"] = round(score, 6)
    return data


def write_export(items: list[MemoryItem], path: Path) -> int:
    """Write `items` to `path` as a JSON list (atomically); return how many."""
    write_atomic(Path(path), json.dumps([memory_json(i) for i in items], ensure_ascii=False, indent=2) + "\n")
    return len(items)


class MemoryService:
    """Long-term memory over one store and one embedding model; every method blocks (run it off the loop)."""

    def __init__(
        self,
        store: MemoryStore,
        embedder: EmbeddingModel,
        *,
        top_k: int,
        writer: MemoryWriter | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.writer = writer
        self.recaller = Recaller(store, embedder, gate=gate)

    @property
    def model_id(self) -> str:
        """The embedding model the vectors are made with."""
        return self.embedder.model_id

    def recall(self, question: str, language: str) -> Recall:
        """The memories relevant to `question` and the prompt's note in `language` ("": nothing to say).

        A question for one of the user's attributes ("Как меня зовут?") gets the fact filed under it first
        (engine/memory/slots.py); then the search hits; then the facts of the entities the question names
        ("my sister" -> what is linked to Olga), which need not share a word or a close vector with it.
        Summaries of past conversations only answer questions about conversations, and a question about a
        relation ("my mother") or a topic ("my favourite colour") only memories that name it
        (engine/memory/relations.py). `unknown` says a personal question found nothing that fits.
        """
        summaries = asks_about_conversations(question)
        found = [h for h in self.recaller.search(question, 2 * self.top_k) if summaries or h.item.kind != "summary"]
        slotted = [MemoryHit(m, 0.0) for s in asked_slots(question) for m in self.store.current_with_subject(s)]
        seen = {hit.item.id for hit in slotted}
        found = [h for h in found if h.item.id not in seen]
        seen |= {hit.item.id for hit in found}
        linked = [MemoryHit(item, 0.0) for item in entity_facts(self.store, question) if item.id not in seen]
        candidates = (*slotted, *found, *linked)
        fits = answer_filter(question)
        fitting = [h for h in candidates if fits(f"{h.item.source_quote} {h.item.text}")]
        hits = tuple(fitting[: self.top_k])
        unknown = not hits and asks_personal_fact(question)
        return Recall(hits=hits, notes=notes(hits, language, question=question), unknown=unknown)

    def search(self, query: str, k: int | None = None, *, gated: bool = True) -> list[MemoryHit]:
        """What recall finds for `query`, best first (`gated` False: the fused ranking without the gate)."""
        return self.recaller.search(query, k or self.top_k, gated=gated)

    def remember(self, exchange: Exchange) -> object:
        """Hand a finished exchange to the writer (None without one)."""
        return self.writer.remember(exchange) if self.writer is not None else None

    def embed_passage(self, text: str) -> Any:
        """The stored-text vector of `text` (for the writer and edits)."""
        return self.embedder.embed([text], query=False)[0]

    def items(self, *, kind: MemoryKind | None = None, include_superseded: bool = True) -> list[MemoryItem]:
        """Stored memories, oldest first."""
        return self.store.items(kind=kind, include_superseded=include_superseded)

    def edit(self, memory_id: int, text: str) -> MemoryItem:
        """Replace a memory's text (the window's panel) and re-embed it."""
        item = self.store.get(memory_id)
        passage = recall_passage(text, item.source_quote, item.kind) if item is not None else text
        return self.store.update_text(memory_id, text, self.embed_passage(passage), self.model_id)

    def forget(self, memory_id: int) -> bool:
        """Delete one memory (and the versions it replaced) for good."""
        return self.store.forget(memory_id)

    def forget_all(self) -> int:
        """Delete every memory; return how many there were."""
        return self.store.forget_all()

    def export(self, path: Path) -> int:
        """Write every memory (superseded ones included) to `path` as a JSON list; return how many."""
        return write_export(self.store.items(), path)

    def missing(self) -> list[MemoryItem]:
        """Facts and summaries with no vector from the current model (entities are found by their names)."""
        return [m for m in self.store.missing_vectors(self.model_id) if m.kind != "entity"]

    def reindex(self, progress: Callable[[int, int], None] | None = None, *, everything: bool = False) -> int:
        """Embed the memories with no vector from the current model (`everything`: all); `progress(done, total)`."""
        todo = self.store.items() if everything else self.missing()
        total = len(todo)
        if progress:
            progress(0, total)
        for start in range(0, total, REINDEX_BATCH):
            batch = todo[start : start + REINDEX_BATCH]
            rows = self.embedder.embed([recall_passage(m.text, m.source_quote, m.kind) for m in batch], query=False)
            for item, row in zip(batch, rows, strict=True):
                self.store.set_vector(item.id, row, self.model_id)
            if progress:
                progress(start + len(batch), total)
        return total

    def close(self) -> None:
        """Close the store (and the embedding cache, when it has one)."""
        self.store.close()
        close = getattr(self.embedder, "close", None)
        if callable(close):
            close()
