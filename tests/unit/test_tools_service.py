"""build_tools: one call gives a working runner and a reminder clock that announces due reminders."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from engine.cancel import CancelToken
from engine.config import ToolsSection
from engine.tools.reminder_store import Reminder
from engine.tools.service import announcement, build_tools
from tests.harness.waiting import wait_until_async

T = TypeVar("T")


async def _inline(fn: Callable[[], T]) -> T:
    return fn()


def test_announcement_says_when_it_is_late() -> None:
    zone = ZoneInfo("Europe/Moscow")
    r = Reminder(1, "позвонить маме", datetime(2026, 11, 30, 6, 0, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))
    assert announcement(r, False, zone, "ru") == "Напоминание: позвонить маме."
    assert announcement(r, True, zone, "en") == (
        "Reminder: позвонить маме. It was due at 09:00, Monday, 30 November 2026, while Sova was closed."
    )


def test_built_service_runs_a_turn_and_announces_a_due_reminder(tmp_path: Path) -> None:
    said: list[tuple[str, bool]] = []

    async def announce(reminder: Reminder, late: bool, text: str) -> None:
        said.append((text, late))

    async def scenario() -> Any:
        config = ToolsSection(timezone="Europe/Moscow", notifications=False)
        service = build_tools(config, tmp_path, _inline, announce=announce)
        service.start()
        out = await service.runner.run("напомни через 1 секунду проверить чайник", "ru", CancelToken())
        assert out.calls and out.calls[0].ok, out
        await wait_until_async(lambda: bool(said), "the reminder is announced")
        await service.close()
        return out

    out = asyncio.run(scenario())
    assert out.calls[0].name == "reminder_add" and said == [("Напоминание: проверить чайник.", False)]
    assert out.calls[0].args == {"text": "проверить чайник", "when": "через 1 секунду"}
