"""`sova reminders list [--json]`: pending and recent timers and reminders."""

from __future__ import annotations

import argparse
import json
from datetime import tzinfo

from app.paths import AppPaths
from engine.config import SovaConfig
from engine.tools.builtin import REMINDERS_FILE
from engine.tools.reminder_store import Reminder, ReminderStore
from engine.tools.timeparse import resolve_timezone


def run_reminders(config: SovaConfig, args: argparse.Namespace) -> int:
    """Dispatch `sova reminders ACTION` (only `list` today)."""
    store = ReminderStore(AppPaths.from_config(config).data_dir / REMINDERS_FILE)
    reminders = store.all()
    if args.json:
        print(json.dumps([r.as_json() for r in reminders], ensure_ascii=False, indent=2))
        return 0
    if not reminders:
        print("no reminders (set one by asking: «напомни через 10 минут …» / “remind me at 6 pm to …”)")
        return 0
    zone = resolve_timezone(config.tools.timezone)
    for reminder in reminders:
        print(_line(reminder, zone))
    return 0


def _line(reminder: Reminder, zone: tzinfo) -> str:
    due = reminder.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    state = "pending" if reminder.fired_at is None else ("fired late" if reminder.late else "fired")
    return f"#{reminder.id:<4} {due}  {state:10}  {reminder.text}"
