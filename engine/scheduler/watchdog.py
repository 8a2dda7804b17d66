"""Resident models (what is loaded, what it costs, when it was last used) and the idle watchdog.

Seed 9.1 rule 3 / seed 19: an on-demand model with `idle_unload_seconds` is unloaded once it has
been idle that long, which frees its memory and its budget. A model in use is never unloaded. The
watchdog sleeps until the earliest moment a model can become idle, not on a fixed tick.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from engine.errors import ErrorCode, SovaError
from engine.scheduler.budget import Budget

log = logging.getLogger(__name__)


@dataclass
class Resident:
    """A loaded model."""

    model_id: str
    mb: int
    idle_unload_s: float | None
    loaded_at: float
    last_used: float
    unload: Callable[[], None] | None
    in_use: int = 0


class ResidentModels:
    """The loaded models, accounted in the budget; thread-safe."""

    def __init__(self, budget: Budget, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self._lock = threading.Lock()
        self._models: dict[str, Resident] = {}
        self._resident_s: dict[str, float] = {}

    def add(
        self,
        model_id: str,
        mb: int,
        *,
        idle_unload_s: float | None = None,
        unload: Callable[[], None] | None = None,
        reserved: bool = False,
    ) -> None:
        """Record a loaded model; its budget must be reserved already when `reserved`, else it is forced."""
        if not reserved and not self.budget.force(model_id, mb):
            log.warning("%s overdraws the memory budget (%d MB used of %d)", model_id, self.budget.used_mb,
                        self.budget.total_mb)
        now = self._clock()
        with self._lock:
            self._models[model_id] = Resident(model_id, mb, idle_unload_s, now, now, unload)

    def __contains__(self, model_id: object) -> bool:
        with self._lock:
            return model_id in self._models

    def ids(self) -> list[str]:
        """Loaded model ids."""
        with self._lock:
            return sorted(self._models)

    def get(self, model_id: str) -> Resident | None:
        """The record of a loaded model."""
        with self._lock:
            return self._models.get(model_id)

    @contextmanager
    def using(self, model_id: str) -> Iterator[None]:
        """Mark the model in use for the block (the watchdog leaves it alone)."""
        with self._lock:
            resident = self._models.get(model_id)
            if resident is None:
                raise SovaError(f"{model_id} is not loaded", code=ErrorCode.MODEL_NOT_LOADED)
            resident.in_use += 1
        try:
            yield
        finally:
            with self._lock:
                resident.in_use -= 1
                resident.last_used = self._clock()

    def idle(self) -> list[str]:
        """Models past their idle limit and not in use."""
        now = self._clock()
        with self._lock:
            return [
                r.model_id
                for r in self._models.values()
                if r.idle_unload_s is not None and r.in_use == 0 and now - r.last_used >= r.idle_unload_s
            ]

    def unload(self, model_id: str) -> bool:
        """Unload a model not in use and free its budget; False if it is in use or not loaded."""
        with self._lock:
            resident = self._models.get(model_id)
            if resident is None or resident.in_use:
                return False
            del self._models[model_id]
            self._resident_s[model_id] = self._resident_s.get(model_id, 0.0) + self._clock() - resident.loaded_at
        try:
            if resident.unload is not None:
                resident.unload()
        finally:
            self.budget.release(model_id)
        return True

    def next_idle_in(self) -> float | None:
        """Seconds until the earliest on-demand model can be idle (None: no such model is resident)."""
        now = self._clock()
        with self._lock:
            # a model in use becomes idle no sooner than its idle limit after it is released
            dues = [
                r.idle_unload_s if r.in_use else r.last_used + r.idle_unload_s - now
                for r in self._models.values()
                if r.idle_unload_s is not None
            ]
        return max(0.0, min(dues)) if dues else None

    def resident_seconds(self, model_id: str) -> float:
        """Seconds `model_id` has been loaded in total (this process), including now."""
        with self._lock:
            total = self._resident_s.get(model_id, 0.0)
            resident = self._models.get(model_id)
            if resident is not None:
                total += self._clock() - resident.loaded_at
            return total


class IdleWatchdog:
    """An asyncio task that unloads idle models (in a worker: closing a model may take a moment)."""

    def __init__(self, residents: ResidentModels, unload: Callable[[str], Awaitable[bool]]) -> None:
        self.residents = residents
        self._unload = unload
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Start watching (on the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sova-idle-watchdog")

    def wake(self) -> None:
        """A model was added (call on the loop's thread): look again at when the next one can be idle."""
        self._wake.set()

    async def tick(self) -> list[str]:
        """One pass: unload every idle model; return those unloaded."""
        done = []
        for model_id in self.residents.idle():
            if await self._unload(model_id):
                done.append(model_id)
        return done

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            delay = self.residents.next_idle_in()
            if delay is None or delay > 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
            try:
                await self.tick()
            except SovaError:
                log.exception("idle unload failed")

    async def stop(self) -> None:
        """Stop watching."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
