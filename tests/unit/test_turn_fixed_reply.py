"""The fixed "I don't know" in the turn, with scripted fakes (milliseconds); the real models' path is in
tests/integration/test_assistant_memory.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.events import SentenceSpoken, TurnFinished
from engine.memory.types import Exchange, Recall
from engine.memory.unknown import DONT_KNOW, asks_personal_fact
from engine.pipeline.remember import MemoryStep
from tests.conftest import make_config
from tests.harness.engine import Harness
from tests.harness.fakes import RecordingSink, ScriptedLLM

SCRIPT = ["Her name ", "is Anna."]


class EmptyMemory:
    """A memory with nothing stored: every recall is empty, and says whether the question was personal."""

    def recall(self, question: str, language: str) -> Recall:
        return Recall((), "", unknown=asks_personal_fact(question))

    def remember(self, exchange: Exchange) -> object:
        return None


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made: list[Harness] = []

    def build(**overrides: Any) -> Harness:
        h = Harness(tmp_path / f"h{len(made)}", make_config(overrides), llm=ScriptedLLM(SCRIPT))
        made.append(h)
        a = h.assistant

        async def install() -> None:
            a._runner.memory = MemoryStep(EmptyMemory(), None, a.scheduler, a.lanes, a.bus.publish)  # type: ignore[union-attr]

        h.run(install())
        return h

    yield build
    for h in made:
        h.close()


def test_a_personal_question_with_nothing_stored_gets_the_fixed_reply(make: Any) -> None:
    h = make()
    result = h.run(h.assistant.ask_text("Как зовут мою маму?", RecordingSink(), language="ru"))
    assert result.reply_text == DONT_KNOW["ru"] and result.spoken_text == DONT_KNOW["ru"]
    assert h.llm.calls == 0 and "llm" not in result.models
    assert "llm_first_token_ms" not in result.timings_ms and result.external is None
    assert [e.text for e in h.of(SentenceSpoken)]  # spoken like any reply
    assert h.assistant.history.messages()[-1].content == DONT_KNOW["ru"]


def test_other_questions_and_the_switch_leave_it_to_the_model(make: Any) -> None:
    h = make()
    result = h.run(h.assistant.ask_text("What should I cook for my mother?", RecordingSink(), language="en"))
    assert result.reply_text == "".join(SCRIPT) and h.llm.calls == 1
    off = make(memory={"fixed_unknown_reply": False})
    result = off.run(off.assistant.ask_text("What is my mother's name?", RecordingSink(), language="en"))
    assert result.reply_text == "".join(SCRIPT) and off.llm.calls == 1


def test_what_this_conversation_said_is_left_to_the_model(make: Any) -> None:
    h = make()
    h.run(h.assistant.ask_text("My mother is called Anna.", RecordingSink(), language="en"))
    result = h.run(h.assistant.ask_text("What is my mother's name?", RecordingSink(), language="en"))
    assert h.llm.calls == 2 and result.models.get("llm") == "scripted-llm"
    h.assistant.new_conversation()  # a new conversation: only memory could know, and it does not
    result = h.run(h.assistant.ask_text("What is my mother's name?", RecordingSink(), language="en"))
    assert result.reply_text == DONT_KNOW["en"] and h.llm.calls == 2
    assert len(h.of(TurnFinished)) == 3
