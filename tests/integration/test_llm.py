"""The llama.cpp backend with the real Qwen2.5-Coder GGUF models (0.5B lightweight, 1.5B primary)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator

import pytest

from app.paths import RESOURCES_DIR
from engine.errors import StageError
from engine.pipeline.context import fit_messages
from engine.pipeline.prompt import PromptBuilder
from engine.pipeline.splitter import SentenceSplitter
from engine.registry.registry import ModelProvider
from engine.stages.base import ChatMessage, EmotionResult, LanguageModel, SamplingParams
from engine.stages.llm.llama_cpp import LlamaChatModel, load_model
from engine.stages.options import LLMOptions

pytestmark = pytest.mark.models

LIGHT = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
PRIMARY = "qwen2.5-coder-1.5b-instruct-q4_k_m-v1.0"
OPTIONS = LLMOptions(threads=2, context_length=2048, n_gpu_layers=-1)
SYSTEM = ChatMessage("system", "You are a helpful assistant.")
GREEDY = SamplingParams(temperature=0.0, max_tokens=32)


@pytest.fixture(scope="module")
def model(installed: Callable[[str], ModelProvider]) -> Iterator[LlamaChatModel]:
    # our own instance (not provider.load's shared one): these options, closed at the end
    llm = load_model(installed(LIGHT), OPTIONS)
    yield llm
    llm.close()


def ask(text: str) -> list[ChatMessage]:
    return [SYSTEM, ChatMessage("user", text)]


def test_is_a_language_model(model: LlamaChatModel) -> None:
    assert isinstance(model, LanguageModel)
    assert model.model_id == LIGHT
    assert model.context_length == 2048  # the option, below the manifest's 32768


def test_streams_an_english_answer(model: LlamaChatModel) -> None:
    pieces = list(model.stream_chat(ask("What is the capital of France? Answer in one short sentence."), GREEDY))
    assert len(pieces) >= 3
    assert all(pieces)
    assert "Paris" in "".join(pieces)


def test_answers_in_russian(model: LlamaChatModel) -> None:
    question = "Какая столица Франции? Ответь одним коротким предложением."
    reply = "".join(model.stream_chat(ask(question), GREEDY))
    assert re.search(r"[а-яё]", reply, re.IGNORECASE), reply


def test_cancel_stops_the_stream(model: LlamaChatModel) -> None:
    messages = ask("Count from 1 to 40, separated by commas.")
    params = SamplingParams(temperature=0.0, max_tokens=24)
    full = list(model.stream_chat(messages, params))
    cancel = threading.Event()
    cancelled = []
    for piece in model.stream_chat(messages, params, cancel):
        cancelled.append(piece)
        cancel.set()
    assert len(full) > 10
    assert 1 <= len(cancelled) < len(full)
    # the model is usable again right after a cancelled stream
    assert list(model.stream_chat(messages, SamplingParams(temperature=0.0, max_tokens=4)))


def test_cancel_before_start_yields_nothing(model: LlamaChatModel) -> None:
    cancel = threading.Event()
    cancel.set()
    assert list(model.stream_chat(ask("Hello"), GREEDY, cancel)) == []


def test_json_schema_output_parses(model: LlamaChatModel) -> None:
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    }
    params = SamplingParams(temperature=0.0, max_tokens=48, json_schema=schema)
    reply = "".join(model.stream_chat(ask("Name the capital of France as JSON."), params))
    data = json.loads(reply)
    assert isinstance(data, dict)
    assert isinstance(data["city"], str) and isinstance(data["country"], str)


def test_count_tokens(model: LlamaChatModel) -> None:
    short = model.count_tokens("Hello")
    assert short > 0
    assert model.count_tokens("Hello, how are you doing today, my friend?") > short
    assert model.count_tokens("<|im_start|>") == 1  # special tokens are parsed, not spelled out
    assert model.count_tokens("") == 0


def test_built_prompt_through_the_splitter(model: LlamaChatModel) -> None:
    builder = PromptBuilder.from_resources("default", RESOURCES_DIR)
    prompt = builder.build(
        (ChatMessage("user", "Hi!"), ChatMessage("assistant", "Hello! How can I help you?")),
        "What is the capital of France?",
        emotion=EmotionResult("joy", valence=0.6, arousal=0.4, confidence=0.7, source="text"),
        language="en",
        memory_summary="The user is planning a trip to Europe.",
    )
    params = SamplingParams(temperature=0.0, max_tokens=48)
    fitted = fit_messages(prompt.messages, model.count_tokens, model.context_length - params.max_tokens)
    assert fitted.messages == prompt.messages and not fitted.truncated  # a short prompt fits whole
    splitter = SentenceSplitter()
    sentences: list[str] = []
    for piece in model.stream_chat(prompt.messages, params):
        sentences += splitter.push(piece)
    tail = splitter.flush()
    sentences += [tail] if tail else []
    assert sentences, "no sentence came out"
    assert any(s.rstrip('"”»)').endswith((".", "!", "?", "…")) for s in sentences), sentences
    assert "Paris" in " ".join(sentences)


def test_closed_model_refuses_to_work(installed: Callable[[str], ModelProvider]) -> None:
    llm = load_model(installed(LIGHT), LLMOptions(threads=2, context_length=512))
    assert llm.count_tokens("Hi") > 0
    llm.close()
    with pytest.raises(StageError, match="unloaded"):
        llm.count_tokens("Hi")
    llm.close()  # closing twice is harmless


def test_primary_answers(installed: Callable[[str], ModelProvider]) -> None:
    llm = load_model(installed(PRIMARY), OPTIONS)
    try:
        question = ask("What is the capital of Japan? Answer in one short sentence.")
        reply = "".join(llm.stream_chat(question, SamplingParams(temperature=0.0, max_tokens=16)))
    finally:
        llm.close()
    assert "Tokyo" in reply, reply
