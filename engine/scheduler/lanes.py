"""Executor lanes: every blocking inference call runs in a lane the scheduler owns.

One single-thread lane per kind of work, so a model object is only ever used by one thread
(llama.cpp and CTranslate2 objects are not re-entrant) and the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, ParamSpec, TypeVar

Lane = Literal["stt", "llm", "tts", "aux"]
LANES: tuple[Lane, ...] = ("stt", "llm", "tts", "aux")

P = ParamSpec("P")
T = TypeVar("T")


class Lanes:
    """Named single-thread executors with a count of what is in flight on each."""

    def __init__(self) -> None:
        self._pools = {name: ThreadPoolExecutor(1, thread_name_prefix=f"sova-{name}") for name in LANES}
        self._busy = dict.fromkeys(LANES, 0)
        self._lock = threading.Lock()

    def busy(self, lane: Lane) -> bool:
        """Whether work is queued or running on `lane`."""
        with self._lock:
            return self._busy[lane] > 0

    def _tracked(self, lane: Lane, fn: Callable[[], T]) -> T:
        try:
            return fn()
        finally:
            with self._lock:
                self._busy[lane] -= 1

    async def run(self, lane: Lane, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on `lane` and await its result."""
        with self._lock:
            self._busy[lane] += 1
        call = functools.partial(contextvars.copy_context().run, functools.partial(fn, *args, **kwargs))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pools[lane], self._tracked, lane, call)

    def submit(self, lane: Lane, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Start `fn` on `lane` without awaiting it (for producers that stream into a queue)."""
        with self._lock:
            self._busy[lane] += 1
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._pools[lane], self._tracked, lane, fn)

    async def drained(self, lane: Lane, timeout_s: float) -> bool:
        """Wait until the work queued on `lane` before now has run; False when it takes over `timeout_s`."""
        try:
            await asyncio.wait_for(asyncio.shield(self.run(lane, lambda: None)), timeout_s)
        except TimeoutError:
            return False
        return True

    def shutdown(self, wait: bool = True) -> None:
        """Stop every lane."""
        for pool in self._pools.values():
            pool.shutdown(wait=wait, cancel_futures=True)
