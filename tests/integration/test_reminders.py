"""Reminders on a real SQLite file with the real ReminderClock: due, late after a restart, listed."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.commands.reminders import run_reminders
from engine.tools.base import NoArgs, ToolContext
from engine.tools.builtin import REMINDERS_FILE
from engine.tools.builtin.reminders import ReminderAddTool, ReminderArgs, RemindersListTool
from engine.tools.notify import Notifier
from engine.tools.reminder_clock import ReminderClock
from engine.tools.reminder_store import Reminder, ReminderStore
from tests.conftest import make_config
from tests.harness.waiting import wait_until_async

ZONE = ZoneInfo("Europe/Moscow")


def test_a_reminder_fires_once_when_due_and_one_missed_while_closed_fires_late_after_restart(tmp_path: Path) -> None:
    path = tmp_path / REMINDERS_FILE

    async def first_run() -> list[tuple[int, bool]]:
        store = ReminderStore(path)
        fired: list[tuple[int, bool]] = []

        async def on_due(reminder: Reminder, late: bool) -> None:
            fired.append((reminder.id, late))

        clock = ReminderClock(store, on_due)
        clock.start()
        now = datetime.now(UTC)
        soon = store.add("скоро", now + timedelta(seconds=0.3), now)
        store.add("после перезапуска", now + timedelta(seconds=1.0), now)
        clock.wake()
        await wait_until_async(lambda: bool(fired), "the first reminder fires")
        await clock.close()  # "Sova closes" before the second one is due
        assert fired == [(soon.id, False)]
        return fired

    asyncio.run(first_run())
    asyncio.run(asyncio.sleep(1.2))  # the second one falls due while nothing runs

    async def after_restart() -> list[tuple[str, bool]]:
        store = ReminderStore(path)  # a new instance over the same file
        fired: list[tuple[str, bool]] = []

        async def on_due(reminder: Reminder, late: bool) -> None:
            fired.append((reminder.text, late))

        clock = ReminderClock(store, on_due)
        clock.start()
        await wait_until_async(lambda: bool(fired), "the missed reminder fires at start")
        await asyncio.sleep(0.1)
        await clock.close()
        return fired

    assert asyncio.run(after_restart()) == [("после перезапуска", True)]
    rows = ReminderStore(path).all()
    assert [(r.text, r.fired_at is not None, r.late) for r in rows] == [
        ("после перезапуска", True, True),
        ("скоро", True, False),
    ]


def test_the_tool_sets_a_reminder_that_the_command_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOVA_DATA_DIR", str(tmp_path))  # the env var wins over [paths] data_dir (make test sets it)
    store = ReminderStore(tmp_path / REMINDERS_FILE)
    woken: list[bool] = []
    tool = ReminderAddTool(store, ZONE, lambda: woken.append(True))
    now = datetime(2026, 11, 29, 10, 0, tzinfo=ZONE)
    ctx = ToolContext("ru", now)
    result = asyncio.run(tool.call(ReminderArgs(text="позвонить маме", when="завтра в 9"), ctx))
    assert result.ok and "30 ноября 2026 года" in result.text and "09:00" in result.text and woken == [True]
    listed = asyncio.run(RemindersListTool(store, ZONE).call(NoArgs(), ctx))
    assert "позвонить маме" in listed.text and "через 23 ч" in listed.text
    unclear = asyncio.run(tool.call(ReminderArgs(text="x", when="когда-нибудь"), ctx))
    assert not unclear.ok and "через 10 минут" in unclear.text

    config = make_config({"paths": {"data_dir": str(tmp_path)}, "tools": {"timezone": "Europe/Moscow"}})
    assert run_reminders(config, argparse.Namespace(reminders_command="list", json=True)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {"id": 1, "text": "позвонить маме", "due_at": "2026-11-30T09:00:00+03:00",
         "created_at": "2026-11-29T10:00:00+03:00", "fired_at": None, "late": False}
    ]  # fmt: skip
    assert run_reminders(config, argparse.Namespace(reminders_command="list", json=False)) == 0
    assert "2026-11-30 09:00  pending" in capsys.readouterr().out


def test_notifications_fail_soft_without_a_session_bus(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no "bus" socket there
    notifier = Notifier()
    with caplog.at_level(logging.WARNING, logger="engine.tools.notify"):
        assert asyncio.run(notifier.notify("Sova", "позвонить маме")) is False
        assert asyncio.run(notifier.notify("Sova", "ещё раз")) is False
    assert len([r for r in caplog.records if "notifications are off" in r.message]) == 1
