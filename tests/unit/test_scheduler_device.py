"""Device leases (no overlap, STT first, deadlines) and the memory budget, with real threads."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from engine.errors import TurnCancelled
from engine.scheduler.device import Budget, BudgetExceeded, Device, LeaseRecord, TaskTimeout


def assert_no_overlap(records: list[LeaseRecord]) -> None:
    ordered = sorted(records, key=lambda r: r.start)
    for a, b in itertools.pairwise(ordered):
        assert a.end <= b.start, f"{a} overlaps {b}"


def test_leases_from_many_threads_never_overlap() -> None:
    device = Device(task_timeout_s=30)
    inside = 0
    worst = 0
    lock = threading.Lock()

    def work(holder: str) -> None:
        nonlocal inside, worst
        for _ in range(20):
            with device.lease(holder):
                with lock:
                    inside += 1
                    worst = max(worst, inside)
                time.sleep(0.0005)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=work, args=(h,)) for h in ("stt", "llm", "moe", "llm")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert worst == 1
    records = device.records()
    assert len(records) == 80
    assert_no_overlap(records)
    assert device.holder is None and device.queue_depth == 0


def test_stt_waiting_is_served_before_a_waiting_llm() -> None:
    device = Device(task_timeout_s=30)
    order: list[str] = []
    first = device.acquire("moe")

    def wait_for(holder: str) -> None:
        with device.lease(holder):
            order.append(holder)

    llm = threading.Thread(target=wait_for, args=("llm",))
    llm.start()
    while device.queue_depth < 1:
        time.sleep(0.001)
    stt = threading.Thread(target=wait_for, args=("stt",))
    stt.start()
    while device.queue_depth < 2:
        time.sleep(0.001)
    assert device.busy_with("stt") and device.busy_with("llm")
    device.release(first)
    llm.join()
    stt.join()
    assert order == ["stt", "llm"]


def test_streaming_gives_the_device_to_stt_between_chunks() -> None:
    device = Device(task_timeout_s=30)
    stt_done = threading.Event()
    seen: list[tuple[int, bool]] = []

    def tokens() -> object:
        for i in range(12):
            if i == 4:  # STT arrives while the LLM streams
                threading.Thread(target=device.call, args=("stt", stt_done.set)).start()
                while device.queue_depth < 1:
                    time.sleep(0.001)
            seen.append((i, stt_done.is_set()))
            yield i

    out = list(device.stream("llm", tokens(), chunk=4))  # type: ignore[call-overload]
    assert out == list(range(12))
    stt_done.wait(5)
    # the STT ran at the chunk boundary after token 7, not after all 12 tokens
    assert next(i for i, done in seen if done) == 8
    assert [r.holder for r in device.records()] == ["llm", "llm", "stt", "llm", "llm"]
    assert_no_overlap(device.records())


def test_a_hung_holder_loses_the_device_at_its_deadline() -> None:
    device = Device(task_timeout_s=0.2)
    hung_cancel = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hung() -> None:
        try:
            device.call("llm", lambda: release.wait(10), cancel=hung_cancel)
        except TaskTimeout as exc:
            errors.append(exc)

    t = threading.Thread(target=hung)
    t.start()
    while device.holder is None:
        time.sleep(0.001)
    t0 = time.monotonic()
    with device.lease("stt"):  # waits only until the deadline, then takes the device
        waited = time.monotonic() - t0
        assert device.holder == "stt"
    assert waited < 5
    assert hung_cancel.is_set(), "the hung task was told to stop"
    release.set()
    t.join()
    assert isinstance(errors[0], TaskTimeout)
    revoked = [r for r in device.records() if r.revoked]
    assert [r.holder for r in revoked] == ["llm"] and device.timeouts == 1
    assert_no_overlap([r for r in device.records() if not r.revoked])


def test_reap_frees_an_expired_lease_without_waiters() -> None:
    now = [0.0]
    device = Device(task_timeout_s=5, clock=lambda: now[0])
    lease = device.acquire("llm")
    assert device.reap() is None
    now[0] = 5.0
    record = device.reap()
    assert record is not None and record.revoked and lease.revoked
    assert device.holder is None
    device.release(lease)  # a late release of a revoked lease is harmless
    assert device.holder is None and len(device.records()) == 1


def test_a_cancelled_waiter_stops_waiting() -> None:
    device = Device(task_timeout_s=30)
    held = device.acquire("llm")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TurnCancelled):
        device.acquire("stt", cancel=cancel)
    assert device.queue_depth == 0
    # a cancelled stream ends quietly, as the model's own stream does
    assert list(device.stream("moe", iter([1, 2]), cancel=cancel)) == []
    device.release(held)


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

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.peak_mb <= 1000
    assert budget.used_mb == 0


def test_forcing_residents_reports_an_overdraw() -> None:
    budget = Budget(1000, "ram")
    assert budget.force("primary", 900)
    assert not budget.force("stt", 200)
    assert budget.free_mb == 0
