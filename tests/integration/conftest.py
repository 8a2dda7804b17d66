"""Fixtures shared by the tests that run the real speech and embedding models."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.memory.embedding import EmbeddingModel
from engine.registry.registry import ModelProvider
from engine.stages.options import EmbedderOptions, STTOptions
from engine.stages.stt.faster_whisper import WhisperRecognizer
from engine.stages.stt.faster_whisper import load_model as load_whisper
from engine.stages.vad.silero import SileroVAD

Installed = Callable[[str], ModelProvider]


@pytest.fixture(scope="module")
def vad(installed: Installed) -> SileroVAD:
    """The real Silero VAD."""
    model = installed("silero-vad-v6").load()
    assert isinstance(model, SileroVAD)
    return model


@pytest.fixture(scope="module")
def base(installed: Installed) -> WhisperRecognizer:
    """Whisper base on the CPU, loaded directly: these options, whatever loaded the model before."""
    return load_whisper(installed("faster-whisper-base"), STTOptions(threads=2, device="cpu"))


@pytest.fixture(scope="session")
def e5(installed: Installed) -> EmbeddingModel:
    """multilingual-e5-small (the default embedder), loaded once for every memory test."""
    model = installed("multilingual-e5-small-q4").load(EmbedderOptions())
    assert isinstance(model, EmbeddingModel)
    return model
