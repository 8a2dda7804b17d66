"""Builds the stage backends a turn needs from the config and the registry, with fallbacks.

A model that is missing or damaged is replaced by the next one of its kind (primary LLM ->
lightweight -> micro; Whisper base -> tiny.en; a language's voice -> the next voice in the order
Piper, Festival, eSpeak NG) and the substitution is reported as a notice, never a crash. Only when
no model of a kind can be loaded does building fail, with the reason of each candidate.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import LLMRoleSection, SovaConfig
from engine.errors import ConfigError, ModelUnavailableError
from engine.privacy.consent import ConsentStore, consent_file, endpoint_of
from engine.privacy.guard import may_connect, remote_roles
from engine.privacy.remote_model import ScrubbingModel, Unreachable
from engine.registry.manifest import Manifest
from engine.registry.registry import ModelProvider, Registry
from engine.stages.base import Embedder, LanguageModel, SpeechRecognizer, SpeechSynthesizer, SpokenLanguage
from engine.stages.emotion.classifier import EmotionStage, build_emotion_stage
from engine.stages.llm.loaded import LoadedLLM
from engine.stages.llm.openai_compat import OpenAICompatModel
from engine.stages.options import EmbedderOptions, LLMOptions, LoadOptions, STTOptions, TTSOptions
from engine.stages.tts.router import VoiceRouter
from engine.stages.vad.silero import SileroVAD

log = logging.getLogger(__name__)


@dataclass
class Stages:
    """The loaded backends of every stage."""

    vad: SileroVAD
    stt: SpeechRecognizer
    llm: LoadedLLM
    lightweight: LoadedLLM
    tts: VoiceRouter
    emotion: EmotionStage | None
    notices: list[str] = field(default_factory=list)
    #: the main embeddings model (emotion prototypes, long-term memory); None when it cannot load
    embedder: Embedder | None = None


@dataclass(frozen=True)
class ModelsInUse:
    """The model of each stage now (the status bar's line)."""

    stt: str
    llm: str
    lightweight: str
    voices: tuple[tuple[str, str], ...]  # (language, voice id), by language


def models_in_use(stages: Stages) -> ModelsInUse:
    """The loaded model of each stage."""
    voices = tuple(sorted((lang, voice.model_id) for lang, voice in stages.tts.voices.items()))
    return ModelsInUse(stages.stt.model_id, stages.llm.model.model_id, stages.lightweight.model.model_id, voices)


def _threads() -> int:
    return max(1, os.cpu_count() or 1)


def _load_first(
    registry: Registry, candidates: Sequence[str], options: LoadOptions, what: str, notices: list[str]
) -> tuple[ModelProvider, Any]:
    """Load the first loadable candidate; note every skipped one with its reason."""
    reasons = []
    for i, model_id in enumerate(dict.fromkeys(c for c in candidates if c)):
        try:
            provider = registry.get(model_id)
            instance = provider.load(options)
        except ModelUnavailableError as exc:
            reasons.append(f"{model_id}: {exc.message}")
            log.warning("%s %s unavailable: %s", what, model_id, exc.message)
            continue
        if i:
            notices.append(f"{what}: using {model_id} because " + "; ".join(reasons))
        return provider, instance
    raise ModelUnavailableError(
        f"no {what} model can be loaded:\n    " + "\n    ".join(reasons),
        hint="run `sova models install-defaults`, or `sova models list` to see what is installed",
    )


def _llm_options(settings: LLMRoleSection) -> LLMOptions:
    return LLMOptions(
        context_length=settings.context_length,
        n_gpu_layers=settings.n_gpu_layers,
        threads=settings.threads or _threads(),
    )


def build_stages(
    config: SovaConfig,
    registry: Registry,
    cache_dir: Path | None = None,
    *,
    consent: ConsentStore | None = None,
    notice: Callable[[str], None] | None = None,
) -> Stages:
    """Load every stage (blocking: call it in a worker thread).

    A remote LLM role (provider = "openai") asks `consent` about its endpoint (default: the store
    in the data folder above `cache_dir`) and tells `notice` when a local model answers for it.
    """
    notices: list[str] = []
    _refuse_remote_unless_allowed(config)  # before anything loads: a refused config connects nothing
    if consent is None and cache_dir is not None:
        consent = ConsentStore(consent_file(cache_dir.parent))
    remote = _RemoteContext(config.privacy.allow_external, tuple(config.privacy.denylist), consent, notice)
    llm_cfg = config.llm

    _, vad = _load_first(registry, [config.audio.vad.model], None, "voice activity", notices)

    stt_options = STTOptions(
        device=config.audio.stt.device,
        compute_type=config.audio.stt.compute_type,
        beam_size=config.audio.stt.beam_size,
        threads=_threads(),
        cache_dir=cache_dir / "transcripts" if cache_dir and config.audio.stt.cache else None,
    )
    _, stt = _load_first(
        registry, [config.audio.stt.model, config.audio.stt.fast_model], stt_options, "speech recognition", notices
    )

    roles: list[tuple[str, LLMRoleSection]] = [("primary", llm_cfg.primary), ("lightweight", llm_cfg.lightweight)]
    if llm_cfg.micro is not None:
        roles.append(("micro", llm_cfg.micro))
    primary = _load_llm(registry, roles, notices, remote)
    lightweight = _load_llm(registry, roles[1:], notices, remote) if primary.role == "primary" else primary

    tts_options = TTSOptions(speed=config.audio.tts.speed)
    voices: dict[SpokenLanguage, SpeechSynthesizer] = {}
    wanted_voices: tuple[tuple[SpokenLanguage, str], ...] = (("en", config.audio.tts.en), ("ru", config.audio.tts.ru))
    for lang, wanted in wanted_voices:
        try:
            voices[lang] = _load_voice(registry, lang, wanted, tts_options, notices)
        except ModelUnavailableError as exc:
            notices.append(f"no {lang} voice: {exc.message}")
    if not voices:
        raise ModelUnavailableError("no voice can be loaded", hint="run `sova models install-defaults`")

    embedder = _load_embedder(config, registry, notices)
    emotion = _build_emotion(config, registry, lightweight.model, embedder, notices)
    return Stages(
        vad=vad,
        stt=stt,
        llm=primary,
        lightweight=lightweight,
        tts=VoiceRouter(voices),
        emotion=emotion,
        notices=notices,
        embedder=embedder,
    )


#: voice formats `auto` prefers, best first (issue 13, Russian round trip through Whisper base): a
#: neural Piper voice, then Festival's unit selection from real recordings (23% WER), then eSpeak NG's
#: formant synthesis (123%); a format not listed comes after them
VOICE_PREFERENCE: tuple[tuple[str, str], ...] = (
    ("piper", "a neural Piper voice"),
    ("festival", "Festival, unit selection from recordings"),
    ("espeak-ng", "eSpeak NG, formant synthesis"),
)
_VOICE_FORMATS = [fmt for fmt, _ in VOICE_PREFERENCE]


def voice_rank(manifest: Manifest) -> tuple[int, str]:
    """Sort key of a voice for `auto`: its format's place in `VOICE_PREFERENCE`, then its id."""
    fmt = manifest.format
    return (_VOICE_FORMATS.index(fmt) if fmt in _VOICE_FORMATS else len(_VOICE_FORMATS), manifest.id)


def voice_kind(manifest: Manifest) -> str:
    """What kind of voice it is, in words."""
    return dict(VOICE_PREFERENCE).get(manifest.format, f"a {manifest.format} voice")


def voice_candidates(installed: Sequence[Manifest], wanted: str) -> list[str]:
    """Voices to try for a language: `wanted` first, then the installed ones in `VOICE_PREFERENCE` order.

    `wanted == "auto"` means just the installed ones in that order: a Piper ru voice speaks Russian once
    it is installed, else Festival once its packages are, else eSpeak NG, without touching the config.
    """
    ranked = [m.id for m in sorted(installed, key=voice_rank)]
    return ranked if wanted == "auto" else [wanted, *ranked]


@dataclass(frozen=True)
class VoiceOption:
    """A voice of a language, and why it cannot speak ("" when it can)."""

    manifest: Manifest
    unavailable: str = ""


@dataclass(frozen=True)
class AutoVoice:
    """Which voice `auto` picks for a language (None: none can speak), and why in words."""

    language: str
    model_id: str | None
    reason: str
    first_choice: bool  # no voice ranks above it


def auto_voice(language: str, options: Sequence[VoiceOption]) -> AutoVoice:
    """The voice `auto` uses among `options` (every voice of `language`, usable or not), and why."""
    ranked = sorted(options, key=lambda o: voice_rank(o.manifest))
    chosen = next((o for o in ranked if not o.unavailable), None)
    if chosen is None:
        why = "; ".join(f"{o.manifest.id}: {o.unavailable}" for o in ranked) or "no voice manifest for it"
        return AutoVoice(language, None, f"no {language} voice can speak: {why}", False)
    better = ranked[: ranked.index(chosen)]
    kind = voice_kind(chosen.manifest)
    if not better:
        return AutoVoice(language, chosen.manifest.id, f"{kind}, the first choice", True)
    skipped = "; ".join(f"{o.manifest.id} ({voice_kind(o.manifest)}) is {o.unavailable}" for o in better)
    return AutoVoice(language, chosen.manifest.id, f"{kind}, because {skipped}", False)


def voice_options(registry: Registry, language: str, failed: Mapping[str, str] | None = None) -> list[VoiceOption]:
    """Every voice of `language` in the registry with why it cannot speak: not installed, or `failed` to load."""
    failed = failed or {}
    options = []
    for provider in registry.select(kind="tts", language=language):
        status = provider.status()
        reason = failed.get(provider.manifest.id) or ("" if status.installed else status.reason)
        options.append(VoiceOption(provider.manifest, reason))
    return options


def _load_voice(
    registry: Registry, lang: SpokenLanguage, wanted: str, options: TTSOptions, notices: list[str]
) -> SpeechSynthesizer:
    """Load `wanted` (or `auto`'s choice) for `lang`; a notice says why when it is not the first choice."""
    installed = [o.manifest for o in voice_options(registry, lang) if not o.unavailable]
    failed: dict[str, str] = {}
    for model_id in dict.fromkeys(voice_candidates(installed, wanted)):
        try:
            voice: SpeechSynthesizer = registry.get(model_id).load(options)
        except ModelUnavailableError as exc:
            failed[model_id] = f"unavailable: {exc.message}"
            log.warning("%s voice %s unavailable: %s", lang, model_id, exc.message)
            continue
        if wanted != "auto" and model_id != wanted:
            notices.append(f"{lang} voice: using {model_id} because {wanted} is {failed[wanted]}")
        elif wanted == "auto":
            choice = auto_voice(lang, voice_options(registry, lang, failed))
            if not choice.first_choice:
                notices.append(f"{lang} voice: {model_id} speaks ({choice.reason})")
        return voice
    raise ModelUnavailableError(
        f"no {lang} voice can be loaded:\n    " + "\n    ".join(f"{i}: {r}" for i, r in failed.items()),
        hint="run `sova models install-defaults`, or `sova models list` to see what is installed",
    )


def _load_llm(
    registry: Registry,
    roles: Sequence[tuple[str, LLMRoleSection]],
    notices: list[str],
    remote: _RemoteContext | None = None,
) -> LoadedLLM:
    reasons = []
    for i, (role, settings) in enumerate(roles):
        if settings.provider == "openai":
            if remote is None:
                reasons.append(f"{role} {settings.model}: remote models are not enabled here")
                continue
            local = [(r, s) for r, s in roles[i + 1 :] if s.provider == "local"]
            return LoadedLLM(_remote_llm(registry, role, settings, local, notices, remote), role, settings)
        try:
            model = registry.get(settings.id).load(_llm_options(settings))
        except ModelUnavailableError as exc:
            reasons.append(f"{role} {settings.id}: {exc.message}")
            continue
        if reasons:
            notices.append(f"language model: using the {role} model {settings.id} because " + "; ".join(reasons))
        return LoadedLLM(model, role, settings)
    raise ModelUnavailableError(
        "no language model can be loaded:\n    " + "\n    ".join(reasons),
        hint="run `sova models install-defaults`, or set [llm.primary] id to an installed model",
    )


def _refuse_remote_unless_allowed(config: SovaConfig) -> None:
    """ConfigError when a role is remote but [privacy] allow_external is false (the config check, once more)."""
    remote = [role for role, s in remote_roles(config)]
    if remote and not config.privacy.allow_external:
        raise ConfigError(
            [f'privacy.allow_external: is false, but llm.{role}.provider = "openai"' for role in remote],
            keys=("privacy.allow_external",) * len(remote),
            hint="set [privacy] allow_external = true to let requests leave this machine, or provider = \"local\"",
        )


@dataclass(frozen=True)
class _RemoteContext:
    """What building a remote role needs besides its own settings."""

    allow_external: bool
    denylist: tuple[str, ...]
    consent: ConsentStore | None
    notice: Callable[[str], None] | None


def _remote_llm(
    registry: Registry,
    role: str,
    settings: LLMRoleSection,
    local: Sequence[tuple[str, LLMRoleSection]],
    notices: list[str],
    remote: _RemoteContext,
) -> ScrubbingModel:
    """The remote model of `role` behind the scrubber, with its local stand-in; connects nothing."""
    endpoint = endpoint_of(settings.base_url)
    fallback: LanguageModel | None = None
    if settings.on_failure == "local":
        stand_ins = [(role, settings.model_copy(update={"provider": "local"}))] if settings.id else []
        try:
            fallback = _load_llm(registry, [*stand_ins, *local], notices).model
        except ModelUnavailableError as exc:
            notices.append(f"{role} language model: no local model can stand in for {endpoint}: {exc.message}")
    server: LanguageModel
    try:
        server = OpenAICompatModel(
            base_url=settings.base_url,
            model=settings.model,
            api_key_env=settings.api_key_env,
            timeout_s=settings.timeout_s,
            context_length=settings.context_length,
        )
    except ModelUnavailableError as exc:
        if fallback is None:
            raise
        notices.append(f"{role} language model: {exc.message}; {fallback.model_id} answers instead ({exc.hint})")
        return ScrubbingModel(Unreachable(endpoint, exc), endpoint=endpoint, fallback=fallback, notice=remote.notice)
    verdict = may_connect(remote.allow_external, settings.base_url, remote.consent)
    if not verdict.allowed:
        stand_in = fallback.model_id if fallback else "nothing"
        notices.append(f"{role} language model: {verdict.reason}; until then {stand_in} answers")
    return ScrubbingModel(
        server,
        endpoint=endpoint,
        denylist=remote.denylist,
        fallback=fallback,
        on_failure=settings.on_failure,
        notice=remote.notice,
        consent=remote.consent,
    )


def _load_embedder(config: SovaConfig, registry: Registry, notices: list[str]) -> Embedder | None:
    try:
        _, embedder = _load_first(
            registry, [config.embeddings.main.id], EmbedderOptions(threads=_threads()), "embeddings", notices
        )
    except ModelUnavailableError as exc:
        notices.append(f"the embeddings model cannot load (emotion and long-term memory are off): {exc.message}")
        return None
    return embedder  # type: ignore[no-any-return]


def _build_emotion(
    config: SovaConfig, registry: Registry, llm: LanguageModel, embedder: Embedder | None, notices: list[str]
) -> EmotionStage | None:
    try:
        return build_emotion_stage(config.classification.emotion, registry, embedder=embedder, llm=llm)
    except ModelUnavailableError as exc:
        notices.append(f"emotion recognition is off: {exc.message}")
        return None
