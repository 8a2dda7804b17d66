"""Reminders on disk (`reminders.sqlite3` in the data dir): they outlive the process.

Times are stored as ISO 8601 with their UTC offset, so a reminder set in one zone still fires at the
same instant after a restart in another. A connection per operation keeps the store usable from the
event loop and from worker threads alike (SQLite serialises the writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.tools.sqlite_file import SqliteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    due_at TEXT NOT NULL,
    due_ts REAL NOT NULL,
    created_at TEXT NOT NULL,
    fired_at TEXT,
    late INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS reminders_pending ON reminders (fired_at, due_ts);
"""


@dataclass(frozen=True)
class Reminder:
    """One reminder; `fired_at` is None until it fired, `late` when it fired after Sova was closed."""

    id: int
    text: str
    due_at: datetime
    created_at: datetime
    fired_at: datetime | None = None
    late: bool = False

    def as_json(self) -> dict[str, object]:
        """The `sova reminders list --json` shape."""
        return {
            "id": self.id,
            "text": self.text,
            "due_at": self.due_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "fired_at": self.fired_at.isoformat() if self.fired_at else None,
            "late": self.late,
        }


class ReminderStore(SqliteFile):
    """The reminders file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, "reminders")

    def add(self, text: str, due_at: datetime, created_at: datetime) -> Reminder:
        """Store a new reminder; both times must carry their zone."""
        if due_at.tzinfo is None or created_at.tzinfo is None:
            raise ValueError("reminder times must carry their time zone")
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO reminders (text, due_at, due_ts, created_at) VALUES (?, ?, ?, ?)",
                (text, due_at.isoformat(), due_at.timestamp(), created_at.isoformat()),
            )
            rid = int(cur.lastrowid or 0)
        return Reminder(rid, text, due_at, created_at)

    def pending(self) -> list[Reminder]:
        """Reminders not fired yet, soonest first."""
        return self._select("WHERE fired_at IS NULL ORDER BY due_ts, id")

    def all(self, limit: int = 200) -> list[Reminder]:
        """Pending ones first (soonest first), then the most recently fired."""
        return self._select(
            "ORDER BY fired_at IS NOT NULL, CASE WHEN fired_at IS NULL THEN due_ts ELSE -due_ts END, id LIMIT ?",
            (limit,),
        )

    def mark_fired(self, reminder_id: int, fired_at: datetime, *, late: bool) -> None:
        """Record that a reminder fired (once: a fired one is never fired again)."""
        with self._connect() as db:
            db.execute(
                "UPDATE reminders SET fired_at = ?, late = ? WHERE id = ? AND fired_at IS NULL",
                (fired_at.isoformat(), int(late), reminder_id),
            )

    def cancel(self, reminder_id: int) -> bool:
        """Delete a reminder; False when there was none with that id."""
        with self._connect() as db:
            return db.execute("DELETE FROM reminders WHERE id = ?", (reminder_id,)).rowcount > 0

    def _select(self, tail: str, params: tuple[object, ...] = ()) -> list[Reminder]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT id, text, due_at, created_at, fired_at, late FROM reminders {tail}",
                params,
            ).fetchall()
        return [
            Reminder(
                int(r[0]),
                str(r[1]),
                datetime.fromisoformat(r[2]),
                datetime.fromisoformat(r[3]),
                datetime.fromisoformat(r[4]) if r[4] else None,
                bool(r[5]),
            )
            for r in rows
        ]
