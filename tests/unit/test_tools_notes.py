"""Notes: what to write down from an utterance, and the SQLite store read back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.tools.base import NoArgs, ToolContext
from engine.tools.builtin.clock import describe_now, format_offset
from engine.tools.builtin.notes import NoteAddTool, NoteArgs, NotesListTool, NoteStore, note_text
from engine.tools.builtin.reminders import format_in


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Запиши: купить молоко и хлеб", "купить молоко и хлеб"),
        ("запиши в заметки что код от домофона 4512", "код от домофона 4512"),
        ("сделай заметку позвонить в банк", "позвонить в банк"),
        ("Take a note: the wifi password is on the fridge.", "the wifi password is on the fridge"),
        ("note that the meeting moved to Friday", "the meeting moved to Friday"),
        ("что ты думаешь о заметках", None),
        ("запиши", None),
    ],
)
def test_note_text(text: str, expected: str | None) -> None:
    assert note_text(text) == expected


def test_notes_are_stored_and_read_back(tmp_path: Path) -> None:
    store = NoteStore(tmp_path / "notes.sqlite3")
    ctx = ToolContext("ru", datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    empty = asyncio.run(NotesListTool(store).call(NoArgs(), ctx))
    assert empty.text == "Заметок пока нет."
    added = asyncio.run(NoteAddTool(store).call(NoteArgs(text="купить молоко"), ctx))
    assert added.ok and added.text == "Заметка №1 записана: «купить молоко»."
    asyncio.run(NoteAddTool(store).call(NoteArgs(text="позвонить в банк"), ctx))
    listed = asyncio.run(NotesListTool(NoteStore(tmp_path / "notes.sqlite3")).call(NoArgs(), ctx))
    assert listed.text == "Заметки (2): 1. купить молоко; 2. позвонить в банк"


def test_clock_and_duration_wording() -> None:
    from zoneinfo import ZoneInfo

    now = datetime(2026, 11, 29, 7, 5, tzinfo=UTC)
    assert describe_now(now, ZoneInfo("Europe/Moscow"), "ru") == (
        "Сейчас 10:05, воскресенье, 29 ноября 2026 года (часовой пояс Europe/Moscow UTC+03:00)."
    )
    assert describe_now(now, ZoneInfo("America/New_York"), "en") == (
        "It is now 02:05, Sunday, 29 November 2026 (time zone America/New_York UTC-05:00)."
    )
    assert format_offset(now.astimezone(ZoneInfo("Asia/Kolkata"))) == "UTC+05:30"
    assert format_in(3900, "ru") == "через 1 ч 5 мин" and format_in(90000, "en") == "in 1 d 1 h"
    assert format_in(20, "en") == "in less than a minute"
