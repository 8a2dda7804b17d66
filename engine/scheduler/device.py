"""The compute device, taken by leases, and the memory budget of the models resident on it (seed 12).

One lease at a time: the heavy steps of STT, the LLM and the MoE never overlap on the device (on the
GPU they would fight for VRAM and compute; on a 2-core CPU they would slow each other down). Waiters
are served by priority (STT first: a user is waiting to be understood), then in arrival order.
Every lease has a deadline; a lease past it is revoked (its cancel event is set and the device is
given to the next waiter), so a hung task cannot hold the device forever. Python cannot stop the
hung thread itself: its lane stays busy until the call returns.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from engine.errors import SovaError, TurnCancelled

T = TypeVar("T")
DeviceName = Literal["cpu", "cuda"]
MemoryKind = Literal["ram", "vram"]

#: lower is served first
PRIORITY: dict[str, int] = {"stt": 0, "llm": 1, "embeddings": 1, "moe": 2}
_POLL_S = 0.05


class TaskTimeout(SovaError):
    """A task ran past its time limit; its device lease was taken back."""

    code = "task_timeout"
    exit_code = 10


class BudgetExceeded(SovaError):
    """A model does not fit in the memory budget."""

    code = "budget_exceeded"
    exit_code = 11


def detect_device(wanted: str = "auto") -> DeviceName:
    """`cuda` when asked for, or on `auto` when an NVIDIA driver is present; else `cpu`."""
    if wanted in ("cpu", "cuda"):
        return wanted  # type: ignore[return-value]
    # no CUDA import here (heavy backends stay in their modules): the driver's device node says enough
    return "cuda" if Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists() else "cpu"


@dataclass(frozen=True)
class LeaseRecord:
    """One finished lease: who held the device, from when to when (monotonic seconds)."""

    holder: str
    start: float
    end: float
    revoked: bool = False


@dataclass
class Lease:
    """The device, held by `holder` until `deadline` (monotonic seconds)."""

    holder: str
    start: float
    deadline: float
    cancel: threading.Event | None = None
    revoked: bool = False
    lease_id: int = 0


@dataclass(order=True)
class _Ticket:
    priority: int
    seq: int
    holder: str = field(compare=False)


class Device:
    """Leases on one compute device; thread-safe (leases are taken in lane worker threads)."""

    def __init__(
        self,
        name: DeviceName = "cpu",
        *,
        task_timeout_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        on_revoke: Callable[[LeaseRecord], None] | None = None,
        keep_records: int = 4096,
    ) -> None:
        self.name = name
        self.task_timeout_s = task_timeout_s
        self._clock = clock
        self._on_revoke = on_revoke
        self._cond = threading.Condition()
        self._current: Lease | None = None
        self._waiters: list[_Ticket] = []
        self._seq = itertools.count()
        self._records: deque[LeaseRecord] = deque(maxlen=keep_records)
        self.timeouts = 0

    # -- what is happening -------------------------------------------------------------------------

    @property
    def holder(self) -> str | None:
        """Who holds the device now, if anyone."""
        with self._cond:
            return self._current.holder if self._current else None

    @property
    def queue_depth(self) -> int:
        """How many are waiting for the device."""
        with self._cond:
            return len(self._waiters)

    def busy_with(self, holder: str) -> bool:
        """Whether `holder` holds the device or waits for it."""
        with self._cond:
            current = self._current is not None and self._current.holder == holder
            return current or any(t.holder == holder for t in self._waiters)

    def records(self) -> list[LeaseRecord]:
        """Finished leases, oldest first."""
        with self._cond:
            return list(self._records)

    # -- taking and giving back ----------------------------------------------------------------------

    def acquire(
        self,
        holder: str,
        *,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
        priority: int | None = None,
    ) -> Lease:
        """Wait for the device and take it; TurnCancelled if `cancel` is set while waiting."""
        ticket = _Ticket(PRIORITY.get(holder, 5) if priority is None else priority, next(self._seq), holder)
        with self._cond:
            bisect.insort(self._waiters, ticket)
            try:
                while True:
                    self._reap_locked()
                    if self._current is None and self._waiters[0] is ticket:
                        break
                    if cancel is not None and cancel.is_set():
                        raise TurnCancelled("stopped while waiting for the compute device")
                    wait = None if cancel is None else _POLL_S
                    if self._current is not None:
                        left = max(0.0, self._current.deadline - self._clock()) + 0.001
                        wait = left if wait is None else min(wait, left)
                    self._cond.wait(wait)
            except BaseException:
                self._waiters.remove(ticket)
                self._cond.notify_all()
                raise
            self._waiters.remove(ticket)
            now = self._clock()
            limit = self.task_timeout_s if timeout_s is None else timeout_s
            self._current = Lease(holder, now, now + limit, cancel, lease_id=ticket.seq)
            return self._current

    def release(self, lease: Lease) -> None:
        """Give the device back (a no-op for a lease already revoked)."""
        with self._cond:
            if self._current is lease:
                self._records.append(LeaseRecord(lease.holder, lease.start, self._clock()))
                self._current = None
                self._cond.notify_all()

    @contextmanager
    def lease(
        self, holder: str, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> Iterator[Lease]:
        """Hold the device for the `with` block."""
        lease = self.acquire(holder, timeout_s=timeout_s, cancel=cancel)
        try:
            yield lease
        finally:
            self.release(lease)

    def call(
        self, holder: str, fn: Callable[[], T], *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> T:
        """`fn()` under a lease; TaskTimeout when the lease was revoked meanwhile."""
        with self.lease(holder, timeout_s=timeout_s, cancel=cancel) as lease:
            result = fn()
        if lease.revoked:
            raise TaskTimeout(f"{holder} ran past its time limit", hint="raise [scheduler] task_timeout_s")
        return result

    def stream(
        self,
        holder: str,
        pieces: Iterable[T],
        *,
        chunk: int = 16,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[T]:
        """Yield from `pieces` holding the device per `chunk` items, so a waiting STT gets it in between."""
        it = iter(pieces)
        try:
            done = False
            while not done:
                try:
                    lease = self.acquire(holder, timeout_s=timeout_s, cancel=cancel)
                except TurnCancelled:
                    return  # the caller's cancel: end the stream quietly, as the model itself would
                try:
                    for _ in range(max(1, chunk)):
                        try:
                            piece = next(it)
                        except StopIteration:
                            done = True
                            break
                        if lease.revoked:
                            break
                        yield piece
                finally:
                    self.release(lease)
                if lease.revoked:
                    raise TaskTimeout(f"{holder} ran past its time limit", hint="raise [scheduler] task_timeout_s")
        finally:
            # a model's stream holds the model's lock until it is closed: close it on every way out
            close = getattr(it, "close", None)
            if callable(close):
                close()

    # -- deadlines -------------------------------------------------------------------------------------

    def reap(self) -> LeaseRecord | None:
        """Revoke the current lease if it is past its deadline; return its record if so."""
        with self._cond:
            return self._reap_locked()

    def _reap_locked(self) -> LeaseRecord | None:
        lease = self._current
        if lease is None or self._clock() < lease.deadline:
            return None
        lease.revoked = True
        if lease.cancel is not None:
            lease.cancel.set()  # a cooperative task (LLM streaming) stops at its next token
        record = LeaseRecord(lease.holder, lease.start, self._clock(), revoked=True)
        self._records.append(record)
        self._current = None
        self.timeouts += 1
        self._cond.notify_all()
        if self._on_revoke is not None:
            self._on_revoke(record)
        return record


class Budget:
    """Memory accounted from the manifests (vram_mb on the GPU, ram_mb on the CPU); never exceeded."""

    def __init__(self, total_mb: int, kind: MemoryKind) -> None:
        self.total_mb = total_mb
        self.kind = kind
        self._entries: dict[str, int] = {}
        self._lock = threading.Lock()
        self.peak_mb = 0

    @property
    def used_mb(self) -> int:
        """Memory reserved now."""
        with self._lock:
            return sum(self._entries.values())

    @property
    def free_mb(self) -> int:
        """Memory left (never negative)."""
        return max(0, self.total_mb - self.used_mb)

    def entries(self) -> dict[str, int]:
        """Reservations by key."""
        with self._lock:
            return dict(self._entries)

    def reserve(self, key: str, mb: int) -> None:
        """Reserve `mb` for `key`; BudgetExceeded (and nothing reserved) when it does not fit."""
        with self._lock:
            used = sum(v for k, v in self._entries.items() if k != key)
            if used + mb > self.total_mb:
                raise BudgetExceeded(
                    f"{key} needs {mb} MB of {self.kind}, {self.total_mb - used} MB of the {self.total_mb} MB "
                    "budget are free",
                    hint=f"unload a model, or raise [scheduler] {self.kind}_budget_mb",
                )
            self._entries[key] = mb
            self.peak_mb = max(self.peak_mb, used + mb)

    def force(self, key: str, mb: int) -> bool:
        """Account a model that is already resident (loaded at start); False when that overdraws."""
        with self._lock:
            self._entries[key] = mb
            used = sum(self._entries.values())
            self.peak_mb = max(self.peak_mb, used)
            return used <= self.total_mb

    def release(self, key: str) -> None:
        """Free `key`'s reservation."""
        with self._lock:
            self._entries.pop(key, None)
