"""Which model serves a request (seed 3.1), given what the shared device is doing (seed 3.2, 12, 19).

A pure function of its inputs: no model, no clock, no lock. The scheduler builds a `DeviceState`
from its live state and applies the returned `Decision`; the tests drive it with tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from engine.config import MOE_USE_CASES, MoEUseCase, SttBusyAction
from engine.registry.manifest import Role

#: dialog: a turn; micro_classify: a yes/no or routing check (seed 3.1 rule 4); the rest: the MoE's use cases
RequestKind = Literal["dialog", "micro_classify"] | MoEUseCase
Reasoning = Literal["low", "medium", "high"]

REQUEST_KINDS: tuple[RequestKind, ...] = ("dialog", "micro_classify", *MOE_USE_CASES)

# reasons, shown to the user (status bar, `sova ask --json`): say what happened in plain words
FULL_CONTEXT = "full context: the primary model"
STT_BUSY = "speech recognition is using the device"
STT_BUSY_CONTEXT = "speech recognition is using the device: the primary runs with a shorter context"
LATENCY = "the request is latency-critical"
QUEUE = "the device queue is long"
BUDGET = "the memory budget is short"
NO_PRIMARY = "the primary model is not loaded"
MICRO = "a micro check: the micro model"
NO_MICRO = "no micro model is loaded: the lightweight model stands in"
MOE = "the on-demand MoE model"
MOE_BLOCKED = "the MoE is not available"
MOE_BUDGET = "the MoE does not fit in the memory budget"
MOE_STT_BUSY = "speech recognition is using the device: the MoE is not loaded now"


@dataclass(frozen=True)
class DeviceState:
    """What the policy sees of the device at the moment of the request."""

    stt_busy: bool = False
    queue_depth: int = 0
    free_budget_mb: int = 1 << 30
    latency_critical: bool = False
    on_gpu: bool = False
    #: roles with a model loaded now
    loaded: frozenset[Role] = frozenset({"primary", "lightweight"})
    #: what loading the MoE would cost (None: it cannot be loaded, e.g. no manifest)
    moe_cost_mb: int | None = None
    #: why the MoE may not be used ("" when it may: enabled, whitelisted, healthy)
    moe_blocked: str = ""


@dataclass(frozen=True)
class PolicyLimits:
    """The knobs of the policy (from `[scheduler]` in the config)."""

    primary_context: int = 4096
    extended_context: int = 8192
    reduced_context: int = 2048
    lightweight_context: int = 4096
    micro_context: int = 2048
    moe_context: int = 16384
    max_queue_depth: int = 2
    headroom_mb: int = 1024
    shared_gpu_layers: int = 16
    stt_busy_action: SttBusyAction = "lightweight"


@dataclass(frozen=True)
class Decision:
    """The model role for a request and how to run it."""

    role: Role
    context_length: int
    n_gpu_layers: int  # -1: all layers on the GPU; 0: CPU only
    reasoning: Reasoning
    downshifted: bool
    reason: str


def _layers(state: DeviceState, *, shared: bool, limits: PolicyLimits) -> int:
    if not state.on_gpu:
        return 0
    # seed 3.2: limit the offloaded layers by hand while Whisper competes for the card
    return limits.shared_gpu_layers if shared else -1


def _dialog(state: DeviceState, limits: PolicyLimits) -> Decision:
    light_ok = "lightweight" in state.loaded

    def light(reason: str) -> Decision:
        return Decision("lightweight", limits.lightweight_context, _layers(state, shared=False, limits=limits),
                        "low", True, reason)

    if "primary" not in state.loaded:
        return light(NO_PRIMARY)
    if state.stt_busy:
        # seed 12: while STT is active, the lightweight model, or the primary with a shorter context
        if limits.stt_busy_action == "lightweight" and light_ok:
            return light(STT_BUSY)
        return Decision("primary", min(limits.reduced_context, limits.primary_context),
                        _layers(state, shared=True, limits=limits), "low", True, STT_BUSY_CONTEXT)
    # seed 3.1 rule 2: latency-critical or a loaded resource -> lightweight
    if light_ok:
        if state.latency_critical:
            return light(LATENCY)
        if state.queue_depth >= limits.max_queue_depth:
            return light(QUEUE)
        if state.free_budget_mb < limits.headroom_mb:
            return light(BUDGET)
    # seed 3.1 rule 1: full context (emotions + long memory) -> primary
    return Decision("primary", limits.primary_context, _layers(state, shared=False, limits=limits), "low", False,
                    FULL_CONTEXT)


_MOE_REASONING: Mapping[MoEUseCase, Reasoning] = {"long_context": "medium", "plan": "high", "judge": "high"}


def _moe(kind: MoEUseCase, state: DeviceState, limits: PolicyLimits) -> Decision:
    # seed 19's table: long-context summaries "medium", structured planning "medium/high", judging "high"
    reasoning = _MOE_REASONING[kind]
    if reasoning == "high" and state.latency_critical:
        reasoning = "medium"
    blocked = state.moe_blocked
    if not blocked and "optional_moe" not in state.loaded:
        cost = state.moe_cost_mb
        if cost is None:
            blocked = MOE_BLOCKED
        elif state.stt_busy:
            blocked = MOE_STT_BUSY  # seed 19's risk: loading it squeezes STT's memory
        elif cost > state.free_budget_mb:
            blocked = MOE_BUDGET
    if not blocked:
        return Decision("optional_moe", limits.moe_context, _layers(state, shared=state.stt_busy, limits=limits),
                        reasoning, False, MOE)
    # the primary stands in (seed 19: it does these tasks "temporarily" until a MoE is set up)
    context = limits.primary_context
    if kind == "long_context" and not (state.stt_busy or state.latency_critical):
        context = limits.extended_context  # seed 3.2: 4096 -> 8192 when latency allows
    role: Role = "primary" if "primary" in state.loaded else "lightweight"
    return Decision(role, context, _layers(state, shared=state.stt_busy, limits=limits), "medium", True,
                    f"{blocked}: the {role} model stands in")


def decide(kind: RequestKind, state: DeviceState, limits: PolicyLimits = PolicyLimits()) -> Decision:
    """The model for a request of `kind` in `state` (seed 3.1 rules, seed 12 downshift)."""
    if kind == "dialog":
        return _dialog(state, limits)
    if kind == "micro_classify":  # seed 3.1 rule 4 (the tools' routing step: does this turn need a tool?)
        layers = _layers(state, shared=False, limits=limits)
        if "micro" in state.loaded:
            return Decision("micro", limits.micro_context, layers, "low", False, MICRO)
        return Decision("lightweight", limits.micro_context, layers, "low", False, NO_MICRO)
    return _moe(kind, state, limits)
