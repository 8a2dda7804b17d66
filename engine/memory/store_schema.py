"""The memory database's schema as versioned migrations, and the pure helpers the store shares.

`PRAGMA user_version` holds the number of migration steps applied; opening a file runs the missing
ones, each in its own transaction, so a file written by an older Sova is brought up to date and a
crash mid-migration leaves it at the last complete step.
"""

from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from engine.memory.types import MemoryItem

#: each step is one script; the database's user_version is the count of steps applied
MIGRATIONS: tuple[str, ...] = (
    # 1: memories, their vectors, the full-text index, entities' aliases and links
    """
    CREATE TABLE memories (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('fact', 'entity', 'summary')),
        text TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT '',
        source_quote TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        conversation_id INTEGER,
        turn_id INTEGER,
        subject TEXT NOT NULL DEFAULT '',
        entities TEXT NOT NULL DEFAULT '[]',
        entity_type TEXT,
        superseded_by INTEGER REFERENCES memories(id) ON DELETE SET NULL
    );
    CREATE INDEX memories_by_subject ON memories(subject) WHERE superseded_by IS NULL;
    CREATE TABLE vectors (
        memory_id INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL
    );
    CREATE INDEX vectors_by_model ON vectors(model_id);
    CREATE VIRTUAL TABLE memories_fts USING fts5(
        text, source_quote, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE aliases (
        entity_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        alias TEXT NOT NULL,
        PRIMARY KEY (entity_id, alias)
    );
    CREATE INDEX aliases_by_alias ON aliases(alias);
    CREATE TABLE links (
        memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        entity_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        PRIMARY KEY (memory_id, entity_id)
    );
    CREATE INDEX links_by_entity ON links(entity_id);
    """,
    # 2: the embedding model's identity is part of the cache key elsewhere; here, when a vector was made
    """
    ALTER TABLE vectors ADD COLUMN embedded_at REAL NOT NULL DEFAULT 0;
    """,
    # 3: a fact's vector embeds its quote and its text (types.recall_passage), no longer the text alone:
    # the stale ones go, and the next start embeds them again
    """
    DELETE FROM vectors WHERE memory_id IN (
        SELECT id FROM memories WHERE kind = 'fact' AND trim(source_quote) != '' AND trim(source_quote) != trim(text)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

COLUMNS = (
    "id, kind, text, language, source_quote, created_at, conversation_id, turn_id, subject, entities, "
    "entity_type, superseded_by"
)

# words that match nearly every memory: they would make any question "agree" with the full-text ranker
_STOPWORDS_TEXT = (
    "the and for are was were you your yours what who whom where when which how why did does do not "
    "has have had with that this these those from about into than then them they their there here "
    "his her hers its our ours can could would should will shall been being also just like tell "
    "know remember say said please me my mine myself name named call called any anything something going "
    "often much many some tell other another "
    "что как где когда кто чем чего кого кому зачем почему это этот эта эти тот там тут мне меня "
    "мой моя мое моё мои моих моего моей ты тебе тебя твой твоя твои вы вас вам ваш ваша мы нас нам "
    "наш они оне его ему она её ее ей они их был была было были есть быть для или при про без над под "
    "так уже еще ещё тоже также только вот ли же бы не ни да нет помнишь скажи знаешь расскажи "
    "какой какая какое какие какую каким каком какого зовут звать мою мою кем часто сколько будет можно "
    "надо нужно очень всегда никогда сейчас"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)


def migrate(db: sqlite3.Connection) -> int:
    """Apply the missing migration steps; return the version the file had before."""
    before = int(db.execute("PRAGMA user_version").fetchone()[0])
    if before > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"schema version {before} is newer than this Sova's {SCHEMA_VERSION}")
    for step in range(before, SCHEMA_VERSION):
        # executescript commits first; the explicit BEGIN makes the step and its version bump one unit
        db.executescript(f"BEGIN; {MIGRATIONS[step]}; PRAGMA user_version = {step + 1}; COMMIT;")
    return before


def delete_memories(db: sqlite3.Connection, ids: list[int]) -> int:
    """Delete memories with their text index, vectors, links and aliases (inside the caller's transaction)."""
    deleted = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(f"DELETE FROM memories_fts WHERE rowid IN ({marks})", chunk)
        for table, column in (("vectors", "memory_id"), ("links", "memory_id"), ("links", "entity_id")):
            db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
        db.execute(f"DELETE FROM aliases WHERE entity_id IN ({marks})", chunk)
        # a memory that replaced one of these is no longer anyone's successor
        db.execute(f"UPDATE memories SET superseded_by = NULL WHERE superseded_by IN ({marks})", chunk)
        deleted += db.execute(f"DELETE FROM memories WHERE id IN ({marks})", chunk).rowcount
    return deleted


def put_vector(db: sqlite3.Connection, memory_id: int, blob: tuple[bytes, int], model_id: str) -> None:
    """Store (or replace) a memory's vector, as `to_blob` made it (inside the caller's transaction)."""
    db.execute(
        "INSERT OR REPLACE INTO vectors (memory_id, model_id, dim, vector, embedded_at) VALUES (?, ?, ?, ?, ?)",
        (memory_id, model_id, blob[1], blob[0], time.time()),
    )


def fold(text: str) -> str:
    """Text as the full-text index stores and searches it: NFKC, lower case, ё as е."""
    return unicodedata.normalize("NFKC", text).lower().replace("ё", "е")


def fts_terms(text: str) -> list[str]:
    """A user's content words as full-text prefixes: folded, stop words and words under 3 letters left out.

    Russian inflects: a long word keeps its stem (all but the last two letters) as a prefix, so
    "сестре" finds "сестра" without a morphological analyser.
    """
    terms: list[str] = []
    for word in _WORD.findall(fold(text)):
        word = word.replace("_", "")
        if len(word) < 3 or word in _STOPWORDS:
            continue
        stem = word[: max(4, len(word) - 2)] if len(word) > 5 else word
        if stem not in terms:
            terms.append(stem)
    return terms


def match_expr(terms: Sequence[str]) -> str:
    """Prefix terms as a safe FTS5 query, OR-ed; quoting makes FTS5 syntax in them (quotes, NEAR, *, :) plain text."""
    return " OR ".join('"' + t.replace('"', '""') + '"*' for t in terms)


def fts_query(text: str) -> str:
    """A user's words as a safe FTS5 query ("" when no content word is left)."""
    return match_expr(fts_terms(text))


def to_blob(vector: npt.NDArray[np.floating] | Sequence[float]) -> tuple[bytes, int]:
    """A 1-D vector as little-endian float32 bytes, and its dimension; ValueError for a bad shape."""
    arr = np.asarray(vector, dtype="<f4")
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"a memory's vector must be 1-D and non-empty, not of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("a memory's vector holds non-finite values")
    return arr.tobytes(), int(arr.size)


def row_item(row: Sequence[object]) -> MemoryItem:
    """A `memories` row (selected as `COLUMNS`) as a MemoryItem."""
    import json

    entities = json.loads(str(row[9])) if row[9] else []
    return MemoryItem(
        id=int(row[0]),  # type: ignore[call-overload]
        kind=str(row[1]),  # type: ignore[arg-type]
        text=str(row[2]),
        language=str(row[3]),
        source_quote=str(row[4]),
        created_at=float(row[5]),  # type: ignore[arg-type]
        conversation_id=None if row[6] is None else int(row[6]),  # type: ignore[call-overload]
        turn_id=None if row[7] is None else int(row[7]),  # type: ignore[call-overload]
        subject=str(row[8]),
        entities=tuple(str(e) for e in entities),
        entity_type=None if row[10] is None else str(row[10]),  # type: ignore[arg-type]
        superseded_by=None if row[11] is None else int(row[11]),  # type: ignore[call-overload]
    )
