"""Shared fixtures: the real registry over the repo's manifests and installed default models."""

from __future__ import annotations

import asyncio
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from engine.assistant import Assistant
from engine.config import SovaConfig, validate_config
from engine.events import Event, SchedulerEvent
from engine.registry.registry import ModelProvider, Registry

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"

# Qt tests run offscreen unless the caller chose a platform (the test command also runs them under Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The registry over models/manifests and models/, with a throw-away verification record."""
    state = tmp_path_factory.mktemp("state")
    return Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", state)


@pytest.fixture(scope="session")
def installed(registry: Registry):  # type: ignore[no-untyped-def]
    """Return a provider by id, failing loudly (not skipping) when a default model is missing."""

    def get(model_id: str) -> ModelProvider:
        provider = registry.get(model_id)
        status = provider.status()
        if not status.installed:
            pytest.fail(f"{model_id} is not installed: {status.reason}")
        return provider

    return get


def make_config(overrides: dict[str, Any] | None = None) -> SovaConfig:
    """The repo defaults with `overrides` (a nested dict shaped like config.toml) on top."""
    default = ROOT / "config.toml"
    with default.open("rb") as fh:
        layers: list[tuple[Path, dict[str, Any]]] = [(default, tomllib.load(fh))]
    if overrides:
        layers.append((Path("<test overrides>"), overrides))
    return validate_config(layers)


#: a fast configuration for tests that run whole turns: the 0.5B model as primary, short replies
FAST_LLM: dict[str, Any] = {
    "llm": {
        "primary": {
            "id": "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0",
            "max_output_tokens": 48,
            "temperature": 0.0,
            "context_length": 2048,
        },
        "lightweight": {"max_output_tokens": 48, "context_length": 2048},
    },
    "classification": {"emotion": {"min_confidence": 0.0}},
}


class AssistantEnv:
    """A started assistant on its own event loop, with every engine and scheduler event it emitted."""

    def __init__(self, data_dir: Path, config: SovaConfig) -> None:
        self.loop = asyncio.new_event_loop()
        registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", data_dir / "state")
        self.assistant = Assistant(config, registry, data_dir, ROOT / "resources")
        self.events: list[Event] = []
        self.assistant.bus.subscribe(self.events.append)
        self.run(self.assistant.start())

    @property
    def sched_events(self) -> list[SchedulerEvent]:
        """The scheduler's events among `events`, in order."""
        return [e for e in self.events if isinstance(e, SchedulerEvent)]  # type: ignore[misc,arg-type]

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the assistant's loop to its end."""
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        """Shut the assistant down and close its loop."""
        self.run(self.assistant.close())
        self.loop.close()
