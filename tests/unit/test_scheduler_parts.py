"""Residency + the idle watchdog, the MoE's SLA rule, shutdown phases and the saved session, metrics,
and the scheduler on the bus: Scheduler.run's revoke and fence, downshift, on-demand load and idle unload.

Every wait has a deadline; assertions are about order, not speed.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from engine.bus import EventBus
from engine.cancel import CancelToken
from engine.config import LLMRoleSection
from engine.errors import TaskTimeout
from engine.events import DownshiftChanged, Event, LeaseRevoked, ModelLoaded, ModelUnloaded
from engine.memory.session_state import CutOffTurn, PendingTask, SessionState, emotion_from_json, resume_note
from engine.metrics import Metrics
from engine.scheduler import policy
from engine.scheduler.budget import Budget
from engine.scheduler.lanes import Lanes
from engine.scheduler.moe import p95, sla_broken
from engine.scheduler.scheduler import Scheduler
from engine.scheduler.shutdown import Phase, run_phases
from engine.scheduler.watchdog import IdleWatchdog, ResidentModels
from engine.stages.base import EmotionResult
from engine.stages.llm.loaded import LoadedLLM
from tests.conftest import make_config
from tests.harness.waiting import DEADLINE_S, wait_until_async


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


def test_next_idle_in_says_when_the_watchdog_must_look_again() -> None:
    clock = Clock()
    residents = ResidentModels(Budget(2000, "ram"), clock)
    assert residents.next_idle_in() is None
    residents.add("primary", 900)  # eager: never idle
    assert residents.next_idle_in() is None
    residents.add("moe", 100, idle_unload_s=300)
    clock.now = 100
    assert residents.next_idle_in() == 200
    with residents.using("moe"):
        assert residents.next_idle_in() == 300  # in use: no sooner than its limit after release
    clock.now = 700
    assert residents.next_idle_in() == 0.0


def test_watchdog_tick_unloads_through_its_callback() -> None:
    clock = Clock()
    residents = ResidentModels(Budget(2000, "ram"), clock)
    residents.add("moe", 100, idle_unload_s=1, unload=None)

    async def unload(model_id: str) -> bool:
        return residents.unload(model_id)

    dog = IdleWatchdog(residents, unload)
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


SAD = EmotionResult("sad", -0.6, -0.4, 0.8, "text")


@pytest.mark.parametrize(
    ("saved", "contains", "absent"),
    [
        (None, [], ["user"]),
        (SessionState(0.0), [], ["user"]),
        (SessionState(0.0, emotion=SAD), ["seemed sad", "negative mood, low energy"], ["cut off"]),
        (
            SessionState(
                0.0, cut_off=(CutOffTurn("How do owls see at night?", "Owls"),),
                pending=(PendingTask("Plan.Generate", "water the plants"),),
            ),
            ['"How do owls see at night?"'],
            ["seemed", "plants"],
        ),
    ],
)
def test_resume_note(saved: SessionState | None, contains: list[str], absent: list[str]) -> None:
    note = resume_note(saved)
    for text in contains:
        assert text in note
    for text in absent:
        assert text not in note
    assert bool(note) == bool(contains)


def test_session_state_round_trips_and_tolerates_damage() -> None:
    state = SessionState(12.5, SAD, (CutOffTurn("hi", "hel"),), (PendingTask("Eval.NeedJudge", "2+2?"),))
    assert SessionState.from_json(state.to_json()) == state
    assert state.to_json()["incomplete_chains"][0] == {"kind": "turn", "user_text": "hi", "partial_reply": "hel"}
    assert SessionState.from_json(None) is None and SessionState.from_json("junk") is None
    damaged = {"at": "x", "emotion": {"label": "sad"}, "incomplete_chains": [3, {"kind": "turn", "user_text": " "}]}
    assert SessionState.from_json(damaged) == SessionState(0.0)
    assert emotion_from_json({"label": "sad", "valence": -0.6, "arousal": -0.4, "confidence": 0.8}) == (
        EmotionResult("sad", -0.6, -0.4, 0.8, "")
    )


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


@pytest.fixture()
def make_scheduler() -> Iterator[Callable[..., tuple[Scheduler, list[Event]]]]:
    """A scheduler on a fresh bus whose every event is recorded; lanes and device closed after the test."""
    made: list[tuple[Scheduler, Lanes]] = []

    def make(**scheduler: Any) -> tuple[Scheduler, list[Event]]:
        lanes, bus, events = Lanes(), EventBus(), []
        bus.subscribe(events.append)
        made.append((Scheduler(make_config({"scheduler": scheduler}), lanes, bus, device="cpu"), lanes))
        return made[-1][0], events

    yield make
    for sched, lanes in made:
        sched.device.close()
        lanes.shutdown(wait=False)


def run(sched: Scheduler, main: Callable[[], Awaitable[None]]) -> None:
    async def bound() -> None:
        sched.bus.bind(asyncio.get_running_loop())
        await asyncio.wait_for(main(), DEADLINE_S * 3)

    asyncio.run(bound())


def test_run_past_its_limit_raises_at_once_and_fences_the_device_until_fn_returns(
    make_scheduler: Callable[..., tuple[Scheduler, list[Event]]],
) -> None:
    sched, events = make_scheduler(task_timeout_s=0.3)
    hang = threading.Event()  # the hung task ignores its cancel token

    async def main() -> None:
        cancel = CancelToken()
        with pytest.raises(TaskTimeout, match=r"stt ran longer than its 0\.3 s time limit"):
            await sched.run("stt", "stt", hang.wait, DEADLINE_S, cancel=cancel)
        assert cancel.is_set(), "the holder was told to stop"
        assert [type(e) for e in events] == [LeaseRevoked] and cast(LeaseRevoked, events[0]).holder == "stt"
        assert sched.device.fenced_by == "stt"
        after = asyncio.ensure_future(sched.run("llm", "llm", lambda: 42))
        await wait_until_async(lambda: sched.device.queue_depth == 1, "the llm to queue behind the fence")
        assert not after.done()
        hang.set()  # the hung call returns: the fence goes, the llm runs
        assert await after == 42

    try:
        run(sched, main)
    finally:
        hang.set()
    holders = [(r.holder, r.revoked) for r in sched.device.records()]
    assert holders == [("stt", True), ("llm", False)]
    assert "sova_scheduler_lease_timeouts_total 1.0" in sched.metrics.exposition()


def test_a_cooperative_task_stops_when_revoked_and_frees_the_device(
    make_scheduler: Callable[..., tuple[Scheduler, list[Event]]],
) -> None:
    sched, events = make_scheduler(task_timeout_s=0.3)

    async def main() -> None:
        cancel = CancelToken()
        with pytest.raises(TaskTimeout):
            await sched.run("llm", "llm", cancel.wait, DEADLINE_S, cancel=cancel)  # returns when told to stop
        assert await sched.run("stt", "stt", lambda: "heard") == "heard"

    run(sched, main)
    assert [type(e) for e in events] == [LeaseRevoked]


def test_downshift_changes_are_published_once_each(
    make_scheduler: Callable[..., tuple[Scheduler, list[Event]]],
) -> None:
    sched, events = make_scheduler()
    settings = LLMRoleSection(id="x")
    primary = LoadedLLM(cast(Any, SimpleNamespace(model_id="big")), "primary", settings)
    light = LoadedLLM(cast(Any, SimpleNamespace(model_id="small")), "lightweight", settings)
    stt = sched.device.acquire("stt")  # a transcription holds the device
    assert sched.choose_dialog(primary, light)[0] is light
    assert sched.choose_dialog(primary, light)[0] is light
    sched.device.release(stt)
    llm, decision = sched.choose_dialog(primary, light)
    assert llm is primary and not decision.downshifted
    assert events == [
        DownshiftChanged(True, policy.STT_BUSY, "lightweight", "small"),
        DownshiftChanged(False, "", "primary", "big"),
    ]
    assert sched.snapshot().downshifted is False


def test_an_on_demand_model_is_loaded_in_budget_and_unloaded_when_idle(
    make_scheduler: Callable[..., tuple[Scheduler, list[Event]]],
) -> None:
    sched, events = make_scheduler(ram_budget_mb=1000)
    unloaded = threading.Event()
    manifest = SimpleNamespace(id="moe", ram_mb=600, vram_mb=None, effective_load="on_demand",
                               idle_unload_seconds=0.2)
    provider = cast(Any, SimpleNamespace(manifest=manifest, load=lambda _options: "model", unload=unloaded.set))

    async def main() -> None:
        await sched.start()
        assert await sched.load(provider, None) == "model"
        assert sched.budget.used_mb == 600
        await wait_until_async(lambda: not sched.residents.ids(), "the idle unload")  # the watchdog's own timer
        await sched.close()

    run(sched, main)
    assert unloaded.is_set() and sched.budget.used_mb == 0
    assert events == [ModelLoaded("moe", 600), ModelUnloaded("moe", "idle")]
    assert [r.holder for r in sched.device.records()] == ["load"]


def test_stt_busy_follows_the_stt_lane(make_scheduler: Callable[..., tuple[Scheduler, list[Event]]]) -> None:
    sched, _ = make_scheduler()
    gate = threading.Event()

    async def main() -> None:
        assert not sched.stt_busy()
        task = asyncio.ensure_future(sched.run("stt", "stt", gate.wait, DEADLINE_S))
        await wait_until_async(sched.stt_busy, "the stt lane to be busy")
        gate.set()
        await task
        assert not sched.stt_busy()

    try:
        run(sched, main)
    finally:
        gate.set()


def test_scheduler_snapshot_metrics(make_scheduler: Callable[..., tuple[Scheduler, list[Event]]]) -> None:
    sched, _ = make_scheduler(ram_budget_mb=4000)
    sched.residents.add("qwen", 700)
    text = sched.metrics.exposition()
    assert 'sova_scheduler_model_loaded{model="qwen"} 1.0' in text
    assert 'sova_scheduler_budget_used_mb{kind="ram"} 700.0' in text
    assert 'sova_scheduler_budget_total_mb{kind="ram"} 4000.0' in text
    assert "sova_scheduler_leases_held 0.0" in text
    snap = sched.snapshot()
    assert (snap.device, snap.loaded, snap.downshifted) == ("cpu", ("qwen",), False)
