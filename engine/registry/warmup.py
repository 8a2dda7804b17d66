"""Warm-up (seed 15, step 2): load a staged LLM and run the control prompts before it is measured.

A model that cannot be loaded, or answers nothing to every control prompt, is rolled back here,
before the gate spends minutes on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import SovaError
from engine.registry.registry import ModelProvider
from engine.stages.base import ChatMessage, SamplingParams
from engine.stages.options import LLMOptions

#: short, deterministic, one per language the seed cares about; any non-empty reply passes
CONTROL_PROMPTS: tuple[str, ...] = (
    "Reply with one word: what colour is the sky on a clear day?",
    "Ответь одним словом: какой город — столица России?",
    "What is 2 + 2? Answer with the number only.",
)
_PARAMS = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=24)


@dataclass(frozen=True)
class WarmupResult:
    """The control prompts' replies, or why the model failed them."""

    ok: bool
    replies: tuple[tuple[str, str], ...]  # (prompt, reply)
    reason: str = ""


#: how `update_model` warms a staged provider up (tests swap in one for a tiny fake GGUF)
Warmup = Callable[[ModelProvider, LLMOptions], WarmupResult]


def warm_up(provider: ModelProvider, options: LLMOptions) -> WarmupResult:
    """Load `provider` (it stays loaded for the gate) and run `CONTROL_PROMPTS` at temperature 0."""
    try:
        model = provider.load(options)
        replies = tuple(
            (prompt, "".join(model.stream_chat([ChatMessage("user", prompt)], _PARAMS)).strip())
            for prompt in CONTROL_PROMPTS
        )
    except SovaError as exc:
        provider.unload()
        return WarmupResult(False, (), f"warm-up: {provider.manifest.id} failed to load or generate: {exc.message}")
    if not any(reply for _, reply in replies):
        provider.unload()
        return WarmupResult(False, replies, f"warm-up: {provider.manifest.id} answered none of the control prompts")
    return WarmupResult(True, replies)
