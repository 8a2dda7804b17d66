"""The built-in tools: date and time, timers and reminders, exact sums, units, notes.

Memory tools (search, "забудь это") come with the memory issue; they belong here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from engine.tools.base import Tool
from engine.tools.builtin.calc import CalcTool
from engine.tools.builtin.clock import ClockTool
from engine.tools.builtin.notes import NoteAddTool, NotesListTool, NoteStore
from engine.tools.builtin.reminders import ReminderAddTool, RemindersListTool
from engine.tools.builtin.units import UnitsTool
from engine.tools.reminder_store import ReminderStore

REMINDERS_FILE = "reminders.sqlite3"
NOTES_FILE = "notes.sqlite3"


def builtin_tools(
    data_dir: Path,
    zone: tzinfo,
    *,
    reminders: ReminderStore | None = None,
    on_reminder_added: Callable[[], None] | None = None,
) -> list[Tool]:
    """Every built-in tool, in the router's order (units before the calculator: "5 миль в км")."""
    store = reminders or ReminderStore(data_dir / REMINDERS_FILE)
    notes = NoteStore(data_dir / NOTES_FILE)
    return [
        ClockTool(zone),
        RemindersListTool(store, zone),
        ReminderAddTool(store, zone, on_reminder_added),
        UnitsTool(),
        CalcTool(),
        NotesListTool(notes),
        NoteAddTool(notes),
    ]
