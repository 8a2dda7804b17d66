"""Timers and reminders as tools: set one from a time phrase ("через 10 минут"), list the pending ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.stages.base import SpokenLanguage
from engine.tools.base import NoArgs, ToolContext, ToolResult, ToolSpec
from engine.tools.builtin.clock import format_moment
from engine.tools.reminder_store import Reminder, ReminderStore
from engine.tools.timeparse import parse_when, split_reminder


def format_in(seconds: float, language: SpokenLanguage) -> str:
    """How long until then: "через 1 ч 5 мин" / "in 1 h 5 min" (pure)."""
    total = max(0, round(seconds / 60))
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    units = ("дн", "ч", "мин") if language == "ru" else ("d", "h", "min")
    parts = [f"{n} {u}" for n, u in zip((days, hours, minutes), units, strict=True) if n]
    if not parts:
        return "меньше чем через минуту" if language == "ru" else "in less than a minute"
    return ("через " if language == "ru" else "in ") + " ".join(parts)


def describe_reminder(reminder: Reminder, now: datetime, zone: tzinfo, language: SpokenLanguage) -> str:
    """One reminder as the model should repeat it (pure)."""
    when = format_moment(reminder.due_at.astimezone(zone), language)
    left = format_in((reminder.due_at - now).total_seconds(), language)
    return (
        f"№{reminder.id} «{reminder.text}» — {when} ({left})"
        if language == "ru"
        else (f'#{reminder.id} "{reminder.text}" at {when} ({left})')
    )


class ReminderArgs(BaseModel):
    """What to remind of and when."""

    model_config = ConfigDict(extra="forbid")

    # no example phrases here: a small planner model copies them instead of the user's words
    text: str = Field(min_length=1, max_length=500, description="what to remind of, copied from the user's words")
    when: str = Field(min_length=1, max_length=120, description="the time phrase copied from the user's words")


class ReminderAddTool:
    """Set a timer or a reminder."""

    def __init__(self, store: ReminderStore, zone: tzinfo, on_added: Callable[[], None] | None = None) -> None:
        self.store = store
        self.zone = zone
        self._on_added = on_added
        self.spec = ToolSpec(
            name="reminder_add",
            description={
                "ru": "Ставит таймер или напоминание на указанное пользователем время.",
                "en": "Sets a timer or a reminder for the time the user names.",
            },
            args=ReminderArgs,
            triggers=(
                r"(?:^|\b)(?:напомни|напоминание на|поставь(?: мне)? (?:таймер|будильник|напоминание)|засеки|разбуди)",
                r"\b(?:таймер на|будильник на)\b",
                r"\b(?:remind me|set (?:a|an|the) (?:timer|alarm|reminder)|start a timer|wake me)\b",
                r"\b(?:timer|alarm) for\b",
            ),
        )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Parse the time and store the reminder; an unclear or past time is a failed result saying so."""
        assert isinstance(args, ReminderArgs)
        ru = context.language == "ru"
        now = context.now.astimezone(self.zone)
        due = parse_when(args.when, now)
        if due is None:
            return ToolResult(
                False,
                f"Не понял время «{args.when}»: скажите, например, «через 10 минут» или «завтра в 9:00»."
                if ru
                else f'Could not understand the time "{args.when}": say e.g. "in 10 minutes" or "tomorrow at 9:00".',
            )
        if due <= now:
            return ToolResult(False, "Это время уже прошло." if ru else "That time has already passed.")
        reminder = self.store.add(args.text, due, now)
        if self._on_added is not None:
            self._on_added()
        said = describe_reminder(reminder, now, self.zone, context.language)
        head = "Напоминание поставлено: " if ru else "Reminder set: "
        return ToolResult(True, head + said + ".", reminder.as_json())

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The time phrase and the task, when the utterance names a time."""
        found = split_reminder(text)
        return {"text": found[1], "when": found[0]} if found else None


class RemindersListTool:
    """List the pending reminders."""

    def __init__(self, store: ReminderStore, zone: tzinfo) -> None:
        self.store = store
        self.zone = zone
        self.spec = ToolSpec(
            name="reminders_list",
            description={
                "ru": "Перечисляет ожидающие напоминания и таймеры.",
                "en": "Lists pending reminders and timers.",
            },
            args=NoArgs,
            triggers=(
                r"(?:какие|мои|список|покажи|перечисли)(?: у меня)?(?: мои)? (?:напоминани|таймер)",
                r"\b(?:my|list|show|what are my|which|any) (?:pending )?(?:reminders|timers)\b",
            ),
        )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Say each pending reminder."""
        ru = context.language == "ru"
        now = context.now.astimezone(self.zone)
        pending = self.store.pending()
        if not pending:
            return ToolResult(True, "Напоминаний нет." if ru else "There are no pending reminders.", {"count": 0})
        items = "; ".join(describe_reminder(r, now, self.zone, context.language) for r in pending[:10])
        head = f"Напоминания ({len(pending)}): " if ru else f"Pending reminders ({len(pending)}): "
        return ToolResult(True, head + items, {"count": len(pending)})

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """No arguments to read."""
        return {}
