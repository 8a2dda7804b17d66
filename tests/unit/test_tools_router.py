"""The router: which turns need a tool, by the built-in tools' triggers (pure; a table)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.memory.types import MemoryHit, MemoryItem, MemoryKind
from engine.tools.base import ToolSpec
from engine.tools.builtin import builtin_tools
from engine.tools.builtin.memory_tools import memory_tools
from engine.tools.router import Route, Router, normalise, route, rules_for


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Router:
    tools = builtin_tools(Path(tmp_path_factory.mktemp("tools")), ZoneInfo("UTC"))
    return Router([t.spec for t in tools])


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Который час?", "current_time"),
        ("сколько сейчас времени", "current_time"),
        ("какое сегодня число", "current_time"),
        ("What time is it?", "current_time"),
        ("whats the time", "current_time"),
        ("what day is it today", "current_time"),
        ("напомни завтра в 9 позвонить маме", "reminder_add"),
        ("поставь таймер на пять минут", "reminder_add"),
        ("remind me in two hours to stretch", "reminder_add"),
        ("set a timer for 10 minutes", "reminder_add"),
        ("какие у меня напоминания", "reminders_list"),
        ("what are my reminders", "reminders_list"),
        ("сколько километров в 5 милях", "convert_units"),
        ("convert 5 miles to km", "convert_units"),
        ("60 mph in km/h", "convert_units"),
        ("Сколько будет 12345 умножить на 6789?", "calculator"),
        ("двенадцать тысяч триста сорок пять умножить на шесть тысяч", "calculator"),
        ("12345 × 6789", "calculator"),
        ("сколько будет 15% от 80", "calculator"),
        ("запиши купить молоко", "note_add"),
        ("take a note buy milk", "note_add"),
        ("прочитай мои заметки", "notes_list"),
        ("read me my notes", "notes_list"),
    ],
)
def test_tool_turns_are_routed(router: Router, text: str, first: str) -> None:
    decision, ms = router.decide(text)
    assert decision.needed and decision.tools[0] == first, decision
    assert ms >= 0.0


@pytest.mark.parametrize(
    "text",
    [
        "Привет, как дела?",
        "сколько времени займёт дорога до москвы",
        "Какие плюсы и минусы у Python?",
        "я сплю восемь часов в день это нормально",
        "What is the time complexity of quicksort?",
        "can you explain how a timer interrupt works",
        "I ran five miles this morning",
        "my two kids are three and five years old",
        "",
        "   ",
    ],
)
def test_chat_turns_are_not_routed(router: Router, text: str) -> None:
    assert router.decide(text)[0] == Route(())


def test_mcp_tools_without_triggers_answer_to_their_server_name() -> None:
    spec = ToolSpec(name="search_issues", description={"en": "search"}, source="mcp:github")
    rules = rules_for([spec])
    assert route("ask github about open bugs", rules).tools == ("search_issues",)
    assert route("search issues about the crash", rules).tools == ("search_issues",)
    assert not route("how are you", rules).needed


def test_triggers_see_number_words_as_digits() -> None:
    assert normalise("Двенадцать умножить на ДВА") == "12 умножить на 2"
    assert normalise("ёлка") == "елка"


class _NoMemory:
    """The memory tools' backend, never called here: routing needs only their specs."""

    def search(self, query: str, k: int | None = None, *, gated: bool = True) -> list[MemoryHit]:
        raise AssertionError("routing must not search memory")

    def items(self, *, kind: MemoryKind | None = None, include_superseded: bool = True) -> list[MemoryItem]:
        raise AssertionError("routing must not read memory")

    def forget(self, memory_id: int) -> bool:
        raise AssertionError("routing must not forget")


@pytest.fixture(scope="module")
def with_memory(tmp_path_factory: pytest.TempPathFactory) -> Router:
    tools = [
        *builtin_tools(Path(tmp_path_factory.mktemp("tools-mem")), ZoneInfo("UTC")),
        *memory_tools(_NoMemory(), list),
    ]
    return Router([t.spec for t in tools])


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Что ты помнишь обо мне?", "memory_search"),
        ("что ты знаешь о моей сестре", "memory_search"),
        ("what do you remember about my job", "memory_search"),
        ("What do you know about me?", "memory_search"),
        ("забудь это", "memory_forget"),
        ("Забудь, как зовут мою сестру", "memory_forget"),
        ("forget that", "memory_forget"),
        ("forget what I just said", "memory_forget"),
        ("forget my address please", "memory_forget"),
        # the built-ins keep their turns
        ("Который час?", "current_time"),
        ("запиши купить молоко", "note_add"),
    ],
)
def test_memory_turns_are_routed(with_memory: Router, text: str, first: str) -> None:
    decision, _ = with_memory.decide(text)
    assert decision.needed and decision.tools[0] == first, decision


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my keys",
        "I always forget my password, any tips?",
        "don't forget to buy bread",
        "я забыл ключи дома",
        "что ты знаешь о чёрных дырах",
        "what do you know about black holes",
        "do you remember what we talked about",
        "Привет, как дела?",
        "What is the time complexity of quicksort?",
    ],
)
def test_memory_look_alikes_are_not_routed(with_memory: Router, text: str) -> None:
    assert with_memory.decide(text)[0] == Route(())


def test_dont_forget_is_never_a_forget(with_memory: Router) -> None:
    # "не забудь купить хлеб" asks to be reminded: whatever else it routes to, it never erases memory
    for text in ("не забудь купить хлеб", "Не забудьте выключить свет", "please don't forget my birthday"):
        assert "memory_forget" not in with_memory.decide(text)[0].tools, text
