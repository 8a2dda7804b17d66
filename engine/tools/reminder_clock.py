"""Fires reminders when due: one asyncio task that sleeps until the next one (no polling loop).

At start every pending reminder whose time passed while Sova was closed fires at once, marked late.
`wake()` after adding or cancelling a reminder makes the task look again. A reminder is marked fired
before `on_due` runs, so it fires at most once even if `on_due` fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from engine.tools.reminder_store import Reminder, ReminderStore

log = logging.getLogger(__name__)

OnDue = Callable[[Reminder, bool], Awaitable[None]]
#: a reminder fired this much after its time (the machine slept, the loop was blocked) counts as late
LATE_AFTER_S = 60.0
#: the longest single sleep: asyncio's clock is monotonic and stops while the machine is suspended, so
#: a sleep of days would wake too late after a suspend; waking now and then to re-read is cheap
MAX_SLEEP_S = 900.0


def utc_now() -> datetime:
    """The current time with its zone (UTC)."""
    return datetime.now(UTC)


class ReminderClock:
    """The due-time scheduler over a `ReminderStore`."""

    def __init__(self, store: ReminderStore, on_due: OnDue, *, now: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._on_due = on_due
        self._now = now
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started_at: datetime | None = None

    @property
    def running(self) -> bool:
        """Whether the task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task on the running loop (overdue reminders fire first, marked late)."""
        if self.running:
            return
        self._started_at = self._now()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sova-reminders")

    def wake(self) -> None:
        """Look at the store again (a reminder was added or cancelled)."""
        self._changed.set()

    async def close(self) -> None:
        """Stop the task."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._changed.clear()  # before reading: a wake() during the read is not lost
            pending = await asyncio.to_thread(self._store.pending)
            now = self._now()
            due = [r for r in pending if r.due_at <= now]
            for reminder in due:
                await self._fire(reminder, now)
            if due:
                continue
            timeout = MAX_SLEEP_S
            if pending:
                timeout = min(MAX_SLEEP_S, max(0.0, (pending[0].due_at - now).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    async def _fire(self, reminder: Reminder, now: datetime) -> None:
        started = self._started_at or now
        late = reminder.due_at < started or (now - reminder.due_at).total_seconds() > LATE_AFTER_S
        await asyncio.to_thread(self._store.mark_fired, reminder.id, now, late=late)
        try:
            await self._on_due(reminder, late)
        except Exception:
            log.exception("announcing reminder %s failed", reminder.id)
