"""Which model each role uses now: the config's ids, and where promotion keeps its pointer.

The user's config (`[llm.<role>] id`, `[scheduler.moe] model`, ...) says which model each role uses;
`sova models update` changes it only through a promotion (engine/registry/promotion.py), whose
atomic pointer and journal live in `<models_dir>/active/`. The weights themselves stay at their
manifest's `path`: an active model is a pointer to a verified file, never a second copy of it.
"""

from __future__ import annotations

from pathlib import Path

from engine.config import SovaConfig
from engine.registry.manifest import Role

#: the dotted config key that names the model of each LLM role (seed 3.1)
LLM_ROLE_KEYS: dict[Role, tuple[str, ...]] = {
    "primary": ("llm", "primary", "id"),
    "secondary": ("llm", "secondary", "id"),
    "lightweight": ("llm", "lightweight", "id"),
    "micro": ("llm", "micro", "id"),
    "optional_moe": ("scheduler", "moe", "model"),
}


def active_dir(models_dir: Path) -> Path:
    """The folder of the promotion pointer (`state.json`), its journal and its lock."""
    return models_dir / "active"


def staging_dir(models_dir: Path) -> Path:
    """Where candidates wait while they are measured (seed 15: `models/staging/`)."""
    return models_dir / "staging"


def role_model(config: SovaConfig, role: Role) -> str | None:
    """The model id the config gives `role` now (None: the role is not configured)."""
    if role == "optional_moe":
        return config.scheduler.moe.model
    section = getattr(config.llm, role)
    return None if section is None else str(section.id)


def active_uses(config: SovaConfig) -> dict[str, list[str]]:
    """Model id -> the config keys that make it active ("llm.primary", "audio.stt.model", ...).

    `[audio.tts] ru = "auto"` and `[classification.emotion] model = "prototypes"` name no manifest
    and are left out (the voice list says which voice "auto" picks).
    """
    uses: dict[str, list[str]] = {}

    def add(model_id: str | None, key: str) -> None:
        if model_id:
            uses.setdefault(model_id, []).append(key)

    for role in ("primary", "secondary", "lightweight", "micro"):
        add(role_model(config, role), f"llm.{role}")
    if config.scheduler.moe.enabled:
        add(config.scheduler.moe.model, "scheduler.moe")
    add(config.embeddings.main.id, "embeddings.main")
    add(config.audio.stt.model, "audio.stt.model")
    add(config.audio.stt.fast_model, "audio.stt.fast_model")
    add(config.audio.vad.model, "audio.vad.model")
    add(config.audio.tts.en, "audio.tts.en")
    if config.audio.tts.ru != "auto":
        add(config.audio.tts.ru, "audio.tts.ru")
    if config.classification.emotion.model != "prototypes":
        add(config.classification.emotion.model, "classification.emotion.model")
    return uses
