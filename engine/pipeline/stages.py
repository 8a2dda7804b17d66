"""Builds the stage backends a turn needs from the config and the registry, with fallbacks.

A model that is missing or damaged is replaced by the next one of its kind (primary LLM ->
lightweight -> micro; Whisper base -> tiny.en; a language's voice -> the other voice) and the
substitution is reported as a notice, never a crash. Only when no model of a kind can be loaded
does building fail, with the reason of each candidate.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import LLMRoleSection, SovaConfig
from engine.errors import ModelUnavailableError
from engine.registry.manifest import Manifest
from engine.registry.registry import ModelProvider, Registry
from engine.stages.base import LanguageModel, SpeechRecognizer, SpeechSynthesizer, SpokenLanguage
from engine.stages.emotion.classifier import EmotionStage, build_emotion_stage
from engine.stages.llm.loaded import LoadedLLM
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


def build_stages(config: SovaConfig, registry: Registry, cache_dir: Path | None = None) -> Stages:
    """Load every stage (blocking: call it in a worker thread)."""
    notices: list[str] = []
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
    primary = _load_llm(registry, roles, notices)
    lightweight = _load_llm(registry, roles[1:], notices) if primary.role == "primary" else primary

    tts_options = TTSOptions(speed=config.audio.tts.speed)
    voices: dict[SpokenLanguage, SpeechSynthesizer] = {}
    wanted_voices: tuple[tuple[SpokenLanguage, str], ...] = (("en", config.audio.tts.en), ("ru", config.audio.tts.ru))
    for lang, wanted in wanted_voices:
        installed = [p.manifest for p in registry.select(kind="tts", language=lang) if p.status().installed]
        try:
            candidates = voice_candidates(installed, wanted)
            _, voices[lang] = _load_first(registry, candidates, tts_options, f"{lang} voice", notices)
        except ModelUnavailableError as exc:
            notices.append(f"no {lang} voice: {exc.message}")
    if not voices:
        raise ModelUnavailableError("no voice can be loaded", hint="run `sova models install-defaults`")

    emotion = _build_emotion(config, registry, lightweight.model, notices)
    return Stages(
        vad=vad,
        stt=stt,
        llm=primary,
        lightweight=lightweight,
        tts=VoiceRouter(voices),
        emotion=emotion,
        notices=notices,
    )


def voice_candidates(installed: Sequence[Manifest], wanted: str) -> list[str]:
    """Voices to try for a language: `wanted` first, then the installed ones, neural (Piper) before formant.

    `wanted == "auto"` means just the installed ones in that order: eSpeak NG speaks Russian until a
    Piper ru voice is installed, then Piper does, without touching the config.
    """
    ranked = [m.id for m in sorted(installed, key=lambda m: (m.format != "piper", m.id))]
    return ranked if wanted == "auto" else [wanted, *ranked]


def _load_llm(registry: Registry, roles: Sequence[tuple[str, LLMRoleSection]], notices: list[str]) -> LoadedLLM:
    reasons = []
    for role, settings in roles:
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


def _build_emotion(
    config: SovaConfig, registry: Registry, llm: LanguageModel, notices: list[str]
) -> EmotionStage | None:
    try:
        _, embedder = _load_first(
            registry, [config.embeddings.main.id], EmbedderOptions(threads=_threads()), "embeddings", notices
        )
        return build_emotion_stage(config.classification.emotion, registry, embedder=embedder, llm=llm)
    except ModelUnavailableError as exc:
        notices.append(f"emotion recognition is off: {exc.message}")
        return None
