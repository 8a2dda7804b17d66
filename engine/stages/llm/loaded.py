"""An LLM as the turn and the scheduler see it: the model, the config role it serves, its settings."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import LLMRoleSection
from engine.stages.base import LanguageModel


@dataclass(frozen=True)
class LoadedLLM:
    """An LLM with the config role it was loaded for ("primary", "lightweight" or "micro")."""

    model: LanguageModel
    role: str
    settings: LLMRoleSection
