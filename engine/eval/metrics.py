"""Pure statistics of the eval harness: intervals, paired differences, token efficiency, latency.

Every figure the harness reports is a `MetricValue`: the value, an interval (95 %), n, and the
per-item scores it came from (kept so that two runs over the same items can be compared pairwise).
Bootstrap resampling uses a fixed seed, so the same scores always give the same interval.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: the seed of every bootstrap: the same scores always give the same interval
BOOTSTRAP_SEED = 1234
BOOTSTRAP_ROUNDS = 2000
Z95 = 1.959963984540054
#: how sure the gate must be that a drop is real (one-sided): at 90 %, 3 of 6 items failing is a drop
DROP_CONFIDENCE = 0.90


@dataclass(frozen=True)
class MetricValue:
    """One measured figure: `value` with its 95 % interval [`low`, `high`] over `n` items."""

    value: float
    low: float
    high: float
    n: int
    #: the per-item scores behind it, in item order (empty for a figure that is not a mean)
    scores: tuple[float, ...] = field(default=(), compare=False)
    #: the items' ids, parallel to `scores` (pairs two runs over the same items)
    ids: tuple[str, ...] = field(default=(), compare=False)
    #: how the interval was computed: "wilson", "bootstrap", "exact" (no spread), "iqr"
    interval: str = "bootstrap"
    unit: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON shape written in reports (scores and ids included, for drift and A/B)."""
        return {
            "value": round(self.value, 4),
            "low": round(self.low, 4),
            "high": round(self.high, 4),
            "n": self.n,
            "interval": self.interval,
            "unit": self.unit,
            "scores": [round(s, 4) for s in self.scores],
            "ids": list(self.ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MetricValue:
        """Read back what `to_json` wrote."""
        return cls(
            float(data["value"]),
            float(data["low"]),
            float(data["high"]),
            int(data["n"]),
            tuple(float(s) for s in data.get("scores", ())),
            tuple(str(i) for i in data.get("ids", ())),
            str(data.get("interval", "bootstrap")),
            str(data.get("unit", "")),
        )


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sound at small n and at 0 or 1)."""
    if n <= 0:
        raise ValueError("a proportion needs at least one trial")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..{n}, got {successes}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_mean(
    values: Sequence[float], *, rounds: int = BOOTSTRAP_ROUNDS, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float, float]:
    """(mean, low, high): the mean and its 95 % percentile-bootstrap interval."""
    if not values:
        raise ValueError("a mean needs at least one value")
    mean = statistics.fmean(values)
    if len(values) == 1 or min(values) == max(values):
        return mean, mean, mean
    rng = random.Random(seed)
    n = len(values)
    means = sorted(statistics.fmean(rng.choices(values, k=n)) for _ in range(rounds))
    return mean, _quantile(means, 0.025), _quantile(means, 0.975)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values."""
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def proportion(flags: Sequence[bool], ids: Sequence[str] = ()) -> MetricValue:
    """A rate of passes with its Wilson interval."""
    k = sum(1 for f in flags if f)
    low, high = wilson(k, len(flags))
    return MetricValue(k / len(flags), low, high, len(flags), tuple(float(f) for f in flags), tuple(ids), "wilson")


def mean_value(scores: Sequence[float], ids: Sequence[str] = (), unit: str = "") -> MetricValue:
    """A mean score with its bootstrap interval."""
    mean, low, high = bootstrap_mean(scores)
    return MetricValue(mean, low, high, len(scores), tuple(scores), tuple(ids), "bootstrap", unit)


def median_iqr(values: Sequence[float], ids: Sequence[str] = (), unit: str = "") -> MetricValue:
    """The median with the interquartile range as its spread (latencies, ratios)."""
    if not values:
        raise ValueError("a median needs at least one value")
    ordered = sorted(values)
    return MetricValue(
        statistics.median(ordered),
        _quantile(ordered, 0.25),
        _quantile(ordered, 0.75),
        len(ordered),
        tuple(values),
        tuple(ids),
        "iqr",
        unit,
    )


@dataclass(frozen=True)
class Difference:
    """Candidate minus baseline over paired items: the mean delta and its 95 % interval."""

    delta: float
    low: float
    high: float
    n: int
    paired: bool
    #: the one-sided upper bound of the delta at DROP_CONFIDENCE (a drop is a one-directional question)
    upper: float = 0.0

    @property
    def significant_drop(self) -> bool:
        """The drop is beyond the noise: the one-sided upper bound (DROP_CONFIDENCE) lies below zero."""
        return self.upper < 0.0

    @property
    def significant_gain(self) -> bool:
        """The gain is beyond the noise: the whole interval lies above zero."""
        return self.low > 0.0


def difference(candidate: MetricValue, baseline: MetricValue, *, seed: int = BOOTSTRAP_SEED) -> Difference:
    """Candidate minus baseline, paired over the items both measured (else two independent samples).

    Pairs come from the items' ids when both runs have them; without common items the two samples
    are resampled independently. A figure without per-item scores (n items unknown) has no spread:
    its interval is the point difference.
    """
    common = _paired(candidate, baseline)
    rng = random.Random(seed)
    if common:
        deltas = [c - b for c, b in common]
        mean = statistics.fmean(deltas)
        if min(deltas) == max(deltas):
            return Difference(mean, mean, mean, len(deltas), True, mean)
        diffs = sorted(statistics.fmean(rng.choices(deltas, k=len(deltas))) for _ in range(BOOTSTRAP_ROUNDS))
        return Difference(mean, _quantile(diffs, 0.025), _quantile(diffs, 0.975), len(deltas), True,
                          _quantile(diffs, DROP_CONFIDENCE))
    delta = candidate.value - baseline.value
    if not candidate.scores or not baseline.scores:
        return Difference(delta, delta, delta, min(candidate.n, baseline.n), False, delta)
    cs, bs = list(candidate.scores), list(baseline.scores)
    diffs = sorted(
        statistics.fmean(rng.choices(cs, k=len(cs))) - statistics.fmean(rng.choices(bs, k=len(bs)))
        for _ in range(BOOTSTRAP_ROUNDS)
    )
    return Difference(delta, _quantile(diffs, 0.025), _quantile(diffs, 0.975), min(len(cs), len(bs)), False,
                      _quantile(diffs, DROP_CONFIDENCE))


def _paired(candidate: MetricValue, baseline: MetricValue) -> list[tuple[float, float]]:
    if not candidate.ids or not baseline.ids:
        return []
    base = dict(zip(baseline.ids, baseline.scores, strict=False))
    return [(score, base[item]) for item, score in zip(candidate.ids, candidate.scores, strict=False) if item in base]


def sign_test(deltas: Sequence[float]) -> float:
    """Two-sided exact sign-test p-value of paired deltas (ties dropped; 1.0 when all tie)."""
    pos = sum(1 for d in deltas if d > 0)
    neg = sum(1 for d in deltas if d < 0)
    n = pos + neg
    if n == 0:
        return 1.0
    k = min(pos, neg)
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def token_efficiency(reply_tokens: int, user_tokens: int) -> float:
    """Reply tokens per user token (seed 11); the user's side counts at least one token."""
    if reply_tokens < 0 or user_tokens < 0:
        raise ValueError("token counts cannot be negative")
    return reply_tokens / max(1, user_tokens)


def reflection_latency(adapted: Sequence[bool], change_at: int) -> int | None:
    """Turns from the emotion change (turn `change_at`) to the first adapted reply; None if none adapts.

    0 means the reply to the very turn where the user's emotion changed already adapted its tone.
    """
    if not 0 <= change_at < len(adapted):
        raise ValueError(f"the change turn {change_at} is not one of the {len(adapted)} turns")
    for offset, ok in enumerate(adapted[change_at:]):
        if ok:
            return offset
    return None
