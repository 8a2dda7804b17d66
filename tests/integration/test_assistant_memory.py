"""Long-term memory through the real assistant: told in one conversation, recalled in a new one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.audio.sinks import WavFileSink
from engine.events import MemoryUpdated
from engine.memory.unknown import DONT_KNOW
from tests.conftest import FAST_LLM, AssistantEnv, make_config

pytestmark = [pytest.mark.models, pytest.mark.slow]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantEnv]:
    e = AssistantEnv(tmp_path_factory.mktemp("sova-memory"), make_config(FAST_LLM))
    yield e
    e.close()


def ask(env: AssistantEnv, text: str, language: str, tmp: str) -> object:
    sink = WavFileSink(env.assistant.data_dir / f"{tmp}.wav")
    try:
        return env.run(env.assistant.ask_text(text, sink, language=language))
    finally:
        sink.close()


def test_a_fact_told_in_one_conversation_is_recalled_in_the_next(env: AssistantEnv) -> None:
    assistant = env.assistant
    assert assistant.memory is not None, assistant.memory_problem
    ask(env, "My sister's name is Olga and she lives in Kazan.", "en", "tell")
    env.run(assistant.flush_memory())
    stored = assistant.memory.items()
    assert any("olga" in m.text.lower() for m in stored), [m.text for m in stored]
    assert any(isinstance(e, MemoryUpdated) and e.added for e in env.events)

    assistant.new_conversation()
    result = ask(env, "What is my sister's name?", "en", "ask-en")
    assert result.memories, "recall put nothing into the prompt"  # type: ignore[attr-defined]
    assert "olga" in result.reply_text.lower()  # type: ignore[attr-defined]
    assert "recall_ms" in result.timings_ms  # type: ignore[attr-defined]

    # across the languages: a Russian question finds the fact told in English
    assistant.new_conversation()
    result = ask(env, "Как зовут мою сестру?", "ru", "ask-ru")
    assert result.memories  # type: ignore[attr-defined]
    texts = [assistant.memory.store.get(i).text for i in result.memories]  # type: ignore[attr-defined,union-attr]
    assert any("olga" in t.lower() for t in texts), texts


def test_forget_is_honoured_by_recall(env: AssistantEnv) -> None:
    assistant = env.assistant
    assert assistant.memory is not None
    for item in assistant.memory.items():
        assistant.memory.forget(item.id)
    assistant.new_conversation()
    result = ask(env, "What is my sister's name?", "en", "after-forget")
    assert not result.memories  # type: ignore[attr-defined]
    # nothing stored answers a question about the user: the fixed "I don't know", spoken, and no model ran
    assert result.reply_text == DONT_KNOW["en"]  # type: ignore[attr-defined]
    assert result.spoken_text == DONT_KNOW["en"] and "llm" not in result.models  # type: ignore[attr-defined]
    assert result.template_version == "fixed"  # type: ignore[attr-defined]
    assert assistant.history.messages()[-1].content == DONT_KNOW["en"]


def test_a_fact_said_in_this_conversation_is_answered_by_the_model(env: AssistantEnv) -> None:
    assistant = env.assistant
    assert assistant.memory is not None
    assistant.new_conversation()
    ask(env, "My brother is called Ivan.", "en", "tell-brother")
    # asked at once, before the memory write may have run: the conversation itself can answer
    result = ask(env, "What is my brother's name?", "en", "ask-brother")
    assert "llm" in result.models  # type: ignore[attr-defined]
    assert result.reply_text != DONT_KNOW["en"]  # type: ignore[attr-defined]
