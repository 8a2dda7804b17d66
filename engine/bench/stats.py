"""Summaries of repeated measurements: the median and the spread (min, quartiles, max)."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Summary:
    """Median and spread of one measure."""

    median: float
    q1: float
    q3: float
    min: float
    max: float
    n: int

    def as_dict(self) -> dict[str, float]:
        """The summary as plain numbers (for JSON)."""
        return {"median": self.median, "q1": self.q1, "q3": self.q3, "min": self.min, "max": self.max, "n": self.n}


def summarize(values: Sequence[float]) -> Summary:
    """Median, quartiles and range; a single value is its own spread."""
    if not values:
        raise ValueError("no measurements to summarize")
    ordered = sorted(values)
    if len(ordered) == 1:
        q1 = q3 = ordered[0]
    else:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Summary(statistics.median(ordered), q1, q3, ordered[0], ordered[-1], len(ordered))


def summarize_all(samples: Mapping[str, Sequence[float]]) -> dict[str, Summary]:
    """Summaries of every measure that has values."""
    return {name: summarize(values) for name, values in samples.items() if values}


def ratio(numerator: float, denominator: float) -> float:
    """`numerator / denominator`, or infinity when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else float("inf")


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        cpuinfo = []
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "")
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "system": platform.platform(),
        "python": platform.python_version(),
    }
