"""The scheduler: lanes + device leases + memory budget + policy + idle unload, behind one object.

The turn runner and the MoE ask it which model serves a request (`choose_dialog`, `decide`), run
their heavy steps through it (`run`, `stream`), and load on-demand models through it (`load`).
What happens (downshift, loads and unloads, revoked leases) is published on the engine's one bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from engine.bus import EventBus
from engine.cancel import CancelToken
from engine.config import SovaConfig
from engine.errors import ErrorCode, SovaError
from engine.events import DownshiftChanged, LeaseRevoked, ModelLoaded, ModelUnloaded
from engine.metrics import Metrics, SchedulerSnapshot
from engine.registry.manifest import Manifest, Role
from engine.scheduler.budget import Budget
from engine.scheduler.device import Device, DeviceName, Lease, detect_device, overran
from engine.scheduler.lanes import Lane, Lanes
from engine.scheduler.policy import Decision, DeviceState, PolicyLimits, RequestKind, decide
from engine.scheduler.watchdog import IdleWatchdog, ResidentModels

if TYPE_CHECKING:
    from engine.registry.registry import ModelProvider, Registry
    from engine.stages.llm.loaded import LoadedLLM
    from engine.stages.options import LoadOptions

log = logging.getLogger(__name__)
T = TypeVar("T")
_DEFAULT_MB = 512  # a model whose manifest states no memory is still not free


def limits_from_config(config: SovaConfig) -> PolicyLimits:
    """The policy's knobs from `[scheduler]` and the LLM roles."""
    sc = config.scheduler
    micro = config.llm.micro
    return PolicyLimits(
        primary_context=config.llm.primary.context_length,
        extended_context=sc.extended_context,
        reduced_context=sc.reduced_context,
        lightweight_context=config.llm.lightweight.context_length,
        micro_context=micro.context_length if micro else 2048,
        moe_context=sc.moe.context_length,
        max_queue_depth=sc.max_queue_depth,
        headroom_mb=sc.headroom_mb,
        shared_gpu_layers=sc.shared_gpu_layers,
        stt_busy_action=sc.stt_busy_action,
    )


