"""The one event bus: every engine event (turn, scheduler, notices) reaches every subscriber.

Listeners run on the event loop's thread, in the order they subscribed. Worker threads publish
with `publish_threadsafe`, which hands the event to the loop. A listener that raises is logged and
skipped: a broken display must never break a turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from engine.events import Event

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]


class EventBus:
    """Typed publish/subscribe for `engine.events.Event`."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver events published from worker threads on `loop` (the engine's loop)."""
        self._loop = loop

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` for every event from now on; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Hand `event` to every listener now (call on the loop's thread)."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken listener must not starve the others or break the turn
                log.exception("event listener failed on %r", event)

    def publish_threadsafe(self, event: Event) -> None:
        """Publish from any thread: the listeners run on the bound loop (now, if unbound or closed)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self.publish(event)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.publish(event)
        else:
            loop.call_soon_threadsafe(self.publish, event)
