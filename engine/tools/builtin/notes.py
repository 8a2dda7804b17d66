"""Notes: add one, list them, read them back; stored in SQLite (`notes.sqlite3` in the data dir)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.tools.base import NoArgs, ToolContext, ToolResult, ToolSpec
from engine.tools.sqlite_file import SqliteFile

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS notes "
    "(id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, created_at TEXT NOT NULL)"
)
_ADD = re.compile(
    r"(?:^|\b)(?:запиши(?:те)?(?:\s+в\s+заметк\w*)?|сделай(?:те)?\s+заметку|добавь(?:те)?\s+(?:в\s+)?заметк\w*|"
    r"создай\s+заметку|(?:take|make|add)\s+a\s+note(?:\s+(?:that|to))?|note\s+(?:that|down)|write\s+down|"
    r"jot\s+down)\s*[:,-]?\s*(?:что\s+)?(?P<text>.+)$",
    re.IGNORECASE,
)


def note_text(utterance: str) -> str | None:
    """What to write down from "запиши: купить молоко" / "take a note buy milk", or None (pure)."""
    m = _ADD.search(utterance.strip())
    if not m:
        return None
    text = m.group("text").strip(" .!?")
    return text or None


class NoteStore(SqliteFile):
    """The notes file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, "notes")

    def add(self, text: str, created_at: datetime) -> int:
        """Store a note; its id."""
        with self._connect() as db:
            return int(
                db.execute(
                    "INSERT INTO notes (text, created_at) VALUES (?, ?)", (text, created_at.isoformat())
                ).lastrowid
                or 0
            )

    def latest(self, limit: int = 10) -> list[tuple[int, str, datetime]]:
        """The newest notes, oldest of them first."""
        with self._connect() as db:
            rows = db.execute("SELECT id, text, created_at FROM notes ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [(int(r[0]), str(r[1]), datetime.fromisoformat(r[2])) for r in reversed(rows)]


class NoteArgs(BaseModel):
    """The note's text."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000, description="what to write down, in the user's words")


class NoteAddTool:
    """Write a note down."""

    def __init__(self, store: NoteStore) -> None:
        self.store = store
        self.spec = ToolSpec(
            name="note_add",
            description={"ru": "Записывает заметку пользователя.", "en": "Writes down a note for the user."},
            args=NoteArgs,
            triggers=(_ADD.pattern,),
        )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Store the note."""
        assert isinstance(args, NoteArgs)
        nid = self.store.add(args.text, context.now)
        said = (
            f"Заметка №{nid} записана: «{args.text}»."
            if context.language == "ru"
            else f'Note #{nid} saved: "{args.text}".'
        )
        return ToolResult(True, said, {"id": nid})

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The note's text when the utterance dictates it."""
        found = note_text(text)
        return {"text": found} if found else None


class NotesListTool:
    """Read the notes back."""

    def __init__(self, store: NoteStore) -> None:
        self.store = store
        self.spec = ToolSpec(
            name="notes_list",
            description={"ru": "Читает последние заметки пользователя.", "en": "Reads back the user's latest notes."},
            args=NoArgs,
            triggers=(
                r"(?:мои|какие|прочитай|покажи|перечисли|зачитай|список)(?: мне)?(?: мои)? заметк",
                r"\b(?:my|read|list|show)(?: me)?(?: my| the)? notes\b",
                r"\bwhat(?:'s| is| are) (?:in )?my notes\b",
                r"\bwhat notes do i have\b",
            ),
        )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """List the newest notes."""
        notes = self.store.latest()
        ru = context.language == "ru"
        if not notes:
            return ToolResult(True, "Заметок пока нет." if ru else "There are no notes yet.", {"count": 0})
        lines = "; ".join(f"{i}. {text}" for i, (_, text, _) in enumerate(notes, 1))
        head = f"Заметки ({len(notes)}): " if ru else f"Notes ({len(notes)}): "
        return ToolResult(True, head + lines, {"count": len(notes)})

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """No arguments to read."""
        return {}
