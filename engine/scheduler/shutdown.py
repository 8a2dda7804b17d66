"""Graceful shutdown in phases (input -> processing -> state -> output), each with a time limit (seed 12).

What the "state" phase saves (the emotional state, the incomplete chains) is
`engine.memory.session_state`'s job; this module only runs the phases.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Phase:
    """One step of the shutdown."""

    name: str
    action: Callable[[], Awaitable[None]]
    timeout_s: float


@dataclass(frozen=True)
class PhaseOutcome:
    """How a phase ended."""

    name: str
    ok: bool
    timed_out: bool
    error: str
    seconds: float


async def run_phases(phases: Sequence[Phase]) -> list[PhaseOutcome]:
    """Run every phase in order; a phase that fails or times out never stops the ones after it."""
    outcomes = []
    for phase in phases:
        t0 = time.perf_counter()
        ok, timed_out, error = True, False, ""
        try:
            await asyncio.wait_for(phase.action(), phase.timeout_s)
        except TimeoutError:
            ok, timed_out, error = False, True, f"did not finish in {phase.timeout_s:.1f} s"
        except Exception as exc:  # the shutdown boundary: a failing phase is reported, the rest still runs
            ok, error = False, repr(exc)
            log.exception("shutdown phase %s failed", phase.name)
        if not ok:
            log.warning("shutdown phase %s: %s", phase.name, error)
        outcomes.append(PhaseOutcome(phase.name, ok, timed_out, error, round(time.perf_counter() - t0, 3)))
    return outcomes
