"""Graceful shutdown in phases (input -> processing -> state -> output), each with a time limit (seed 12).

The emotional state and the incomplete chains (a turn cut off mid-reply, a MoE task in progress)
are saved to the history's state table; the next start offers them to the first prompt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.pipeline.prompt import describe_emotion
from engine.stages.base import EmotionResult

log = logging.getLogger(__name__)

STATE_KEY = "shutdown"


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


def snapshot(emotion: Mapping[str, Any] | None, chains: Sequence[Mapping[str, Any]], at: float) -> dict[str, Any]:
    """What is saved at shutdown."""
    return {"at": at, "emotion": dict(emotion) if emotion else None, "incomplete_chains": [dict(c) for c in chains]}


def _emotion(data: Any) -> EmotionResult | None:
    if not isinstance(data, Mapping):
        return None
    try:
        return EmotionResult(
            str(data["label"]), float(data["valence"]), float(data["arousal"]), float(data["confidence"]),
            str(data.get("source", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def resume_note(saved: Mapping[str, Any] | None) -> str:
    """The note the first prompt of the next session gets ("" when nothing was saved)."""
    if not saved:
        return ""
    parts = []
    emotion = _emotion(saved.get("emotion"))
    if emotion is not None:
        parts.append(f"when the last session ended, the user seemed {emotion.label} ({describe_emotion(emotion)})")
    unfinished = [
        str(c.get("user_text", "")).strip()
        for c in saved.get("incomplete_chains") or []
        if isinstance(c, Mapping) and c.get("kind") == "turn" and str(c.get("user_text", "")).strip()
    ]
    if unfinished:
        parts.append(f"their last question was cut off before a full answer: \"{unfinished[-1][:300]}\"")
    return "; ".join(parts) + "." if parts else ""
