"""Long-term memory on disk: one SQLite file (WAL) of memories, their vectors, a full-text index and entities.

`memory.sqlite3` lives in the data dir beside the history. The schema is versioned (store_schema.py).
One connection and one lock make the store safe to call from several threads, like the history.
The vectors of current memories are kept as one float32 matrix per embedding model in memory, so a
search scans RAM, not SQLite; writes keep it in step.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.memory import vectors as vec
from engine.memory.store_open import MemoryStoreError, connect, quarantine
from engine.memory.store_schema import (
    COLUMNS,
    SCHEMA_VERSION,
    delete_memories,
    fold,
    fts_terms,
    match_expr,
    put_vector,
    row_item,
    to_blob,
)
from engine.memory.types import MemoryItem, MemoryKind, NewMemory

#: full-text words in more than this share of the memories (and more than COMMON_MIN of them) are left out
COMMON_SHARE = 0.01
COMMON_MIN = 200


class MemoryStore:
    """Memories in one SQLite file; every method may be called from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        #: where a damaged file was moved by `open_or_quarantine` (None: nothing was)
        self.quarantined: Path | None = None
        self._lock = threading.RLock()
        self._db = connect(self.path)
        # model id -> (ids, matrix) of current memories; None entries are rebuilt on the next read
        self._cache: dict[str, vec.GrowingMatrix] = {}
        self._count: int | None = None
        # document counts per indexed term, to leave out words too common to tell memories apart
        self._query("CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_vocab USING fts5vocab(main, memories_fts, 'row')")

    @classmethod
    def open_or_quarantine(cls, path: Path) -> MemoryStore:
        """Open `path`; a damaged file is renamed aside (`.corrupt-<time>`, never deleted) and a fresh one opened.

        A locked or unreadable file still raises `MemoryStoreError` (nothing is moved).
        """
        try:
            return cls(path)
        except MemoryStoreError as exc:
            if exc.reason != "corrupt":
                raise
            aside = quarantine(Path(path))
        store = cls(path)
        store.quarantined = aside
        return store

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
            self._cache.clear()

    @property
    def schema_version(self) -> int:
        """The migration steps applied (equal to `store_schema.SCHEMA_VERSION` once open)."""
        return int(self._query("PRAGMA user_version")[0][0])

    # -- low level -----------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; a failure rolls back and becomes MemoryStoreError."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._failed(exc) from exc

    def _failed(self, exc: sqlite3.Error) -> MemoryStoreError:
        locked = "locked" in str(exc) or "busy" in str(exc)
        return MemoryStoreError(
            f"the memory database {self.path} {'is locked' if locked else 'failed'}: {exc}",
            reason="locked" if locked else "unavailable",
            path=self.path,
            hint="close the other program holding the file" if locked else "check the disk and the data folder",
        )

    def _items(self, where: str, params: tuple[Any, ...] = ()) -> list[MemoryItem]:
        return [row_item(r) for r in self._query(f"SELECT {COLUMNS} FROM memories {where}", params)]

    # -- memories --------------------------------------------------------------------------------

    def add(self, new: NewMemory, vector: npt.NDArray[np.float32] | None, model_id: str) -> MemoryItem:
        """Store a memory (and its vector, made by `model_id`, when given); return it as stored."""
        memory_id = self.add_many([new], [vector], model_id)[0]
        item = self.get(memory_id)
        assert item is not None  # just written
        return item

    def add_many(
        self, news: Sequence[NewMemory], vectors: Sequence[npt.NDArray[np.float32] | None], model_id: str
    ) -> list[int]:
        """Store several memories in one transaction (an import, the benchmark); return their ids in order."""
        if len(news) != len(vectors):
            raise ValueError("add_many needs one vector (or None) per memory")
        if any(not n.text.strip() for n in news):
            raise ValueError("a memory needs some text")
        blobs = [to_blob(v) if v is not None else None for v in vectors]
        now = time.time()
        ids: list[int] = []
        with self._write() as db:
            for new, blob in zip(news, blobs, strict=True):
                cur = db.execute(
                    "INSERT INTO memories (kind, text, language, source_quote, created_at, conversation_id, "
                    "turn_id, subject, entities, entity_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        new.kind,
                        new.text,
                        new.language,
                        new.source_quote,
                        now,
                        new.conversation_id,
                        new.turn_id,
                        new.subject,
                        json.dumps(list(new.entities), ensure_ascii=False),
                        new.entity_type,
                    ),
                )
                memory_id = int(cur.lastrowid or 0)
                ids.append(memory_id)
                db.execute(
                    "INSERT INTO memories_fts (rowid, text, source_quote) VALUES (?, ?, ?)",
                    (memory_id, fold(new.text), fold(new.source_quote)),
                )
                if blob is not None:
                    put_vector(db, memory_id, blob, model_id)
                if new.kind == "entity":
                    db.execute("INSERT OR IGNORE INTO aliases VALUES (?, ?)", (memory_id, fold(new.text).strip()))
        self._count = None
        if len(ids) == 1 and vectors[0] is not None:
            self._append_cached(model_id, ids[0], vectors[0])
        elif any(v is not None for v in vectors):
            self._invalidate()
        return ids

    def supersede(self, old_id: int, new_id: int) -> None:
        """Mark `old_id` as replaced by `new_id` (a knowledge update); the old one stays for the record."""
        if old_id == new_id:
            raise ValueError("a memory cannot supersede itself")
        with self._write() as db:
            found = db.execute("SELECT COUNT(*) FROM memories WHERE id IN (?, ?)", (old_id, new_id)).fetchone()[0]
            if found != 2:
                raise KeyError(f"no memory {old_id} or {new_id} to supersede")
            db.execute("UPDATE memories SET superseded_by = ? WHERE id = ?", (new_id, old_id))
        self._invalidate()

    def get(self, memory_id: int) -> MemoryItem | None:
        """One memory, or None."""
        found = self._items("WHERE id = ?", (memory_id,))
        return found[0] if found else None

    def items(self, *, kind: MemoryKind | None = None, include_superseded: bool = True) -> list[MemoryItem]:
        """Memories, oldest first."""
        clauses = (["kind = ?"] if kind else []) + ([] if include_superseded else ["superseded_by IS NULL"])
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._items(f"{where} ORDER BY id", (kind,) if kind else ())

    def count(self, *, include_superseded: bool = True) -> int:
        """How many memories are stored."""
        where = "" if include_superseded else " WHERE superseded_by IS NULL"
        return int(self._query(f"SELECT COUNT(*) FROM memories{where}")[0][0])

    def current_with_subject(self, subject: str) -> list[MemoryItem]:
        """Current memories about `subject` (what a new one with that subject would supersede)."""
        return self._items("WHERE subject = ? AND superseded_by IS NULL ORDER BY id", (subject,))

    def update_text(
        self, memory_id: int, text: str, vector: npt.NDArray[np.float32] | None, model_id: str
    ) -> MemoryItem:
        """Replace a memory's text (the user edited it); without a vector it waits for `reindex`."""
        if not text.strip():
            raise ValueError("a memory needs some text")
        blob = to_blob(vector) if vector is not None else None
        with self._write() as db:
            row = db.execute("SELECT source_quote FROM memories WHERE id = ?", (memory_id,)).fetchone()
            if row is None:
                raise KeyError(f"no memory {memory_id}")
            db.execute("UPDATE memories SET text = ? WHERE id = ?", (text, memory_id))
            db.execute("DELETE FROM memories_fts WHERE rowid = ?", (memory_id,))
            db.execute(
                "INSERT INTO memories_fts (rowid, text, source_quote) VALUES (?, ?, ?)",
                (memory_id, fold(text), fold(str(row[0]))),
            )
            db.execute("DELETE FROM vectors WHERE memory_id = ?", (memory_id,))
            if blob is not None:
                put_vector(db, memory_id, blob, model_id)
        self._invalidate()
        item = self.get(memory_id)
        assert item is not None
        return item

    def forget(self, memory_id: int) -> bool:
        """Delete a memory for good: its row, text index, vector, links, and the older versions it replaced.

        The versions it superseded go too: forgetting "I live in Moscow" must not bring back "I live in
        Kazan". False when there was no such memory.
        """
        with self._write() as db:
            chain = [memory_id]
            frontier = [memory_id]
            while frontier:
                marks = ",".join("?" * len(frontier))
                older = [
                    int(r[0]) for r in db.execute(f"SELECT id FROM memories WHERE superseded_by IN ({marks})", frontier)
                ]
                frontier = [i for i in older if i not in chain]
                chain.extend(frontier)
            deleted = delete_memories(db, chain)
        self._invalidate()
        return deleted > 0

    def forget_all(self) -> int:
        """Delete every memory; return how many there were."""
        with self._write() as db:
            ids = [int(r[0]) for r in db.execute("SELECT id FROM memories")]
            deleted = delete_memories(db, ids)
        self._invalidate()
        return deleted

    # -- full text -------------------------------------------------------------------------------

    def fts(self, query: str, limit: int) -> list[tuple[int, float]]:
        """Current memories matching `query`'s words, best first, with a BM25 score (higher is better).

        A word found in more than `common_share` of the memories (at least `COMMON_MIN`) is left out:
        it tells nothing apart, and ranking thousands of matches would cost more than the whole scan.
        """
        terms = fts_terms(query)
        if not terms or limit <= 0:
            return []
        total = self._indexed_count()
        cap = max(COMMON_MIN, int(total * COMMON_SHARE))
        if total > cap:
            terms = [t for t in terms if self._doc_count(t) <= cap]
        if not terms:
            return []
        rows = self._query(
            "SELECT f.rowid, bm25(memories_fts) AS rank FROM memories_fts f JOIN memories m ON m.id = f.rowid "
            "WHERE memories_fts MATCH ? AND m.superseded_by IS NULL ORDER BY rank LIMIT ?",
            (match_expr(terms), limit),
        )
        return [(int(r[0]), -float(r[1])) for r in rows]

    def _indexed_count(self) -> int:
        # COUNT(*) on an FTS5 table reads all of it (70 ms at 100k): count the rows once per write instead
        with self._lock:
            if self._count is None:
                self._count = int(self._query("SELECT COUNT(*) FROM memories")[0][0])
            return self._count

    def _doc_count(self, prefix: str) -> int:
        """How many memories hold a word starting with `prefix` (an upper bound: a memory may hold several)."""
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        row = self._query("SELECT SUM(doc) FROM temp.memories_vocab WHERE term >= ? AND term < ?", (prefix, upper))
        return int(row[0][0] or 0)

    # -- vectors ---------------------------------------------------------------------------------

    def _invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
            self._count = None

    def _append_cached(self, model_id: str, memory_id: int, vector: npt.NDArray[np.float32]) -> None:
        # a new memory joins the cached matrix instead of forcing a re-read of every vector
        with self._lock:
            cached = self._cache.get(model_id)
            if cached is None:
                return
            if not cached.append(memory_id, vector):
                self._cache.pop(model_id)

    def vectors(self, model_id: str) -> tuple[vec.IdArray, vec.Matrix]:
        """Ids and vectors (one row each) of the current memories embedded with `model_id`; cached in memory."""
        with self._lock:
            cached = self._cache.get(model_id)
            if cached is not None:
                return cached.view()
            where = (
                "FROM vectors v JOIN memories m ON m.id = v.memory_id WHERE v.model_id = ? AND m.superseded_by IS NULL"
            )
            try:
                count = int(self._db.execute(f"SELECT COUNT(*) {where}", (model_id,)).fetchone()[0])
                cursor = self._db.execute(
                    f"SELECT v.memory_id, v.dim, v.vector {where} ORDER BY v.memory_id", (model_id,)
                )
                grown = vec.GrowingMatrix(*vec.from_rows(cursor, count))
            except sqlite3.Error as exc:
                raise self._failed(exc) from exc
            self._cache[model_id] = grown
            return grown.view()

    def missing_vectors(self, model_id: str) -> list[MemoryItem]:
        """Memories (superseded ones included) with no vector from `model_id`: what `reindex` embeds."""
        return self._items(
            "WHERE id NOT IN (SELECT memory_id FROM vectors WHERE model_id = ?) ORDER BY id", (model_id,)
        )

    def set_vector(self, memory_id: int, vector: npt.NDArray[np.float32], model_id: str) -> None:
        """Store (or replace) a memory's vector."""
        blob = to_blob(vector)
        with self._write() as db:
            if db.execute("SELECT 1 FROM memories WHERE id = ?", (memory_id,)).fetchone() is None:
                raise KeyError(f"no memory {memory_id}")
            replaced = db.execute("SELECT 1 FROM vectors WHERE memory_id = ?", (memory_id,)).fetchone()
            put_vector(db, memory_id, blob, model_id)
        if replaced:
            self._invalidate()
        else:
            self._append_cached(model_id, memory_id, vector)

    # -- entities --------------------------------------------------------------------------------

    def entity(self, name: str) -> MemoryItem | None:
        """The current entity called `name` or known by it as an alias (case-insensitive), or None."""
        key = fold(name).strip()
        rows = self._query(
            "SELECT a.entity_id FROM aliases a JOIN memories m ON m.id = a.entity_id "
            "WHERE a.alias = ? AND m.superseded_by IS NULL ORDER BY a.entity_id LIMIT 1",
            (key,),
        )
        return self.get(int(rows[0][0])) if rows else None

    def add_alias(self, entity_id: int, alias: str) -> None:
        """Let `alias` ("my sister", "сестра") name the entity too."""
        key = fold(alias).strip()
        if not key:
            raise ValueError("an alias needs some text")
        with self._write() as db:
            row = db.execute("SELECT kind FROM memories WHERE id = ?", (entity_id,)).fetchone()
            if row is None or row[0] != "entity":
                raise KeyError(f"no entity {entity_id}")
            db.execute("INSERT OR IGNORE INTO aliases VALUES (?, ?)", (entity_id, key))

    def aliases(self, entity_id: int) -> list[str]:
        """An entity's names (folded to lower case), its own first."""
        return [
            str(r[0]) for r in self._query("SELECT alias FROM aliases WHERE entity_id = ? ORDER BY rowid", (entity_id,))
        ]

    def link(self, memory_id: int, entity_id: int) -> None:
        """Record that memory `memory_id` is about entity `entity_id`."""
        with self._write() as db:
            found = db.execute("SELECT COUNT(*) FROM memories WHERE id IN (?, ?)", (memory_id, entity_id)).fetchone()[0]
            if found != (1 if memory_id == entity_id else 2):
                raise KeyError(f"no memory {memory_id} or entity {entity_id} to link")
            db.execute("INSERT OR IGNORE INTO links VALUES (?, ?)", (memory_id, entity_id))

    def facts_about(self, entity_id: int) -> list[MemoryItem]:
        """The current memories linked to an entity, oldest first."""
        return self._items(
            "WHERE id IN (SELECT memory_id FROM links WHERE entity_id = ?) AND superseded_by IS NULL ORDER BY id",
            (entity_id,),
        )


__all__ = ["SCHEMA_VERSION", "MemoryStore", "MemoryStoreError", "quarantine"]
