"""Device leases (no overlap, STT first, deadlines, the fence after a revoke), the cancel token and
the memory budget, with real threads. Every wait has a deadline; assertions are about order, not speed."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.cancel import CancelToken
from engine.errors import BudgetExceeded, TaskTimeout, TurnCancelled
from engine.scheduler.budget import Budget
from engine.scheduler.device import Device, Lease, LeaseRecord
from tests.harness.waiting import DEADLINE_S, wait_until


def join(thread: threading.Thread) -> None:
    thread.join(DEADLINE_S)
    assert not thread.is_alive(), f"{thread.name} did not finish within {DEADLINE_S:g} s"


def start(fn: Callable[..., Any], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    return thread


def assert_no_overlap(records: list[LeaseRecord]) -> None:
    ordered = sorted(records, key=lambda r: r.start)
    for a, b in itertools.pairwise(ordered):
        assert a.end <= b.start, f"{a} overlaps {b}"


@pytest.fixture()
def make_device() -> Iterator[Callable[..., Device]]:
    made: list[Device] = []

    def make(**kwargs: Any) -> Device:
        made.append(Device(**kwargs))
        return made[-1]

    yield make
    for device in made:
        device.close()


def test_leases_from_many_threads_never_overlap(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=30)
    inside = 0
    worst = 0
    lock = threading.Lock()

    def body() -> None:
        nonlocal inside, worst
        with lock:
            inside += 1
            worst = max(worst, inside)
        time.sleep(0.0005)
        with lock:
            inside -= 1

    def work(holder: str) -> None:
        for _ in range(20):
            device.call(holder, body)

    for thread in [start(work, h) for h in ("stt", "llm", "moe", "llm")]:
        join(thread)
    assert worst == 1
    records = device.records()
    assert len(records) == 80
    assert_no_overlap(records)
    assert device.holder is None and device.queue_depth == 0


def test_stt_waiting_is_served_before_a_waiting_llm(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=30)
    order: list[str] = []
    first = device.acquire("moe")

    def wait_for(holder: str) -> None:
        device.call(holder, lambda: order.append(holder))

    llm = start(wait_for, "llm")
    wait_until(lambda: device.queue_depth == 1, "the llm to queue")
    stt = start(wait_for, "stt")
    wait_until(lambda: device.queue_depth == 2, "the stt to queue")
    assert device.busy_with("stt") and device.busy_with("llm")
    device.release(first)
    join(llm)
    join(stt)
    assert order == ["stt", "llm"]


def test_streaming_gives_the_device_to_stt_between_chunks(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=30)
    stt_done = threading.Event()
    seen: list[tuple[int, bool]] = []
    stt: list[threading.Thread] = []

    def tokens() -> Iterator[int]:
        for i in range(12):
            if i == 4:  # STT arrives while the LLM streams
                stt.append(start(device.call, "stt", stt_done.set))
                wait_until(lambda: device.queue_depth == 1, "the stt to queue")
            seen.append((i, stt_done.is_set()))
            yield i

    out = list(device.stream("llm", tokens(), chunk=4))
    join(stt[0])
    assert out == list(range(12))
    # the STT ran at the chunk boundary after token 7, not after all 12 tokens
    assert next(i for i, done in seen if done) == 8
    assert [r.holder for r in device.records()] == ["llm", "llm", "stt", "llm", "llm"]
    assert_no_overlap(device.records())


def test_a_lease_past_its_deadline_is_revoked_and_fences_the_device(make_device: Callable[..., Device]) -> None:
    revoked: list[Lease] = []
    device = make_device(task_timeout_s=0.1, on_revoke=revoked.append)
    lease = device.acquire("llm")  # nobody waits: the device's timer alone revokes it
    wait_until(lambda: lease.revoked, "the lease to be revoked")
    wait_until(lambda: len(revoked) == 1, "the revoke callback")
    assert revoked == [lease] and device.timeouts == 1 and lease.held_s >= 0.1
    assert device.fenced_by == "llm" and device.holder == "llm"  # its call has not returned: still fenced
    device.release(lease)  # the call returns: the fence goes
    device.release(lease)  # a second release is harmless
    assert device.holder is None and device.fenced_by is None
    assert [(r.holder, r.revoked) for r in device.records()] == [("llm", True)]


def test_a_hung_holder_keeps_the_device_fenced_until_its_call_returns(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=0.2)
    told_to_stop = CancelToken()
    hang = threading.Event()  # this task ignores its cancel token: only `hang` ends it
    errors: list[BaseException] = []

    def hung() -> None:
        try:
            device.call("llm", lambda: hang.wait(DEADLINE_S), cancel=told_to_stop)
        except TaskTimeout as exc:
            errors.append(exc)

    def stt() -> None:
        device.call("stt", lambda: None, timeout_s=30)

    hung_thread = start(hung)
    wait_until(told_to_stop.is_set, "the hung lease to be revoked (its cancel token set)")
    waiter = start(stt)
    wait_until(lambda: device.queue_depth == 1, "the stt to queue")
    assert device.fenced_by == "llm"
    hang.set()  # the hung call returns at last: only now may the STT run
    join(hung_thread)
    join(waiter)
    assert isinstance(errors[0], TaskTimeout) and "llm ran longer than its 0.2 s" in errors[0].message
    records = device.records()
    assert [(r.holder, r.revoked) for r in records] == [("llm", True), ("stt", False)]
    assert_no_overlap(records)  # the revoked task's real end included: the two never overlapped


def test_a_cooperative_holder_stops_on_revoke_and_the_waiter_follows(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=0.2)
    cancel = CancelToken()
    errors: list[BaseException] = []

    def cooperative() -> None:
        try:
            device.call("moe", lambda: cancel.wait(DEADLINE_S), cancel=cancel)  # returns when told to stop
        except TaskTimeout as exc:
            errors.append(exc)

    holder = start(cooperative)
    wait_until(lambda: device.holder == "moe", "the moe to hold the device")
    # the stt waits for the revoke and for the task's return
    assert device.call("stt", lambda: (cancel.is_set(), device.holder), timeout_s=30) == (True, "stt")
    join(holder)
    assert errors and isinstance(errors[0], TaskTimeout)
    assert_no_overlap(device.records())


def test_a_waiter_gives_up_on_a_device_fenced_longer_than_its_limit(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=0.1)
    hang = threading.Event()

    def hung_task() -> None:
        with pytest.raises(TaskTimeout):
            device.call("llm", lambda: hang.wait(DEADLINE_S))

    hung = start(hung_task)
    try:
        wait_until(lambda: device.fenced_by == "llm", "the fence")
        with pytest.raises(TaskTimeout, match=r"llm ran past its 0\.1 s time limit") as caught:
            device.acquire("stt", timeout_s=0.2)
        assert caught.value.hint is not None and "llm seems hung" in caught.value.hint
        assert device.queue_depth == 0 and device.fenced_by == "llm"
    finally:
        hang.set()
        join(hung)
    assert device.holder is None


def test_a_cancelled_waiter_wakes_at_once(make_device: Callable[..., Device]) -> None:
    device = make_device(task_timeout_s=30)
    held = device.acquire("llm")
    cancel = CancelToken()
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            device.acquire("stt", cancel=cancel)
        except TurnCancelled as exc:
            errors.append(exc)

    waiter = start(wait)
    wait_until(lambda: device.queue_depth == 1, "the stt to queue")
    cancel.set()  # the token notifies the device: no polling of the flag
    join(waiter)
    assert isinstance(errors[0], TurnCancelled) and device.queue_depth == 0
    # a cancelled stream ends quietly, as the model's own stream does
    assert list(device.stream("moe", iter([1, 2]), cancel=cancel)) == []
    device.release(held)


def test_cancel_token_is_an_event_that_runs_its_callbacks_once() -> None:
    token = CancelToken()
    calls: list[str] = []
    token.on_set(lambda: calls.append("a"))
    remove = token.on_set(lambda: calls.append("removed"))
    remove()
    assert isinstance(token, threading.Event) and not token.is_set() and not token.wait(0)
    token.set()
    token.set()
    assert token.is_set() and token.wait(0) and calls == ["a"]
    token.on_set(lambda: calls.append("late"))  # already set: runs at once
    assert calls == ["a", "late"]


def test_budget_is_never_exceeded() -> None:
    budget = Budget(1000, "ram")
    budget.reserve("a", 600)
    with pytest.raises(BudgetExceeded, match="400 MB of the 1000 MB"):
        budget.reserve("b", 401)
    assert budget.used_mb == 600 and "b" not in budget.entries()
    budget.reserve("b", 400)
    assert budget.free_mb == 0
    budget.release("a")
    budget.reserve("a", 500)  # re-reserving a key replaces it
    budget.reserve("a", 600)
    assert budget.used_mb == 1000 and budget.peak_mb == 1000


def test_budget_under_concurrent_reservations() -> None:
    budget = Budget(1000, "vram")
    refused = 0
    lock = threading.Lock()

    def work(k: int) -> None:
        nonlocal refused
        for j in range(50):
            key = f"{k}-{j}"
            try:
                budget.reserve(key, 300)
            except BudgetExceeded:
                with lock:
                    refused += 1
                continue
            assert budget.used_mb <= 1000
            budget.release(key)

    for thread in [start(work, k) for k in range(6)]:
        join(thread)
    assert budget.peak_mb <= 1000
    assert budget.used_mb == 0


def test_forcing_residents_reports_an_overdraw() -> None:
    budget = Budget(1000, "ram")
    assert budget.force("primary", 900)
    assert not budget.force("stt", 200)
    assert budget.free_mb == 0
