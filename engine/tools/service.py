"""Everything the tools need, built from `[tools]` in one call: registry, runner, reminder clock.

The composition root (app/) or the `Assistant` calls `build_tools`, starts the clock on the running
loop (`service.start()`), passes `service.runner` to the turn, and closes the service at shutdown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from engine.config import ToolsSection
from engine.stages.base import SpokenLanguage
from engine.tools.base import Tool
from engine.tools.builtin import REMINDERS_FILE, builtin_tools
from engine.tools.builtin.clock import format_moment
from engine.tools.notify import Notifier
from engine.tools.planner import Generate, Planner, PlanWriter
from engine.tools.registry import ToolRegistry
from engine.tools.reminder_clock import ReminderClock
from engine.tools.reminder_store import Reminder, ReminderStore
from engine.tools.router import Router
from engine.tools.runner import RunBlocking, ToolRunner
from engine.tools.timeparse import resolve_timezone

#: what the app does with a due reminder besides the notification: speak it, show it (language chosen there)
Announce = Callable[[Reminder, bool, str], Awaitable[None]]


def announcement(reminder: Reminder, late: bool, zone: tzinfo, language: SpokenLanguage) -> str:
    """The words to say and show for a due reminder (pure)."""
    due = format_moment(reminder.due_at.astimezone(zone), language)
    if language == "ru":
        return f"Напоминание: {reminder.text}." + (f" Оно было на {due}, пока Сова была закрыта." if late else "")
    return f"Reminder: {reminder.text}." + (f" It was due at {due}, while Sova was closed." if late else "")


@dataclass
class ToolService:
    """The built tools of one app run."""

    registry: ToolRegistry
    runner: ToolRunner
    reminders: ReminderStore
    clock: ReminderClock
    zone: tzinfo

    def start(self) -> None:
        """Start the reminder clock on the running loop (missed reminders fire now, marked late).

        The app imports dateparser beforehand on one of its own lanes (engine/pipeline/features.py), so
        the first reminder does not pay its ~0.5 s import; never on the loop's default executor, whose
        threads (Qt's, under qasync) may be torn down while an import still runs.
        """
        self.clock.start()

    def add_tools(self, tools: list[Any]) -> None:
        """Add more tools (the screen, media, MCP servers' tools) and refresh the router's rules."""
        for tool in tools:
            self.registry.register(tool)
        self.runner.router = Router(self.registry.specs())

    async def close(self) -> None:
        """Stop the reminder clock."""
        await self.clock.close()


def build_tools(
    config: ToolsSection,
    data_dir: Path,
    run_blocking: RunBlocking[Any],
    *,
    generate: Generate | None = None,
    writer: Callable[[ToolRegistry], PlanWriter] | None = None,
    announce: Announce | None = None,
    language: SpokenLanguage = "ru",
    extra_tools: list[Tool] | None = None,
) -> ToolService:
    """Build the registry (built-ins + `extra_tools`), the runner and the reminder clock from `[tools]`."""
    zone = resolve_timezone(config.timezone)
    store = ReminderStore(data_dir / REMINDERS_FILE)
    notifier = Notifier() if config.notifications else None

    async def on_due(reminder: Reminder, late: bool) -> None:
        text = announcement(reminder, late, zone, language)
        if notifier is not None:
            await notifier.notify("Sova", text)
        if announce is not None:
            await announce(reminder, late, text)

    clock = ReminderClock(store, on_due)
    registry = ToolRegistry(builtin_tools(data_dir, zone, reminders=store, on_reminder_added=clock.wake),
                            timeout_s=config.call_timeout_s)  # fmt: skip
    for tool in extra_tools or []:
        registry.register(tool)
    planner = Planner(registry, generate, max_calls=config.max_calls, prefer_rules=config.exact_arguments,
                      writer=writer(registry) if writer is not None else None)  # fmt: skip
    runner = ToolRunner(registry, Router(registry.specs()), planner, run_blocking, zone=zone)
    return ToolService(registry, runner, store, clock, zone)
