"""The gate suite of the eval-gated model update (seed 15): measure, then promote or roll back.

`run_gate` measures one model in one role on the gate items (the scenario items marked `gate: true`
of persona, relevance and hallucination, plus tool accuracy when the tools suite exists). `compare`
decides, purely, from two such reports: a gated metric fails only when the candidate's drop exceeds
its threshold AND the noise (the one-sided 90 % paired-bootstrap upper bound of the per-item
differences lies below zero: `DROP_CONFIDENCE`). The same model measured twice gives the same
replies (greedy decoding), so it is always promoted; a clearly worse one is rolled back with reasons.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.config import SovaConfig
from engine.eval.adapters import EXTERNAL_SUITES, module_available
from engine.eval.metrics import DROP_CONFIDENCE, MetricValue, difference
from engine.eval.runner import load_items, run_model
from engine.registry.registry import Registry

Decision = Literal["promoted", "rolled_back"]
#: gated metric -> the suite metric it is read from
GATE_METRICS: dict[str, tuple[str, ...]] = {
    "persona": ("persona.adherence",),
    "relevance": ("relevance.judge_score",),
    "hallucination": ("hallucination.score",),
    "tools": ("tools.accuracy",),
}


@dataclass(frozen=True)
class GateReport:
    """One model's gate measurements."""

    metrics: dict[str, MetricValue]
    model_id: str
    role: str
    template_version: str
    seconds: float
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The report's JSON shape (metrics with value, interval, n and per-item scores)."""
        return {
            "model": self.model_id,
            "role": self.role,
            "template_version": self.template_version,
            "seconds": round(self.seconds, 1),
            "metrics": {name: m.to_json() for name, m in self.metrics.items()},
            "notes": list(self.notes),
        }


def gate_suites() -> list[str]:
    """The gate's suites: tools only when its feature is built."""
    suites = ["persona", "relevance", "hallucination"]
    if module_available(EXTERNAL_SUITES["tools"][0]):
        suites.append("tools")
    return suites


def thresholds_from_config(config: SovaConfig) -> dict[str, float]:
    """The largest tolerated drop of each gated metric ([eval.thresholds])."""
    return {name: float(value) for name, value in config.eval.thresholds.model_dump().items()}


async def run_gate(
    config: SovaConfig,
    registry: Registry,
    model_id: str,
    role: str,
    *,
    data_dir: Path,
    budget_s: float = 300,
) -> GateReport:
    """Measure `model_id` in `role` on the gate suite (the judge: the configured judge, never the candidate).

    `budget_s` is what the gate items are sized for (about 5 minutes for the 1.5B model on 2 cores).
    An overrun is noted in the report but never cuts a gated suite short: a partial measurement would
    roll the candidate back for the machine's load, not for its quality.
    """
    started = time.perf_counter()
    suites = gate_suites()
    items = load_items(suites, gate=True)
    run = await run_model(config, registry, model_id, role, suites, items=items, data_dir=data_dir, gate=True)
    metrics: dict[str, MetricValue] = {}
    measured = run.metrics
    for gated, sources in GATE_METRICS.items():
        found = next((measured[s] for s in sources if s in measured), None)
        if found is not None:
            metrics[gated] = found
    notes = [*run.notes, *(f"{s.suite}: {s.skipped}" for s in run.suites if s.skipped)]
    seconds = time.perf_counter() - started
    if seconds > budget_s:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        notes.append(f"the gate took {seconds:.0f} s, over its {budget_s:.0f} s budget (load average {load})")
    return GateReport(metrics, model_id, role, run.template_version, seconds, tuple(notes), {"run": run.to_json()})


def compare(
    candidate: GateReport, baseline: GateReport, thresholds: Mapping[str, float]
) -> tuple[Decision, dict[str, dict[str, Any]], list[str]]:
    """Promote unless a gated metric dropped beyond its threshold and beyond the noise.

    Returns the decision, per metric `{candidate, baseline, delta, threshold, passed}` (plus the
    delta's interval and n), and the reasons (why each failing metric failed; empty when promoted).
    A metric the baseline has but the candidate lacks fails; one neither has is not gated.
    """
    table: dict[str, dict[str, Any]] = {}
    reasons: list[str] = []
    for name, threshold in thresholds.items():
        base = baseline.metrics.get(name)
        cand = candidate.metrics.get(name)
        if base is None and cand is None:
            continue
        if cand is None:
            assert base is not None
            table[name] = {"candidate": None, "baseline": base.value, "delta": None, "threshold": threshold,
                           "passed": False}
            reasons.append(f"{name}: not measured for {candidate.model_id} (the baseline scored {base.value:.2f})")
            continue
        if base is None:
            table[name] = {"candidate": cand.value, "baseline": None, "delta": None, "threshold": threshold,
                           "passed": True}
            continue
        diff = difference(cand, base)
        failed = diff.delta < -threshold and diff.significant_drop
        table[name] = {
            "candidate": round(cand.value, 4),
            "baseline": round(base.value, 4),
            "delta": round(diff.delta, 4),
            "threshold": threshold,
            "passed": not failed,
            "delta_low": round(diff.low, 4),
            "delta_high": round(diff.high, 4),
            "delta_upper_one_sided": round(diff.upper, 4),
            "n": diff.n,
            "paired": diff.paired,
        }
        if failed:
            reasons.append(
                f"{name} dropped by {-diff.delta:.2f} ({base.value:.2f} -> {cand.value:.2f}), more than the "
                f"{threshold:.2f} allowed, and beyond the noise (the change is below {diff.upper:+.2f} with "
                f"{DROP_CONFIDENCE:.0%} confidence, n={diff.n})"
            )
    decision: Decision = "rolled_back" if reasons else "promoted"
    return decision, table, reasons
