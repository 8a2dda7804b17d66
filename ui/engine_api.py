"""What the window uses of the assistant's memory, reminders, tools and remote models, as typed protocols.

The window reads these parts through the functions below, so it keeps working (with the parts off)
against an assistant that lacks them, and type-checks against their shape rather than their classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from engine.memory.types import MemoryHit, MemoryItem
from engine.stages.base import ChatMessage


class MemoryServiceLike(Protocol):
    """The part of engine/memory/service.py's `MemoryService` the Memory panel calls (each call blocks)."""

    def items(self, *, kind: Any = None, include_superseded: bool = True) -> list[MemoryItem]:
        """Stored memories, oldest first."""
        ...

    def search(self, query: str, k: int | None = None) -> list[MemoryHit]:
        """Memories ranked for `query`, best first."""
        ...

    def edit(self, memory_id: int, text: str) -> MemoryItem:
        """Replace a memory's text."""
        ...

    def forget(self, memory_id: int) -> bool:
        """Delete one memory."""
        ...

    def forget_all(self) -> int:
        """Delete every memory."""
        ...


class ReminderLike(Protocol):
    """A reminder as `Assistant.reminders()` lists it (`due_at`/`fired_at`: epoch seconds or datetimes)."""

    @property
    def id(self) -> int: ...  # noqa: D102

    @property
    def text(self) -> str: ...  # noqa: D102

    @property
    def due_at(self) -> float | datetime: ...  # noqa: D102

    @property
    def fired_at(self) -> float | datetime | None: ...  # noqa: D102

    @property
    def late(self) -> bool: ...  # noqa: D102


def epoch_of(moment: float | datetime) -> float:
    """Epoch seconds of a reminder's time, whichever way the engine gives it."""
    return moment.timestamp() if isinstance(moment, datetime) else float(moment)


def memory_of(assistant: object) -> MemoryServiceLike | None:
    """The assistant's memory service; None when memory is off, unusable, or not in this engine."""
    service: MemoryServiceLike | None = getattr(assistant, "memory", None)
    return service


def memory_problem_of(assistant: object) -> str:
    """Why memory is unusable ("" when it is fine)."""
    return str(getattr(assistant, "memory_problem", "") or "")


def reminders_of(assistant: object) -> list[ReminderLike]:
    """Every reminder the assistant knows (blocking: SQLite); [] when this engine has none."""
    listing = getattr(assistant, "reminders", None)
    return list(listing()) if callable(listing) else []


def sent_to_remote_of(assistant: object, turn_id: int) -> Sequence[ChatMessage]:
    """What was sent to a remote model for `turn_id`, after scrubbing; () when unknown."""
    sent = getattr(assistant, "sent_to_remote", None)
    return tuple(sent(turn_id)) if callable(sent) else ()


def call_if_present(assistant: object, name: str, *args: Any) -> bool:
    """Call the assistant's method `name` when it has one; False when it does not (logged by the caller)."""
    method = getattr(assistant, name, None)
    if not callable(method):
        return False
    method(*args)
    return True
