"""Shared fixtures: the real registry over the repo's manifests and installed default models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
