"""Prometheus metrics with the seed's names (section 19) plus per-stage latencies and the scheduler's state.

Each `Metrics` owns a dedicated `CollectorRegistry` (never the process-global one), so tests and
several assistants in one process do not share counters. The optional HTTP exposition binds to
127.0.0.1 only: nothing about the user's conversations is offered to the network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily

from engine.fileio import write_atomic

LATENCY_BUCKETS_MS = (25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 30000.0, 60000.0, 120000.0)
HTTP_HOST = "127.0.0.1"

#: TurnResult.timings_ms key -> stage label
TURN_STAGES: Mapping[str, str] = {
    "stt_ms": "stt",
    "emotion_ms": "emotion",
    "llm_first_token_ms": "llm_first_token",
    "tts_first_audio_ms": "tts",
    "v2v_ms": "voice_to_voice",
    "total_ms": "turn",
}


@dataclass(frozen=True)
class SchedulerSnapshot:
    """The scheduler's state as the metrics (and the UI) see it."""

    device: str
    holder: str | None
    queue_depth: int
    downshifted: bool
    downshift_reason: str
    loaded: tuple[str, ...]
    budget_kind: str
    budget_used_mb: int
    budget_total_mb: int
    lease_timeouts: int
    moe_enabled: bool = True
    extra: dict[str, str] = field(default_factory=dict)


class _SchedulerCollector:
    """Reads the scheduler's state at scrape time."""

    def __init__(self, snapshot: Callable[[], SchedulerSnapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self._snapshot()
        yield GaugeMetricFamily("sova_scheduler_leases_held", "device leases held now (0 or 1)",
                                value=1 if s.holder else 0)
        yield GaugeMetricFamily("sova_scheduler_queue_depth", "tasks waiting for the device", value=s.queue_depth)
        yield GaugeMetricFamily("sova_scheduler_downshifted", "1 while dialog runs on a lesser model",
                                value=int(s.downshifted))
        yield GaugeMetricFamily("sova_scheduler_moe_enabled", "1 while the on-demand MoE may be used",
                                value=int(s.moe_enabled))
        loaded = GaugeMetricFamily("sova_scheduler_model_loaded", "models resident now", labels=["model"])
        for model_id in s.loaded:
            loaded.add_metric([model_id], 1)
        yield loaded
        used = GaugeMetricFamily("sova_scheduler_budget_used_mb", "memory budget in use", labels=["kind"])
        used.add_metric([s.budget_kind], s.budget_used_mb)
        yield used
        total = GaugeMetricFamily("sova_scheduler_budget_total_mb", "memory budget", labels=["kind"])
        total.add_metric([s.budget_kind], s.budget_total_mb)
        yield total


class Metrics:
    """The collectors; `exposition()` is the Prometheus text format."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # seed 19, by name
        self.moe_judge_latency_ms = Histogram("moe_judge_latency_ms", "MoE judge latency", buckets=LATENCY_BUCKETS_MS,
                                              registry=r)
        self.moe_judge_agreement_rate = Gauge("moe_judge_agreement_rate",
                                              "share of judge verdicts that agree with the reference", registry=r)
        self.moe_planner_latency_ms = Histogram("moe_planner_latency_ms", "MoE planner latency",
                                                buckets=LATENCY_BUCKETS_MS, registry=r)
        self.moe_memory_resident_sec = Gauge("moe_memory_resident_sec", "seconds the MoE has been resident",
                                             registry=r)
        self.moe_reflection_latency_ms = Histogram("moe_reflection_latency_ms", "MoE long-context latency",
                                                   buckets=LATENCY_BUCKETS_MS, registry=r)
        self.stage_latency_ms = Histogram("sova_stage_latency_ms", "latency of each turn stage", ["stage"],
                                          buckets=LATENCY_BUCKETS_MS, registry=r)
        self.lease_timeouts = Counter("sova_scheduler_lease_timeouts", "leases revoked at their deadline", registry=r)
        self.downshifts = Counter("sova_scheduler_downshifts", "dialog requests sent to a lesser model", ["reason"],
                                  registry=r)
        self._judged = 0
        self._agreed = 0
        self._lock = threading.Lock()
        self._server: Any = None

    def observe_turn(self, timings_ms: Mapping[str, float]) -> None:
        """Feed the stage histograms from a turn's `timings_ms`."""
        for key, stage in TURN_STAGES.items():
            if key in timings_ms:
                self.stage_latency_ms.labels(stage).observe(timings_ms[key])

    def observe_agreement(self, agrees: bool) -> float:
        """Count one judged pair against its reference; return the running agreement rate."""
        with self._lock:
            self._judged += 1
            self._agreed += int(agrees)
            rate = self._agreed / self._judged
        self.moe_judge_agreement_rate.set(rate)
        return rate

    def bind_scheduler(self, snapshot: Callable[[], SchedulerSnapshot], moe_resident_s: Callable[[], float]) -> None:
        """Read the scheduler's state (and the MoE's residency) at every scrape."""
        self.registry.register(_SchedulerCollector(snapshot))
        self.moe_memory_resident_sec.set_function(moe_resident_s)

    def exposition(self) -> str:
        """Every metric, in the Prometheus text format."""
        return generate_latest(self.registry).decode("utf-8")

    def write_snapshot(self, path: Path) -> None:
        """Write the exposition to `path` atomically (`sova metrics` reads it after the session ends)."""
        write_atomic(path, self.exposition())

    def serve_http(self, port: int) -> int:
        """Serve the metrics on http://127.0.0.1:`port`/metrics (0: any free port); return the port."""
        server, _thread = start_http_server(port, addr=HTTP_HOST, registry=self.registry)
        self._server = server
        return int(server.server_port)

    def stop_http(self) -> None:
        """Stop the HTTP exposition, if it runs."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
