"""Sections of the configuration for the shared device and the desktop: the scheduler, the MoE, metrics, the window.

Split from engine/config.py (which re-exports them) to keep each module small; `Section` is the base
of every section: unknown keys are refused and a loaded config is frozen.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Device = Literal["auto", "cpu", "cuda"]
#: what the scheduler does with a dialog turn while speech recognition is busy (seed 12)
SttBusyAction = Literal["lightweight", "reduce_context"]


class Section(BaseModel):
    """A table of the config: unknown keys refused, frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


MoEUseCase = Literal["judge", "plan", "long_context"]
MOE_USE_CASES: tuple[MoEUseCase, ...] = ("judge", "plan", "long_context")


class MoESection(Section):
    """The on-demand MoE role (seed 19): loaded for whitelisted tasks only, unloaded when idle."""

    enabled: bool = Field(True, description="off: the primary does judge/plan/long-context work")
    model: str = Field("gpt-oss-20b-q4_k_m-v1.0", min_length=1, description="manifest id (role optional_moe)")
    use_cases: list[MoEUseCase] = Field(
        default_factory=lambda: list(MOE_USE_CASES), description="the whitelist of tasks it may load for"
    )
    idle_unload_s: float = Field(300.0, gt=0, le=86400, description="unload after this long idle")
    timeout_s: float = Field(120.0, gt=0, le=3600, description="time limit of one MoE task")
    p95_sla_ms: float = Field(60000.0, gt=0, le=3600000, description="switch the MoE off when its p95 exceeds this")
    sla_window: int = Field(20, ge=1, le=1000, description="latest latencies the p95 is taken over")
    sla_min_samples: int = Field(5, ge=1, le=1000, description="no SLA verdict before this many tasks")
    context_length: int = Field(16384, ge=256, le=131072, description="seed 19: working budget < 16k")
    max_output_tokens: int = Field(512, ge=1, le=32768)
    threads: int = Field(0, ge=0, le=256, description="0: all cores")


class SchedulerSection(Section):
    """The shared-device scheduler (seed 12)."""

    device: Device = "auto"
    vram_budget_mb: int = Field(12288, ge=512, le=262144, description="the user's card: 12 GB")
    ram_budget_mb: int = Field(16384, ge=512, le=1048576)
    task_timeout_s: float = Field(120.0, gt=0, le=3600, description="a lease held longer is taken back")
    stt_busy_action: SttBusyAction = Field(
        "lightweight", description="dialog while STT runs: the lightweight model, or the primary with reduced_context"
    )
    reduced_context: int = Field(2048, ge=256, le=131072, description="the primary's context while STT runs")
    extended_context: int = Field(8192, ge=256, le=131072, description="long-context work when latency allows")
    max_queue_depth: int = Field(2, ge=1, le=100, description="this many waiting for the device: downshift")
    headroom_mb: int = Field(1024, ge=0, le=262144, description="less free budget than this: downshift")
    shared_gpu_layers: int = Field(16, ge=0, le=1000, description="GPU layers while sharing the card with Whisper")
    chunk_tokens: int = Field(16, ge=1, le=4096, description="LLM tokens per device lease (STT may run between)")
    shutdown_phase_timeout_s: float = Field(5.0, gt=0, le=120, description="time limit of each shutdown phase")
    moe: MoESection = MoESection()


class MetricsSection(Section):
    """Prometheus metrics (seed 19's names); `sova metrics` prints them."""

    http: bool = Field(False, description="serve them on http://127.0.0.1:<port>/metrics (never other hosts)")
    port: int = Field(9464, ge=1024, le=65535)


class UiSection(Section):
    """The desktop window's own settings (`sova gui`); the engine does not use them."""

    hold_key: str = Field(
        "Space",
        min_length=1,
        max_length=64,
        description="the key held to talk while the window has the focus (a Qt key name: Space, F9...)",
    )
    global_hotkey: str = Field(
        "",
        max_length=64,
        description="a key combination held anywhere to talk, X11 only (e.g. Ctrl+Shift+Space); empty: off",
    )
    speak_quick_answers: bool = Field(True, description="speak the quick question's answers aloud")
