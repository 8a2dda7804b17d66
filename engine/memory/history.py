"""Conversation history and the emotional state in SQLite (WAL), written turn by turn.

The user's words are committed before the reply is generated, and the reply when it ends (or is
interrupted, with only what was actually spoken). A crash mid-turn therefore loses at most the
unfinished reply; the next start continues the same conversation.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import HistoryError
from engine.stages.base import ChatMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    created_at REAL NOT NULL,
    complete INTEGER NOT NULL DEFAULT 1,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class StoredMessage:
    """A message as stored."""

    id: int
    conversation_id: int
    role: str
    content: str
    created_at: float
    complete: bool
    meta: dict[str, Any]

    def as_chat(self) -> ChatMessage:
        """The message as a prompt message."""
        return ChatMessage("user" if self.role == "user" else "assistant", self.content)


class HistoryStore:
    """One SQLite file; safe to call from several threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process crash
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(
                f"cannot open the conversation history at {path}: {exc}",
                hint="check that the data folder is writable (config [paths] data_dir or $SOVA_DATA_DIR)",
            ) from exc
        self._lock = threading.Lock()
        self._conversation_id: int | None = None

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            with self._lock:
                return self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise HistoryError(f"writing the conversation history failed: {exc}") from exc

    @property
    def conversation_id(self) -> int:
        """The current conversation: the latest one on disk, or a new one."""
        if self._conversation_id is None:
            row = self._exec("SELECT id FROM conversations ORDER BY id DESC LIMIT 1").fetchone()
            self._conversation_id = int(row[0]) if row else self.new_conversation()
        return self._conversation_id

    def new_conversation(self) -> int:
        """Start a fresh conversation (the old ones stay on disk)."""
        cur = self._exec("INSERT INTO conversations (started_at) VALUES (?)", (time.time(),))
        self._conversation_id = int(cur.lastrowid or 0)
        return self._conversation_id

    def add(self, role: str, content: str, *, complete: bool = True, meta: dict[str, Any] | None = None) -> int:
        """Append a message to the current conversation and commit it; return its id."""
        cur = self._exec(
            "INSERT INTO messages (conversation_id, role, content, created_at, complete, meta) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                self.conversation_id,
                role,
                content,
                time.time(),
                int(complete),
                json.dumps(meta or {}, ensure_ascii=False),
            ),
        )
        return int(cur.lastrowid or 0)

    def messages(self, limit: int | None = None, conversation_id: int | None = None) -> list[StoredMessage]:
        """The latest `limit` messages of a conversation (default: the current), oldest first."""
        cid = conversation_id if conversation_id is not None else self.conversation_id
        rows = self._exec(
            "SELECT id, conversation_id, role, content, created_at, complete, meta FROM messages "
            "WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
            (cid, -1 if limit is None else limit),
        ).fetchall()
        return [StoredMessage(r[0], r[1], r[2], r[3], r[4], bool(r[5]), json.loads(r[6])) for r in reversed(rows)]

    def chat_history(self, limit: int = 20) -> list[ChatMessage]:
        """Recent messages as prompt messages (an unanswered user message is kept: it was said)."""
        return [m.as_chat() for m in self.messages(limit) if m.content]

    def save_state(self, key: str, value: Any) -> None:
        """Persist a JSON value (e.g. the emotional state)."""
        self._exec(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, json.dumps(value, ensure_ascii=False), time.time()),
        )

    def load_state(self, key: str, default: Any = None) -> Any:
        """A persisted value, or `default`."""
        row = self._exec("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default
