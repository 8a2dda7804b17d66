"""The compute device, taken by leases (seed 12).

One lease at a time: the heavy steps of STT, the LLM and the MoE never overlap on the device (on the
GPU they would fight for VRAM and compute; on a 2-core CPU they would slow each other down). Waiters
are served by priority (STT first: a user is waiting to be understood), then in arrival order.

Every lease has a deadline, watched by one timer thread. A lease past it is *revoked*: its holder is
told (its cancel token is set, its `on_revoke` callbacks run) and its caller gets `TaskTimeout`. Python
cannot stop the thread itself, so the device stays *fenced* until that call actually returns: no
second heavy task starts beside a hung one. A waiter that waits on a fenced device longer than its own
time limit gets `TaskTimeout` naming the hung holder.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from engine.cancel import CancelToken
from engine.errors import TaskTimeout, TurnCancelled

log = logging.getLogger(__name__)
T = TypeVar("T")
DeviceName = Literal["cpu", "cuda"]

#: lower is served first; other holders (a model "load") come after these
PRIORITY: dict[str, int] = {"stt": 0, "llm": 1, "embeddings": 1, "moe": 2}
_OTHER_PRIORITY = 5
_KEEP_RECORDS = 4096
_TIMEOUT_HINT = "try again; raise [scheduler] task_timeout_s if the task is legitimately long"


def detect_device(wanted: str = "auto") -> DeviceName:
    """`cuda` when asked for, or on `auto` when an NVIDIA driver is present; else `cpu`."""
    if wanted in ("cpu", "cuda"):
        return wanted  # type: ignore[return-value]
    # no CUDA import here (heavy backends stay in their modules): the driver's device node says enough
    return "cuda" if Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists() else "cpu"


@dataclass(frozen=True)
class LeaseRecord:
    """One finished lease: who held the device, from when until its call returned (monotonic seconds)."""

    holder: str
    start: float
    end: float
    revoked: bool = False


@dataclass(eq=False)
class Lease:
    """The device, held by `holder` until `deadline` (monotonic seconds)."""

    holder: str
    start: float
    deadline: float
    limit_s: float
    cancel: CancelToken | None = None
    on_revoke: Callable[[Lease], None] | None = None
    revoked: bool = False
    revoked_at: float = 0.0

    @property
    def held_s(self) -> float:
        """How long it had held the device when it was revoked."""
        return self.revoked_at - self.start


@dataclass(order=True)
class _Ticket:
    priority: int
    seq: int
    holder: str = field(compare=False)


def overran(lease: Lease) -> TaskTimeout:
    """The error the caller of a revoked lease gets."""
    return TaskTimeout(f"{lease.holder} ran longer than its {lease.limit_s:g} s time limit and was given up",
                       hint=_TIMEOUT_HINT)


class Device:
    """Leases on one compute device; thread-safe (leases are taken in lane worker threads)."""

    def __init__(
        self,
        name: DeviceName = "cpu",
        *,
        task_timeout_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        on_revoke: Callable[[Lease], None] | None = None,
    ) -> None:
        self.name = name
        self.task_timeout_s = task_timeout_s
        self._clock = clock
        self._on_revoke = on_revoke
        self._cond = threading.Condition()
        self._current: Lease | None = None
        self._waiters: list[_Ticket] = []
        self._seq = itertools.count()
        self._records: deque[LeaseRecord] = deque(maxlen=_KEEP_RECORDS)
        self._timer: threading.Thread | None = None
        self._closed = False
        self.timeouts = 0

    # -- what is happening -------------------------------------------------------------------------

    @property
    def holder(self) -> str | None:
        """Who holds the device now (a revoked holder whose call has not returned yet included)."""
        with self._cond:
            return self._current.holder if self._current else None

    @property
    def fenced_by(self) -> str | None:
        """The revoked holder whose call has not returned yet, if any: nobody gets the device meanwhile."""
        with self._cond:
            return self._current.holder if self._current and self._current.revoked else None

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
        cancel: CancelToken | None = None,
        on_revoke: Callable[[Lease], None] | None = None,
    ) -> Lease:
        """Wait for the device and take it for at most `timeout_s` (default: `task_timeout_s`).

        TurnCancelled if `cancel` is set while waiting; TaskTimeout if the device stays fenced by a hung
        holder longer than `timeout_s`. `on_revoke(lease)` runs (in the timer thread) if the lease is revoked.
        """
        limit = self.task_timeout_s if timeout_s is None else timeout_s
        ticket = _Ticket(PRIORITY.get(holder, _OTHER_PRIORITY), next(self._seq), holder)
        # a set token wakes this wait at once (no polling of the flag)
        stop_watching = cancel.on_set(self._wake) if cancel is not None else _nothing
        try:
            with self._cond:
                bisect.insort(self._waiters, ticket)
                try:
                    self._wait_for_turn(ticket, limit, cancel)
                finally:
                    self._waiters.remove(ticket)
                    self._cond.notify_all()  # the next waiter may be first now; the timer sees a new deadline
                now = self._clock()
                self._current = Lease(holder, now, now + limit, limit, cancel, on_revoke)
                self._start_timer()
                return self._current
        finally:
            stop_watching()

    def _wait_for_turn(self, ticket: _Ticket, limit: float, cancel: CancelToken | None) -> None:
        since = self._clock()
        while True:
            if cancel is not None and cancel.is_set():
                raise TurnCancelled("stopped while waiting for the compute device")
            current = self._current
            if current is None and self._waiters[0] is ticket:
                return
            wait: float | None = None  # a holder in time: the timer thread or its release wakes us
            if current is not None and current.revoked:
                give_up = max(since, current.revoked_at) + limit
                wait = give_up - self._clock()
                if wait <= 0:
                    raise TaskTimeout(
                        f"{ticket.holder} waited {self._clock() - since:.0f} s for the compute device: "
                        f"{current.holder} ran past its {current.limit_s:g} s time limit "
                        f"{self._clock() - current.revoked_at:.0f} s ago and has not returned",
                        hint=f"{current.holder} seems hung: restart Sova if it does not recover; "
                        "raise [scheduler] task_timeout_s if its tasks are legitimately long",
                    )
            self._cond.wait(wait)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def release(self, lease: Lease) -> None:
        """Give the device back; a revoked lease's release lifts the fence (a second release is a no-op)."""
        with self._cond:
            if self._current is lease:
                self._records.append(LeaseRecord(lease.holder, lease.start, self._clock(), lease.revoked))
                self._current = None
                self._cond.notify_all()

    def call(
        self,
        holder: str,
        fn: Callable[[], T],
        *,
        timeout_s: float | None = None,
        cancel: CancelToken | None = None,
        on_revoke: Callable[[Lease], None] | None = None,
    ) -> T:
        """`fn()` under a lease; TaskTimeout when the lease was revoked meanwhile (its result is dropped)."""
        lease = self.acquire(holder, timeout_s=timeout_s, cancel=cancel, on_revoke=on_revoke)
        try:
            result = fn()
        finally:
            self.release(lease)
        if lease.revoked:  # whatever a task told to stop returns (a partial transcript...) is not its answer
            raise overran(lease)
        return result

    def stream(
        self,
        holder: str,
        pieces: Iterable[T],
        *,
        chunk: int = 16,
        timeout_s: float | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[T]:
        """Yield from `pieces` holding the device per `chunk` items, so a waiting STT gets it in between.

        A revoked chunk ends the stream with TaskTimeout at the next piece (the cancel token stops the model).
        """
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
                    raise overran(lease)
        finally:
            # a model's stream holds the model's lock until it is closed: close it on every way out
            close = getattr(it, "close", None)
            if callable(close):
                close()

    # -- deadlines -------------------------------------------------------------------------------------

    def _start_timer(self) -> None:
        if self._timer is None and not self._closed:
            self._timer = threading.Thread(target=self._watch_deadlines, name="sova-device-deadlines", daemon=True)
            self._timer.start()

    def _watch_deadlines(self) -> None:
        """The timer thread: sleeps until the current lease's deadline (or a change), revokes it if passed."""
        while True:
            with self._cond:
                lease = None
                while lease is None:
                    if self._closed:
                        return
                    current = self._current
                    if current is None or current.revoked:
                        self._cond.wait()  # a new lease (or close) notifies
                        continue
                    left = current.deadline - self._clock()
                    if left > 0:
                        self._cond.wait(left)
                        continue
                    current.revoked = True
                    current.revoked_at = self._clock()
                    self.timeouts += 1
                    self._cond.notify_all()  # waiters start counting their own limit against the fence
                    lease = current
            self._announce(lease)

    def _announce(self, lease: Lease) -> None:
        # Outside the lock: these reach other threads and the event loop. The order is deliberate:
        # the device's own callback (the scheduler publishes LeaseRevoked) first, so the event is on the
        # loop before anything can wake the caller; then the holder's cancel token (an LLM stream stops
        # at its next token); last the caller's own callback, which makes it raise TaskTimeout.
        steps: list[Callable[[], None]] = []
        if self._on_revoke is not None:
            steps.append(functools.partial(self._on_revoke, lease))
        if lease.cancel is not None:
            steps.append(lease.cancel.set)
        if lease.on_revoke is not None:
            steps.append(functools.partial(lease.on_revoke, lease))
        for step in steps:
            try:
                step()
            except Exception:  # the timer thread must survive a broken callback: later deadlines depend on it
                log.exception("revoking %s: a callback failed", lease.holder)

    def close(self) -> None:
        """Stop the timer thread (leases still held are no longer revoked)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.join(timeout=5)


def _nothing() -> None:
    return None
