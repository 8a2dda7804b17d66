"""Residency + idle watchdog, the MoE's SLA rule, shutdown phases, metrics, and Scheduler.run's timeout."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from typing import Any

import pytest

from engine.metrics import Metrics
from engine.scheduler.device import Budget, TaskTimeout
from engine.scheduler.events import LeaseRevoked, SchedulerEvent
from engine.scheduler.lanes import Lanes
from engine.scheduler.moe import p95, sla_broken
from engine.scheduler.scheduler import Scheduler
from engine.scheduler.shutdown import Phase, resume_note, run_phases, snapshot
from engine.scheduler.watchdog import IdleWatchdog, ResidentModels
from tests.conftest import make_config


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_idle_models_are_unloaded_and_free_their_budget() -> None:
    clock = Clock()
    budget = Budget(2000, "ram")
    residents = ResidentModels(budget, clock)
    unloaded: list[str] = []
    residents.add("primary", 900)  # eager: never idle-unloaded
    budget.reserve("moe", 700)
    residents.add("moe", 700, idle_unload_s=300, unload=lambda: unloaded.append("moe"), reserved=True)
    clock.now = 299
    assert residents.idle() == []
    clock.now = 300
    assert residents.idle() == ["moe"]
    with residents.using("moe"):
        assert residents.idle() == [] and not residents.unload("moe")  # never while in use
    clock.now = 599
    assert residents.idle() == []  # used at 300: idle again from there
    clock.now = 601
    assert residents.unload("moe")
    assert unloaded == ["moe"] and residents.ids() == ["primary"] and budget.used_mb == 900
    assert residents.resident_seconds("moe") == 601
    assert not residents.unload("moe")


def test_watchdog_tick_unloads_through_its_callback() -> None:
    clock = Clock()
    residents = ResidentModels(Budget(2000, "ram"), clock)
    residents.add("moe", 100, idle_unload_s=1, unload=None)

    async def unload(model_id: str) -> bool:
        return residents.unload(model_id)

    dog = IdleWatchdog(residents, unload, interval_s=0.01)
    assert asyncio.run(dog.tick()) == []
    clock.now = 2
    assert asyncio.run(dog.tick()) == ["moe"]
    assert "moe" not in residents


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0.0), ([5.0], 5.0), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10), (list(range(1, 101)), 95), ([3, 1, 2], 3)],
)
def test_p95_nearest_rank(values: list[float], expected: float) -> None:
    assert p95(values) == expected


@pytest.mark.parametrize(
    ("latencies", "sla", "min_samples", "broken"),
    [
        ([9000.0] * 4, 5000.0, 5, False),  # too few samples for a verdict
        ([9000.0] * 5, 5000.0, 5, True),
        ([100.0] * 19 + [9000.0], 5000.0, 5, False),  # one slow task in 20 is within p95
        ([100.0] * 18 + [9000.0] * 2, 5000.0, 5, True),
        ([5000.0] * 5, 5000.0, 5, False),  # at the SLA is not over it
    ],
)
def test_sla_rule(latencies: list[float], sla: float, min_samples: int, broken: bool) -> None:
    assert sla_broken(latencies, sla, min_samples) is broken


def test_shutdown_phases_run_in_order_with_their_time_limits() -> None:
    ran: list[str] = []

    async def ok() -> None:
        ran.append("input")

    async def hangs() -> None:
        ran.append("processing")
        await asyncio.sleep(30)

    async def fails() -> None:
        ran.append("state")
        raise OSError("disk full")

    async def last() -> None:
        ran.append("output")

    outcomes = asyncio.run(
        run_phases(
            [
                Phase("input", ok, 1),
                Phase("processing", hangs, 0.05),
                Phase("state", fails, 1),
                Phase("output", last, 1),
            ]
        )
    )
    assert ran == ["input", "processing", "state", "output"]
    assert [(o.name, o.ok, o.timed_out) for o in outcomes] == [
        ("input", True, False),
        ("processing", False, True),
        ("state", False, False),
        ("output", True, False),
    ]
    assert "disk full" in outcomes[2].error


@pytest.mark.parametrize(
    ("saved", "contains", "absent"),
    [
        (None, [], ["user"]),
        ({"emotion": None, "incomplete_chains": []}, [], ["user"]),
        (
            snapshot({"label": "sad", "valence": -0.6, "arousal": -0.4, "confidence": 0.8, "source": "text"}, [], 0),
            ["seemed sad", "negative mood, low energy"],
            ["cut off"],
        ),
        (
            snapshot(
                None,
                [
                    {"kind": "turn", "user_text": "How do owls see at night?"},
                    {"kind": "moe", "trigger": "Plan.Generate"},
                ],
                0,
            ),
            ['"How do owls see at night?"'],
            ["seemed"],
        ),
    ],
)
def test_resume_note(saved: dict[str, Any] | None, contains: list[str], absent: list[str]) -> None:
    note = resume_note(saved)
    for text in contains:
        assert text in note
    for text in absent:
        assert text not in note
    assert bool(note) == bool(contains)


def test_metrics_use_a_dedicated_registry_and_the_seed_names() -> None:
    a, b = Metrics(), Metrics()
    a.moe_judge_latency_ms.observe(120.0)
    a.observe_turn({"stt_ms": 300.0, "llm_first_token_ms": 450.0, "unknown_ms": 1.0})
    assert a.observe_agreement(True) == 1.0
    assert a.observe_agreement(False) == 0.5
    text_a, text_b = a.exposition(), b.exposition()
    for name in (
        "moe_judge_latency_ms_bucket",
        "moe_judge_agreement_rate",
        "moe_planner_latency_ms_count",
        "moe_memory_resident_sec",
    ):
        assert name in text_a
    assert 'sova_stage_latency_ms_count{stage="stt"} 1.0' in text_a
    assert 'stage="unknown"' not in text_a
    assert "moe_judge_latency_ms_count 1.0" in text_a
    assert "moe_judge_latency_ms_count 0.0" in text_b  # b does not see a's observations
    assert "moe_judge_agreement_rate 0.5" in text_a


def test_metrics_http_binds_to_localhost_only() -> None:
    m = Metrics()
    port = m.serve_http(0)
    try:
        assert m._server.server_address[0] == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            assert b"moe_judge_latency_ms" in resp.read()
    finally:
        m.stop_http()


def _scheduler(**scheduler: Any) -> tuple[Scheduler, Lanes]:
    lanes = Lanes()
    config = make_config({"scheduler": scheduler})
    return Scheduler(config, lanes, device="cpu"), lanes


def test_scheduler_run_times_out_and_frees_the_lease() -> None:
    sched, lanes = _scheduler(task_timeout_s=0.3)
    events: list[SchedulerEvent] = []
    sched.add_listener(events.append)
    release = threading.Event()

    async def main() -> None:
        with pytest.raises(TaskTimeout, match="stt ran longer than"):
            await sched.run("stt", "stt", release.wait, 30)
        assert sched.device.holder is None
        # the device is usable at once by another lane, though the stt lane's thread still hangs
        assert await sched.run("llm", "llm", lambda: 42) == 42
        release.set()

    try:
        asyncio.run(main())
    finally:
        release.set()
        lanes.shutdown()
    assert [type(e) for e in events] == [LeaseRevoked] and events[0].holder == "stt"  # type: ignore[union-attr]
    assert "sova_scheduler_lease_timeouts_total 1.0" in sched.metrics.exposition()


def test_scheduler_snapshot_metrics() -> None:
    sched, lanes = _scheduler(ram_budget_mb=4000)
    try:
        sched.residents.add("qwen", 700)
        text = sched.metrics.exposition()
        assert 'sova_scheduler_model_loaded{model="qwen"} 1.0' in text
        assert 'sova_scheduler_budget_used_mb{kind="ram"} 700.0' in text
        assert 'sova_scheduler_budget_total_mb{kind="ram"} 4000.0' in text
        assert "sova_scheduler_leases_held 0.0" in text
        snap = sched.snapshot()
        assert (snap.device, snap.loaded, snap.downshifted) == ("cpu", ("qwen",), False)
    finally:
        lanes.shutdown()


def test_scheduler_stt_busy_follows_the_stt_lane() -> None:
    sched, lanes = _scheduler()
    gate = threading.Event()

    async def main() -> None:
        assert not sched.stt_busy()
        task = asyncio.ensure_future(sched.run("stt", "stt", gate.wait, 10))
        t0 = time.monotonic()
        while not sched.stt_busy() and time.monotonic() - t0 < 5:  # noqa: ASYNC110 -- a worker's state
            await asyncio.sleep(0.01)
        assert sched.stt_busy()
        gate.set()
        await task
        assert not sched.stt_busy()

    try:
        asyncio.run(main())
    finally:
        gate.set()
        lanes.shutdown()
