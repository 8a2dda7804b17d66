"""Typed events of the scheduler and the on-demand MoE (seed 12, 19), for the UI's status bar and the eval.

They reach listeners registered with `Scheduler.add_listener`, on the event loop's thread.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DownshiftChanged:
    """Dialog moved to a lesser model (`downshifted`) or came back to the primary."""

    downshifted: bool
    reason: str
    role: str
    model_id: str


@dataclass(frozen=True)
class ModelLoaded:
    """An on-demand model was loaded (`mb` of the budget)."""

    model_id: str
    mb: int


@dataclass(frozen=True)
class ModelUnloaded:
    """A model was unloaded; `reason` is "idle", "shutdown" or "budget"."""

    model_id: str
    reason: str


@dataclass(frozen=True)
class LeaseRevoked:
    """A task ran past its time limit and lost the device."""

    holder: str
    held_s: float


@dataclass(frozen=True)
class JudgeResult:
    """Judge.Result (seed 19): which answer is better, from the MoE or its stand-in."""

    NAME = "Judge.Result"

    winner: str  # "a", "b" or "tie"
    reason: str
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""
    agrees: bool | None = None  # with the reference verdict, when one was given


@dataclass(frozen=True)
class PlanResult:
    """Plan.Result (seed 19): the steps of a structured plan."""

    NAME = "Plan.Result"

    steps: tuple[str, ...]
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""


@dataclass(frozen=True)
class ReflectionResult:
    """The answer to Reflection.LongContext: a summary of a long text."""

    NAME = "Reflection.Result"

    summary: str
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""


@dataclass(frozen=True)
class MoEDisabled:
    """The MoE was switched off (its p95 latency broke the SLA), until restart or `MoE.enable()`."""

    reason: str
    p95_ms: float


SchedulerEvent = (
    DownshiftChanged
    | ModelLoaded
    | ModelUnloaded
    | LeaseRevoked
    | JudgeResult
    | PlanResult
    | ReflectionResult
    | MoEDisabled
)
