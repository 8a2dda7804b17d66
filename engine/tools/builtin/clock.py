"""The date-and-time tool, in the system's (or the configured) time zone and the user's language."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from pydantic import BaseModel

from engine.stages.base import SpokenLanguage
from engine.tools.base import ToolContext, ToolResult, ToolSpec

_MONTHS_RU = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
_DAYS_RU = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def format_moment(moment: datetime, language: SpokenLanguage) -> str:
    """The moment as said: "10:05, Sunday, 29 November 2026" / "10:05, воскресенье, 29 ноября 2026 года"."""
    hm = f"{moment.hour:02d}:{moment.minute:02d}"
    if language == "ru":
        return f"{hm}, {_DAYS_RU[moment.weekday()]}, {moment.day} {_MONTHS_RU[moment.month - 1]} {moment.year} года"
    return f"{hm}, {_DAYS_EN[moment.weekday()]}, {moment.day} {_MONTHS_EN[moment.month - 1]} {moment.year}"


def format_offset(moment: datetime) -> str:
    """The UTC offset as "UTC+03:00" (pure)."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def describe_now(now: datetime, zone: tzinfo, language: SpokenLanguage) -> str:
    """The tool's answer for `now` seen in `zone` (pure)."""
    local = now.astimezone(zone)
    where = f"{zone} {format_offset(local)}"
    if language == "ru":
        return f"Сейчас {format_moment(local, 'ru')} (часовой пояс {where})."
    return f"It is now {format_moment(local, 'en')} (time zone {where})."


class ClockTool:
    """The current date and time."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.spec = ToolSpec(
            name="current_time",
            description={
                "ru": "Текущие время, дата и день недели в часовом поясе пользователя.",
                "en": "The current time, date and day of the week in the user's time zone.",
            },
            triggers=(
                r"\bкоторый (?:сейчас )?час\b",
                r"сколько (?:сейчас )?(?:времени|время)\W*$",
                r"(?:какое|какой|какая) (?:сейчас |сегодня )?(?:сейчас |сегодня )?(?:время|число|дата|день недели)\b",
                r"какой сегодня день\W*$",
                r"(?:текущее|точное) время",
                r"\bwhat time is it\b",
                r"\bwhat time it is\W*$",
                r"\bwhat(?:'s|s| is) the (?:time|date)(?: now| today| right now)?\W*$",
                r"\bwhat(?:'s|s| is) (?:today'?s date|the current time|the date today)",
                r"\bwhat day (?:is it|is today|of the week)",
                r"\b(?:tell me|do you know) the time\b",
                r"\bcurrent (?:time|date)\b",
            ),
        )

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Say the time, date and weekday."""
        local = context.now.astimezone(self.zone)
        return ToolResult(True, describe_now(context.now, self.zone, context.language), {"iso": local.isoformat()})

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """No arguments to read."""
        return {}
