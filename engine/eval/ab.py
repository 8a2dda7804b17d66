"""A/B comparison of two models on the same items (seed 3.1's secondary role): pure.

For each metric both runs measured: which model is better, by how much, and whether the difference
exceeds the noise (the paired 95 % bootstrap interval of the per-item differences excludes zero;
the sign test's p-value is given beside it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from engine.eval.metrics import MetricValue, difference, sign_test

#: metrics where less is better (the rest: more is better)
LOWER_IS_BETTER = ("emotion.reflection_latency_turns", "emotion.reflection_latency_ms",
                   "token_efficiency.reply_per_user_token", "token_efficiency.reply_tokens")


@dataclass(frozen=True)
class AbRow:
    """One metric of an A/B comparison (delta: B minus A)."""

    metric: str
    a: float
    b: float
    delta: float
    low: float
    high: float
    n: int
    better: Literal["a", "b", "same"]
    beyond_noise: bool
    sign_p: float

    def to_json(self) -> dict[str, Any]:
        """The JSON shape in the A/B report."""
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def compare_runs(a: Mapping[str, MetricValue], b: Mapping[str, MetricValue]) -> list[AbRow]:
    """Every metric both runs have, B against A."""
    rows = []
    for name in [m for m in a if m in b]:
        diff = difference(b[name], a[name])
        lower_better = name in LOWER_IS_BETTER
        gain = -diff.delta if lower_better else diff.delta
        better: Literal["a", "b", "same"] = "b" if gain > 0 else "a" if gain < 0 else "same"
        base = dict(zip(a[name].ids, a[name].scores, strict=False))
        deltas = [s - base[i] for i, s in zip(b[name].ids, b[name].scores, strict=False) if i in base]
        rows.append(AbRow(name, a[name].value, b[name].value, diff.delta, diff.low, diff.high, diff.n, better,
                          diff.high < 0.0 or diff.low > 0.0, sign_test(deltas)))
    return rows


def summary(rows: list[AbRow], a_id: str, b_id: str) -> list[str]:
    """One line per metric for people: who is better, and whether it is beyond the noise."""
    lines = []
    for r in rows:
        if r.better == "same":
            lines.append(f"{r.metric}: no difference ({r.a:.3g} vs {r.b:.3g}, n={r.n})")
            continue
        winner = a_id if r.better == "a" else b_id
        noise = "beyond the noise" if r.beyond_noise else "within the noise"
        lines.append(f"{r.metric}: {winner} is better ({r.a:.3g} vs {r.b:.3g}; B-A {r.delta:+.3g}, "
                     f"95% {r.low:+.3g}..{r.high:+.3g}, n={r.n}, sign test p={r.sign_p:.2f}): {noise}")
    return lines
