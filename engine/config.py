"""Typed configuration: the seed's section 18 shape plus what the app needs.

Loaded once at start-up. The repo's `config.toml` gives the defaults; a user file (XDG config dir)
overrides any key of it. Unknown keys, wrong types and out-of-range values are all reported together,
each naming its key and the file it came from (`ConfigError.keys` holds the dotted keys). The [ui]
table holds the desktop window's own settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from engine.errors import ConfigError
from engine.fileio import read_toml

Language = Literal["ru", "en", "auto"]
Device = Literal["auto", "cpu", "cuda"]
#: what the scheduler does with a dialog turn while speech recognition is busy (seed 12)
SttBusyAction = Literal["lightweight", "reduce_context"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppSection(_Section):
    """General behaviour."""

    language: Language = Field("auto", description="spoken language: ru, en, or auto (ru/en only)")
    ui_language: Literal["system", "ru", "en"] = Field("system", description="interface language")
    persona: str = Field(
        "default", min_length=1, description="persona folder in resources/personas (en.md and ru.md)"
    )
    allow_external_backends: bool = Field(False, description="let a request leave the machine (off: nothing ever does)")


class PathsSection(_Section):
    """Where things live. Relative paths are relative to the project root."""

    models_dir: str = Field("models", description="model weights (manifest paths are relative to it)")
    manifests_dirs: list[str] = Field(
        default_factory=lambda: ["models/manifests"], description="folders of manifest YAML files"
    )
    data_dir: str = Field("", description="history, caches, state; empty: the XDG data dir")


class LLMRoleSection(_Section):
    """One LLM role (seed 18): which manifest and how to sample."""

    id: str = Field(min_length=1, description="the model's manifest id (see `sova models list`)")
    provider: Literal["local", "external"] = "local"
    context_length: int = Field(4096, ge=256, le=131072)
    max_output_tokens: int = Field(512, ge=1, le=32768)
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    n_gpu_layers: int = Field(-1, ge=-1, description="-1: all layers on the GPU when one is present")
    threads: int = Field(0, ge=0, le=256, description="0: all cores")


class LLMSection(_Section):
    """The LLM roles of seed 3.1."""

    primary: LLMRoleSection
    lightweight: LLMRoleSection
    micro: LLMRoleSection | None = None
    secondary: LLMRoleSection | None = None


class EmbeddingSection(_Section):
    """An embeddings model (seed 4)."""

    id: str = Field(min_length=1)
    dim: int = Field(384, ge=8, le=8192)
    quant: str = "q4"


class EmbeddingsSection(_Section):
    """Embedding roles."""

    main: EmbeddingSection


class STTSection(_Section):
    """Speech recognition (faster-whisper)."""

    model: str = Field("faster-whisper-base", min_length=1, description="manifest id")
    fast_model: str = Field("faster-whisper-tiny-en", description="English-only fast model id")
    device: Device = "auto"
    compute_type: Literal["auto", "int8", "float16", "int8_float16", "float32"] = "auto"
    beam_size: int = Field(1, ge=1, le=10)
    max_audio_seconds: float = Field(60.0, gt=0, le=600, description="longer input is refused")
    cache: bool = Field(True, description="remember transcripts of identical audio (seed 13)")


class VADSection(_Section):
    """Voice activity detection (Silero)."""

    model: str = Field("silero-vad-v6", min_length=1)
    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    min_speech_ms: int = Field(250, ge=0, le=10000)
    min_silence_ms: int = Field(500, ge=0, le=10000)
    speech_pad_ms: int = Field(200, ge=0, le=2000)


class TTSSection(_Section):
    """Speech synthesis: one voice per language (seed 6)."""

    en: str = Field("piper-en-us-joe-medium", min_length=1, description="English voice manifest id")
    ru: str = Field(
        "auto",
        min_length=1,
        description=(
            "Russian voice manifest id, or 'auto': a Piper ru voice if installed, else Festival, else eSpeak NG"
        ),
    )
    speed: float = Field(1.0, ge=0.5, le=2.0)


class AudioDevicesSection(_Section):
    """Sound devices; empty means the system default."""

    input: str = Field("", description="microphone: a sounddevice input name; empty: the system default")
    output: str = Field("", description="speaker: a sounddevice output name; empty: the system default")


class AudioSection(_Section):
    """Everything audio."""

    stt: STTSection = STTSection()
    vad: VADSection = VADSection()
    tts: TTSSection = TTSSection()
    devices: AudioDevicesSection = AudioDevicesSection()


class EmotionSection(_Section):
    """Emotion classification (seed 5)."""

    model: str = Field(
        "prototypes", min_length=1, description="'prototypes' (built in, on the embeddings) or a classifier manifest id"
    )
    min_confidence: float = Field(0.35, ge=0.0, le=1.0, description="below it, ask the lightweight LLM")


class ClassificationSection(_Section):
    """Classifiers."""

    emotion: EmotionSection = EmotionSection()


MoEUseCase = Literal["judge", "plan", "long_context"]
MOE_USE_CASES: tuple[MoEUseCase, ...] = ("judge", "plan", "long_context")


class MoESection(_Section):
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


class SchedulerSection(_Section):
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


class MetricsSection(_Section):
    """Prometheus metrics (seed 19's names); `sova metrics` prints them."""

    http: bool = Field(False, description="serve them on http://127.0.0.1:<port>/metrics (never other hosts)")
    port: int = Field(9464, ge=1024, le=65535)


class UiSection(_Section):
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


class MemorySection(_Section):
    """Long-term memory (seed 4, 5, 13): facts, entities and summaries that outlive a conversation."""

    enabled: bool = Field(True, description="off: nothing is written to or recalled from long-term memory")


class MCPServerSection(_Section):
    """One MCP server whose tools Sova may use (a stdio command, or an HTTP url)."""

    name: str = Field(min_length=1, description="shown to the user")
    command: list[str] | None = Field(None, description="a stdio server: the program and its arguments")
    url: str | None = Field(None, description="or a streamable-HTTP server's url")
    timeout_s: float = Field(10.0, gt=0, le=600, description="a call (or the start) taking longer fails")


class ToolsSection(_Section):
    """Tools (seed 8): built-in ones and MCP servers."""

    enabled: bool = Field(True, description="off: Sova only talks")
    mcp: list[MCPServerSection] = Field(default_factory=list, description="MCP servers ([[tools.mcp]] tables)")


class PrivacySection(_Section):
    """What may leave this machine (seed 14)."""

    allow_external: bool = Field(False, description="let a request leave the machine (off: nothing ever does)")
    denylist: list[str] = Field(default_factory=list, description="words and phrases that never leave this machine")


class EvalSection(_Section):
    """Quality measurement and the eval-gated model update (seed 11, 15)."""


class SovaConfig(_Section):
    """The whole configuration."""

    app: AppSection = AppSection()
    paths: PathsSection = PathsSection()
    llm: LLMSection
    embeddings: EmbeddingsSection
    audio: AudioSection = AudioSection()
    classification: ClassificationSection = ClassificationSection()
    scheduler: SchedulerSection = SchedulerSection()
    metrics: MetricsSection = MetricsSection()
    ui: UiSection = UiSection()
    memory: MemorySection = MemorySection()
    tools: ToolsSection = ToolsSection()
    privacy: PrivacySection = PrivacySection()
    eval: EvalSection = EvalSection()


def field_info(key: str) -> FieldInfo:
    """The schema of the dotted config key `key` ("audio.tts.en"); KeyError when SovaConfig has no such key."""
    model: type[BaseModel] | None = SovaConfig
    info: FieldInfo | None = None
    for part in key.split("."):
        if model is None or part not in model.model_fields:
            raise KeyError(f"{key}: not a key of the configuration (engine/config.py SovaConfig)")
        info = model.model_fields[part]
        model = _section_of(info.annotation)
    if info is None:
        raise KeyError("an empty key names no setting")
    return info


def _section_of(annotation: Any) -> type[BaseModel] | None:
    """The section model a field holds (`X` or `X | None`), or None for a plain value."""
    candidates = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, recursing into tables."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has_key(data: Mapping[str, Any], loc: tuple[int | str, ...]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _format_loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def validate_config(layers: list[tuple[Path, Mapping[str, Any]]]) -> SovaConfig:
    """Validate the merge of `layers` (lowest first); every problem names its key and file."""
    merged: dict[str, Any] = {}
    for _, data in layers:
        merged = deep_merge(merged, data)
    try:
        return SovaConfig.model_validate(merged)
    except ValidationError as exc:
        problems, keys = [], []
        for err in exc.errors():
            loc = tuple(err["loc"])
            source = next((str(p) for p, d in reversed(layers) if _has_key(d, loc)), None)
            if source is None:  # a missing required key: blame the file that should hold it
                source = str(layers[-1][0]) if layers else "<config>"
            if err["type"] == "extra_forbidden":
                what = "unknown key"
            else:
                what = err["msg"]
                if "input" in err and err["type"] != "missing" and not isinstance(err["input"], dict):
                    what += f" (got {err['input']!r})"
            problems.append(f"{source}: {_format_loc(loc)}: {what}")
            keys.append(".".join(str(p) for p in loc))
        raise ConfigError(problems, hint="fix these keys, then run `sova config check`", keys=tuple(keys)) from None


def load_config(default_file: Path, user_file: Path | None = None) -> SovaConfig:
    """Load `default_file` and overlay `user_file` when it exists."""
    layers: list[tuple[Path, Mapping[str, Any]]] = [(default_file, read_toml(default_file))]
    if user_file is not None and user_file.exists():
        layers.append((user_file, read_toml(user_file)))
    return validate_config(layers)


def check_config_file(path: Path, default_file: Path) -> SovaConfig:
    """Validate `path` as a user config on top of the defaults (or alone if it is the default)."""
    layers: list[tuple[Path, Mapping[str, Any]]] = [(default_file, read_toml(default_file))]
    if path.resolve() != default_file.resolve():
        layers.append((path, read_toml(path)))
    return validate_config(layers)
