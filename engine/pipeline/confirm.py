"""Asking the user before a tool changes something: a request on the bus, an answer from the window.

`ConfirmationBroker.ask` publishes `ConfirmationRequested` and waits for `resolve(request_id, allowed)`
(the window's Allow / Deny), a time limit, or the turn's cancellation — the last two refuse. With no
window listening (`sova ask`), the policy given at construction answers at once: `--yes` allows,
anything else refuses with a reason the model and the user hear.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from engine.cancel import CancelToken
from engine.events import ConfirmationRequested, Event

#: how long a question to the user stays open before it counts as "no"
CONFIRM_TIMEOUT_S = 60.0


class ConfirmationBroker:
    """Open confirmation requests by id; `interactive` False answers every request with `auto_allow`."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        *,
        interactive: bool,
        auto_allow: bool = False,
        timeout_s: float = CONFIRM_TIMEOUT_S,
    ) -> None:
        self._emit = emit
        self.interactive = interactive
        self.auto_allow = auto_allow
        self.timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._open: dict[int, asyncio.Future[bool]] = {}

    async def ask(
        self, tool: str, args: Mapping[str, Any], description: str, cancel: CancelToken | None = None
    ) -> bool:
        """True when the user allows the call."""
        if not self.interactive:
            return self.auto_allow
        request_id = next(self._ids)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._open[request_id] = future
        remove: Callable[[], None] | None = None
        if cancel is not None:  # barge-in refuses (the token may be set from another thread)
            loop = asyncio.get_running_loop()

            def refuse() -> None:
                loop.call_soon_threadsafe(self.resolve, request_id, False)

            remove = cancel.on_set(refuse)
        self._emit(ConfirmationRequested(request_id, tool, dict(args), description))
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            return False
        finally:
            self._open.pop(request_id, None)
            if remove is not None:
                remove()

    def resolve(self, request_id: int, allowed: bool) -> None:
        """The user's answer (unknown or already answered ids are ignored)."""
        future = self._open.get(request_id)
        if future is not None and not future.done():
            future.set_result(allowed)

    def refuse_all(self) -> None:
        """Answer every open request with no (shutdown)."""
        for request_id in list(self._open):
            self.resolve(request_id, False)