class Scheduler:
    """Shares one compute device between STT, the LLMs and the MoE (seed 3.1, 3.2, 12, 19)."""

    def __init__(
        self,
        config: SovaConfig,
        lanes: Lanes,
        bus: EventBus,
        *,
        metrics: Metrics | None = None,
        device: DeviceName | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        sc = config.scheduler
        self.config = config
        self.lanes = lanes
        self.bus = bus
        self.metrics = metrics or Metrics()
        name = device or detect_device(sc.device)
        self.device = Device(name, task_timeout_s=sc.task_timeout_s, clock=clock, on_revoke=self._on_revoke)
        on_gpu = name == "cuda"
        self.budget = Budget(sc.vram_budget_mb if on_gpu else sc.ram_budget_mb, "vram" if on_gpu else "ram")
        self.residents = ResidentModels(self.budget, clock)
        self.limits = limits_from_config(config)
        self.watchdog = IdleWatchdog(self.residents, self._unload_idle)
        self.downshifted = False
        self.downshift_reason = ""
        self.moe_enabled = sc.moe.enabled
        self.http_port: int | None = None
        self.metrics.bind_scheduler(self.snapshot, lambda: self.residents.resident_seconds(sc.moe.model))

    def _on_revoke(self, lease: Lease) -> None:  # the device's timer thread
        self.metrics.lease_timeouts.inc()
        log.warning("%s held the device past its %g s deadline: lease revoked", lease.holder, lease.limit_s)
        self.bus.publish_threadsafe(LeaseRevoked(lease.holder, lease.held_s))

    # -- memory --------------------------------------------------------------------------------------

    def cost_mb(self, manifest: Manifest) -> int:
        """What a model costs in this device's budget, from its manifest."""
        if self.budget.kind == "vram":
            return manifest.vram_mb or manifest.ram_mb or _DEFAULT_MB
        return manifest.ram_mb or manifest.vram_mb or _DEFAULT_MB

    def register_loaded(self, registry: Registry) -> list[str]:
        """Account every model the registry has loaded (at start); notices when that overdraws."""
        for provider in registry:
            if provider.loaded and provider.manifest.id not in self.residents:
                self.residents.add(provider.manifest.id, self.cost_mb(provider.manifest))
        if self.budget.used_mb > self.budget.total_mb:
            return [
                f"the models loaded at start need {self.budget.used_mb} MB, more than the {self.budget.total_mb} MB "
                f"{self.budget.kind} budget: no on-demand model will be loaded "
                f"(raise [scheduler] {self.budget.kind}_budget_mb or choose smaller models)"
            ]
        return []

    async def load(self, provider: ModelProvider, options: LoadOptions, *, idle_unload_s: float | None = None) -> Any:
        """Load an on-demand model within the budget (BudgetExceeded if it does not fit).

        It is unloaded after `idle_unload_s` idle, else after the manifest's `idle_unload_seconds`.
        """
        model_id = provider.manifest.id
        if idle_unload_s is None and provider.manifest.effective_load == "on_demand":
            idle_unload_s = provider.manifest.idle_unload_seconds
        if model_id in self.residents:
            return provider.load(options)
        mb = self.cost_mb(provider.manifest)
        self.budget.reserve(model_id, mb)
        try:
            instance = await self.lanes.run("aux", self.device.call, "load", lambda: provider.load(options))
        except BaseException:
            self.budget.release(model_id)
            raise
        self.residents.add(model_id, mb, idle_unload_s=idle_unload_s, unload=provider.unload, reserved=True)
        self.watchdog.wake()  # a new idle deadline
        self.bus.publish(ModelLoaded(model_id, mb))
        return instance

    async def unload(self, model_id: str, reason: str = "idle") -> bool:
        """Unload a resident model that is not in use (in a worker); False if it is in use."""
        done = await self.lanes.run("aux", self.residents.unload, model_id)
        if done:
            self.bus.publish(ModelUnloaded(model_id, reason))
        return done

    async def _unload_idle(self, model_id: str) -> bool:
        return await self.unload(model_id, "idle")

    # -- decisions -------------------------------------------------------------------------------------

    def stt_busy(self) -> bool:
        """Whether speech recognition runs or waits (its lane or the device)."""
        return self.lanes.busy("stt") or self.device.busy_with("stt")

    def device_state(
        self,
        *,
        loaded: Iterable[Role],
        latency_critical: bool = False,
        moe_cost_mb: int | None = None,
        moe_blocked: str = "",
    ) -> DeviceState:
        """The policy's view of the device now."""
        return DeviceState(
            stt_busy=self.stt_busy(),
            queue_depth=self.device.queue_depth,
            free_budget_mb=self.budget.free_mb,
            latency_critical=latency_critical,
            on_gpu=self.device.name == "cuda",
            loaded=frozenset(loaded),
            moe_cost_mb=moe_cost_mb,
            moe_blocked=moe_blocked,
        )

    def decide(self, kind: RequestKind, state: DeviceState) -> Decision:
        """The policy's decision for `kind` in `state`."""
        return decide(kind, state, self.limits)

    def choose_dialog(
        self, primary: LoadedLLM, lightweight: LoadedLLM, *, latency_critical: bool = False
    ) -> tuple[LoadedLLM, Decision]:
        """The model for a dialog turn now (call on the loop's thread); a change of downshift is published."""
        loaded: set[Role] = set()
        if primary.role == "primary":
            loaded.add("primary")
        if lightweight.role in ("lightweight", "micro") and lightweight.model is not primary.model:
            loaded.add("lightweight")
        decision = self.decide("dialog", self.device_state(loaded=loaded, latency_critical=latency_critical))
        llm = lightweight if decision.role == "lightweight" else primary
        if decision.downshifted:
            self.metrics.downshifts.labels(decision.reason).inc()
        if decision.downshifted != self.downshifted:
            self.downshifted = decision.downshifted
            self.downshift_reason = decision.reason if decision.downshifted else ""
            self.bus.publish(DownshiftChanged(decision.downshifted, self.downshift_reason, llm.role,
                                              llm.model.model_id))
        return llm, decision

    # -- running ----------------------------------------------------------------------------------------

    async def run(
        self,
        lane: Lane,
        holder: str,
        fn: Callable[..., T],
        *args: Any,
        timeout_s: float | None = None,
        cancel: CancelToken | None = None,
    ) -> T:
        """`fn(*args)` on `lane` holding the device.

        Past its time limit the lease is revoked: `cancel` is set, this raises TaskTimeout at once, and
        the device stays fenced until `fn` returns (see `Device`).
        """
        loop = asyncio.get_running_loop()
        revoked: asyncio.Future[Lease] = loop.create_future()

        def on_revoke(lease: Lease) -> None:  # the device's timer thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody awaits this any more
                loop.call_soon_threadsafe(_settle, revoked, lease)

        def call() -> T:
            return self.device.call(holder, lambda: fn(*args), timeout_s=timeout_s, cancel=cancel,
                                    on_revoke=on_revoke)

        work = self.lanes.submit(lane, call)
        try:
            await asyncio.wait((work, revoked), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not work.done():  # revoked, or this task was cancelled: the worker's late outcome is dropped
                work.add_done_callback(_discard)
        if work.done():
            return work.result()
        raise overran(revoked.result())

    def stream(self, holder: str, pieces: Iterable[T], cancel: CancelToken | None = None) -> Iterator[T]:
        """Iterate `pieces` (in a worker) holding the device per chunk of `[scheduler] chunk_tokens`."""
        return self.device.stream(holder, pieces, chunk=self.config.scheduler.chunk_tokens, cancel=cancel)

    # -- state and lifecycle -------------------------------------------------------------------------

    def snapshot(self) -> SchedulerSnapshot:
        """The scheduler's state (metrics, status bar)."""
        return SchedulerSnapshot(
            device=self.device.name,
            holder=self.device.holder,
            queue_depth=self.device.queue_depth,
            downshifted=self.downshifted,
            downshift_reason=self.downshift_reason,
            loaded=tuple(self.residents.ids()),
            budget_kind=self.budget.kind,
            budget_used_mb=self.budget.used_mb,
            budget_total_mb=self.budget.total_mb,
            lease_timeouts=self.device.timeouts,
            moe_enabled=self.moe_enabled,
        )

    async def start(self) -> None:
        """Start the idle watchdog and, when configured, the metrics' HTTP exposition (127.0.0.1 only)."""
        self.watchdog.start()
        if self.config.metrics.http and self.http_port is None:
            try:
                self.http_port = self.metrics.serve_http(self.config.metrics.port)
            except OSError as exc:
                raise SovaError(
                    f"cannot serve metrics on 127.0.0.1:{self.config.metrics.port}: {exc.strerror or exc}",
                    code=ErrorCode.METRICS_PORT,
                    hint="choose another [metrics] port, or set [metrics] http = false",
                ) from exc

    async def close(self) -> None:
        """Stop the watchdog, the HTTP exposition and the device's timer; unload the on-demand models."""
        await self.watchdog.stop()
        for model_id in self.residents.ids():
            resident = self.residents.get(model_id)
            if resident is not None and resident.idle_unload_s is not None:
                await self.unload(model_id, "shutdown")
        self.metrics.stop_http()
        self.device.close()


def _settle(future: asyncio.Future[Lease], lease: Lease) -> None:
    if not future.done():
        future.set_result(lease)


def _discard(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def default_threads() -> int:
    """All cores (the lanes keep one heavy step at a time on the device)."""
    return max(1, os.cpu_count() or 1)
