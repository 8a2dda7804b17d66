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

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

# re-exported: `from engine.config import MoESection` keeps working
from engine.config_sections import MOE_USE_CASES as MOE_USE_CASES
from engine.config_sections import Device as Device
from engine.config_sections import MetricsSection as MetricsSection
from engine.config_sections import MoESection as MoESection
from engine.config_sections import MoEUseCase as MoEUseCase
from engine.config_sections import SchedulerSection as SchedulerSection
from engine.config_sections import Section as Section
from engine.config_sections import SttBusyAction as SttBusyAction
from engine.config_sections import UiSection as UiSection
from engine.errors import ConfigError
from engine.fileio import read_toml
from engine.privacy.config_rules import BaseUrl, migrate_layers, remote_problems

Language = Literal["ru", "en", "auto"]


_Section = Section


class AppSection(_Section):
    """General behaviour."""

    language: Language = Field("auto", description="spoken language: ru, en, or auto (ru/en only)")
    ui_language: Literal["system", "ru", "en"] = Field("system", description="interface language")
    persona: str = Field(
        "default", min_length=1, description="persona folder in resources/personas (en.md and ru.md)"
    )


class PathsSection(_Section):
    """Where things live. Relative paths are relative to the project root."""

    models_dir: str = Field("models", description="model weights (manifest paths are relative to it)")
    manifests_dirs: list[str] = Field(
        default_factory=lambda: ["models/manifests"], description="folders of manifest YAML files"
    )
    data_dir: str = Field("", description="history, caches, state; empty: the XDG data dir")


class LLMRoleSection(_Section):
    """One LLM role (seed 18): a local manifest or an OpenAI-compatible server, and how to sample."""

    id: str = Field("", description="manifest id (`sova models list`); openai: the local stand-in, '': lightweight's")
    provider: Literal["local", "openai"] = Field("local", description='"openai": any OpenAI-compatible server')
    base_url: BaseUrl = Field("", description='the server\'s API root, e.g. "http://127.0.0.1:8080/v1" (openai)')
    model: str = Field("", description="the model name the server knows (openai)")
    api_key_env: str = Field("", description="the NAME of an environment variable holding the key; never the key")
    timeout_s: float = Field(30.0, gt=0, le=600, description="seconds to connect and between streamed pieces")
    on_failure: Literal["local", "fail"] = Field("local", description="server failed: a local model answers, or fail")
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


class MemorySection(_Section):
    """Long-term memory (seed 4, 5, 13): facts, entities and summaries that outlive a conversation."""

    enabled: bool = Field(True, description="off: nothing is written to or recalled from long-term memory")
    recall_top_k: int = Field(5, ge=1, le=20, description="at most this many memories go into the prompt")
    min_margin: float = Field(0.055, ge=0, le=1, description="recall needs a memory this far over the usual similarity")
    fts_margin: float = Field(0.03, ge=0, le=1, description="the bar for a memory sharing a word with the question")
    embedding_cache: bool = Field(True, description="keep the embeddings of texts already seen on disk (seed 13)")
    fixed_unknown_reply: bool = Field(
        True, description="a question about the user that nothing stored answers gets a fixed 'I don't know'"
    )


class MCPServerSection(_Section):
    """One MCP server whose tools Sova may use: exactly one of a stdio `command` or an HTTP `url`."""

    name: str = Field(
        min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", description="shown; prefixes its tools"
    )
    command: list[str] | None = Field(None, min_length=1, description="a stdio server: the program and its arguments")
    url: str | None = Field(None, pattern=r"^https?://\S+$", description="or a streamable-HTTP server's url")
    timeout_s: float = Field(10.0, gt=0, le=600, description="a call (or the start) taking longer fails")
    env: dict[str, str] = Field(default_factory=dict, description="optional: extra environment of a stdio server")
    read_only_tools: list[str] = Field(default_factory=list, description="optional: its tools to run without asking")

    @model_validator(mode="after")
    def _one_transport(self) -> MCPServerSection:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command (a stdio server) or url (an HTTP server)")
        if self.command is not None and not self.command[0].strip():
            raise ValueError("command: the first item must be the program to run")
        if self.env and self.command is None:
            raise ValueError("env: only a stdio server (command) takes environment variables")
        return self


class ToolsSection(_Section):
    """Tools (seed 8): built-in ones and MCP servers."""

    enabled: bool = Field(True, description="off: Sova only talks")
    planner: Literal["lightweight", "primary", "moe"] = Field("lightweight", description="writes the plans rules can't")
    exact_arguments: bool = Field(True, description="read sums, times, units exactly; off: the model always plans")
    timezone: str = Field("", description='clock and reminders, e.g. "Europe/Moscow"; empty: the system zone')
    call_timeout_s: float = Field(10.0, gt=0, le=600, description="a built-in tool call taking longer fails")
    max_calls: int = Field(3, ge=1, le=8, description="at most this many tool calls in one turn")
    notifications: bool = Field(True, description="announce due reminders with a desktop notification too")
    mcp: list[MCPServerSection] = Field(default_factory=list, description="MCP servers ([[tools.mcp]] tables)")


class PrivacySection(_Section):
    """What may leave this machine (seed 14)."""

    allow_external: bool = Field(False, description="let a request leave the machine (off: nothing ever does)")
    denylist: list[str] = Field(default_factory=list, description="words and phrases that never leave this machine")


class EvalThresholdsSection(_Section):
    """The largest tolerated drop of each gated 0-1 metric (seed 15), when also beyond the noise."""

    persona: float = Field(0.05, ge=0.0, le=1.0, description="persona adherence: the seed's 5 %")
    relevance: float = Field(0.10, ge=0.0, le=1.0, description="the judge's answer-relevance score")
    hallucination: float = Field(0.10, ge=0.0, le=1.0, description="abstaining on unknown facts, recalling given ones")
    tools: float = Field(0.10, ge=0.0, le=1.0, description="tool accuracy (when the tools suite exists)")


class EvalSection(_Section):
    """Quality measurement and the eval-gated model update (seed 11, 15)."""

    reports_dir: str = Field("reports", min_length=1, description="`sova eval` reports (relative: to the project)")
    gate_budget_s: float = Field(300.0, gt=0, le=3600, description="time budget of one model's gate suite")
    thresholds: EvalThresholdsSection = EvalThresholdsSection()


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
    layers, legacy = migrate_layers(layers)  # app.allow_external_backends -> privacy.allow_external
    merged: dict[str, Any] = {}
    for _, data in layers:
        merged = deep_merge(merged, data)
    extra = legacy + remote_problems(merged, layers)  # what no single field can check
    problems, keys = [f"{f}: {k}: {what}" for f, k, what in extra], [k for _, k, _ in extra]
    try:
        config = SovaConfig.model_validate(merged)
    except ValidationError as exc:
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
    if problems:
        raise ConfigError(problems, hint="fix these keys, then run `sova config check`", keys=tuple(keys))
    return config


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
