"""The model-selection policy (seed 3.1, 3.2, 12, 19) as tables."""

from __future__ import annotations

import pytest

from engine.scheduler import policy as P
from engine.scheduler.policy import Decision, DeviceState, PolicyLimits, decide

LIMITS = PolicyLimits(
    primary_context=4096,
    extended_context=8192,
    reduced_context=2048,
    lightweight_context=3072,
    micro_context=1024,
    moe_context=16384,
    max_queue_depth=2,
    headroom_mb=1024,
    shared_gpu_layers=16,
)
BOTH = frozenset({"primary", "lightweight"})
ALL = frozenset({"primary", "lightweight", "micro"})
MOE_COST = 700


def state(**kw: object) -> DeviceState:
    return DeviceState(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "st", "expected"),
    [
        # dialog: seed 3.1 rule 1 (full context -> primary) and rule 2 (latency / load -> lightweight)
        ("dialog", state(), Decision("primary", 4096, 0, "low", False, P.FULL_CONTEXT)),
        ("dialog", state(on_gpu=True), Decision("primary", 4096, -1, "low", False, P.FULL_CONTEXT)),
        ("dialog", state(stt_busy=True), Decision("lightweight", 3072, 0, "low", True, P.STT_BUSY)),
        ("dialog", state(stt_busy=True, on_gpu=True), Decision("lightweight", 3072, -1, "low", True, P.STT_BUSY)),
        ("dialog", state(latency_critical=True), Decision("lightweight", 3072, 0, "low", True, P.LATENCY)),
        ("dialog", state(queue_depth=1), Decision("primary", 4096, 0, "low", False, P.FULL_CONTEXT)),
        ("dialog", state(queue_depth=2), Decision("lightweight", 3072, 0, "low", True, P.QUEUE)),
        ("dialog", state(free_budget_mb=1023), Decision("lightweight", 3072, 0, "low", True, P.BUDGET)),
        ("dialog", state(free_budget_mb=1024), Decision("primary", 4096, 0, "low", False, P.FULL_CONTEXT)),
        # no lightweight loaded: STT busy lowers the primary's context and its GPU layers (seed 12, 3.2)
        (
            "dialog",
            state(stt_busy=True, loaded=frozenset({"primary"}), on_gpu=True),
            Decision("primary", 2048, 16, "low", True, P.STT_BUSY_CONTEXT),
        ),
        (
            "dialog",
            state(latency_critical=True, loaded=frozenset({"primary"})),
            Decision("primary", 4096, 0, "low", False, P.FULL_CONTEXT),
        ),
        # the primary failed to load: the lightweight serves, and says why
        (
            "dialog",
            state(loaded=frozenset({"lightweight"})),
            Decision("lightweight", 3072, 0, "low", True, P.NO_PRIMARY),
        ),
        # seed 3.1 rule 4: micro checks (the tools' routing step)
        ("micro_classify", state(loaded=ALL), Decision("micro", 1024, 0, "low", False, P.MICRO)),
        ("micro_classify", state(stt_busy=True, loaded=ALL), Decision("micro", 1024, 0, "low", False, P.MICRO)),
        ("micro_classify", state(), Decision("lightweight", 1024, 0, "low", False, P.NO_MICRO)),
        # seed 19: the MoE for judge / plan / long context, with the table's reasoning modes
        ("judge", state(moe_cost_mb=MOE_COST), Decision("optional_moe", 16384, 0, "high", False, P.MOE)),
        ("plan", state(moe_cost_mb=MOE_COST), Decision("optional_moe", 16384, 0, "high", False, P.MOE)),
        (
            "plan",
            state(moe_cost_mb=MOE_COST, latency_critical=True),
            Decision("optional_moe", 16384, 0, "medium", False, P.MOE),
        ),
        (
            "long_context",
            state(moe_cost_mb=MOE_COST, on_gpu=True),
            Decision("optional_moe", 16384, -1, "medium", False, P.MOE),
        ),
        # already loaded: no budget needed, and STT busy only limits its GPU layers
        (
            "judge",
            state(loaded=BOTH | {"optional_moe"}, stt_busy=True, on_gpu=True, free_budget_mb=0),
            Decision("optional_moe", 16384, 16, "high", False, P.MOE),
        ),
        # the MoE cannot be used: the primary stands in, downshifted, and the reason says why
        (
            "judge",
            state(moe_cost_mb=MOE_COST, free_budget_mb=699),
            Decision("primary", 4096, 0, "medium", True, f"{P.MOE_BUDGET}: the primary model stands in"),
        ),
        (
            "judge",
            state(moe_cost_mb=MOE_COST, free_budget_mb=700),
            Decision("optional_moe", 16384, 0, "high", False, P.MOE),
        ),
        (
            "plan",
            state(moe_cost_mb=MOE_COST, stt_busy=True),
            Decision("primary", 4096, 0, "medium", True, f"{P.MOE_STT_BUSY}: the primary model stands in"),
        ),
        (
            "plan",
            state(),
            Decision("primary", 4096, 0, "medium", True, f"{P.MOE_BLOCKED}: the primary model stands in"),
        ),
        (
            "judge",
            state(moe_cost_mb=MOE_COST, moe_blocked="the MoE is off"),
            Decision("primary", 4096, 0, "medium", True, "the MoE is off: the primary model stands in"),
        ),
        # seed 3.2: long context on the primary gets 8192 when latency allows, 4096 otherwise
        (
            "long_context",
            state(moe_blocked="off"),
            Decision("primary", 8192, 0, "medium", True, "off: the primary model stands in"),
        ),
        (
            "long_context",
            state(moe_blocked="off", latency_critical=True),
            Decision("primary", 4096, 0, "medium", True, "off: the primary model stands in"),
        ),
        (
            "long_context",
            state(moe_blocked="off", stt_busy=True, on_gpu=True),
            Decision("primary", 4096, 16, "medium", True, "off: the primary model stands in"),
        ),
    ],
)
def test_decide(kind: P.RequestKind, st: DeviceState, expected: Decision) -> None:
    assert decide(kind, st, LIMITS) == expected


@pytest.mark.parametrize("kind", P.REQUEST_KINDS)
@pytest.mark.parametrize("stt_busy", [False, True])
@pytest.mark.parametrize("on_gpu", [False, True])
def test_every_decision_is_runnable(kind: P.RequestKind, stt_busy: bool, on_gpu: bool) -> None:
    d = decide(kind, DeviceState(stt_busy=stt_busy, on_gpu=on_gpu, moe_cost_mb=MOE_COST), LIMITS)
    assert d.reason
    assert d.context_length > 0
    assert (d.n_gpu_layers == 0) == (not on_gpu)
    if d.downshifted:
        assert d.role in ("lightweight", "primary")


def test_reduce_context_action_keeps_the_primary_while_stt_runs() -> None:
    limits = PolicyLimits(stt_busy_action="reduce_context", reduced_context=1024)
    d = decide("dialog", DeviceState(stt_busy=True, on_gpu=True), limits)
    assert d == Decision("primary", 1024, limits.shared_gpu_layers, "low", True, P.STT_BUSY_CONTEXT)


def test_the_primary_comes_back_when_the_device_is_free() -> None:
    busy = decide("dialog", DeviceState(stt_busy=True), LIMITS)
    free = decide("dialog", DeviceState(stt_busy=False), LIMITS)
    assert (busy.role, busy.downshifted) == ("lightweight", True)
    assert (free.role, free.downshifted) == ("primary", False)
