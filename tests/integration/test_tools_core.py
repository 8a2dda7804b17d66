"""The tool layer with the real lightweight model: the JSON-schema plan, and exact answers end to end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from engine.cancel import CancelToken
from engine.registry.registry import ModelProvider
from engine.stages.base import SpokenLanguage
from engine.stages.llm.llama_cpp import LlamaChatModel, load_model
from engine.stages.options import LLMOptions
from engine.tools.base import ToolContext
from engine.tools.builtin import builtin_tools
from engine.tools.builtin.clock import ClockTool
from engine.tools.builtin.safe_eval import evaluate, format_number
from engine.tools.planner import Planner, model_generate
from engine.tools.registry import ToolRegistry
from engine.tools.router import Router
from engine.tools.runner import ToolRunner
from engine.tools.timeparse import parse_when

pytestmark = pytest.mark.models

LIGHT = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=ZONE)
T = TypeVar("T")


@pytest.fixture(scope="module")
def light(installed: Callable[[str], ModelProvider]) -> Iterator[LlamaChatModel]:
    model = load_model(installed(LIGHT), LLMOptions(threads=2, context_length=2048))
    yield model
    model.close()


@pytest.fixture
def tools(tmp_path: Path) -> ToolRegistry:
    return ToolRegistry(builtin_tools(tmp_path, ZONE))


async def _inline(fn: Callable[[], T]) -> T:
    return await asyncio.to_thread(fn)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "language", "tool"),
    [
        ("Сколько будет 12345 умножить на 6789?", "ru", "calculator"),
        ("What is 987 times 654?", "en", "calculator"),
        ("Напомни мне через 10 минут выключить плиту", "ru", "reminder_add"),
        ("Сколько километров в 5 милях?", "ru", "convert_units"),
    ],
)
def test_the_model_alone_writes_a_valid_plan(
    light: LlamaChatModel, tools: ToolRegistry, text: str, language: SpokenLanguage, tool: str
) -> None:
    # prefer_rules=False: the model writes every argument, under the registry's JSON-schema grammar
    planner = Planner(tools, model_generate(light), prefer_rules=False)
    route = Router(tools.specs()).decide(text)[0]
    plan = planner.from_model(text, route, language, CancelToken())
    assert plan.source == "model" and plan.calls, plan
    call = plan.calls[0]
    assert call.tool == tool, plan
    record, _ = asyncio.run(tools.call(call.tool, call.args, ToolContext(language, NOW)))
    assert record.ok, record
    if "12345" in text:
        assert format_number(evaluate(call.args["expression"])) == "83810205"
    if tool == "reminder_add":
        due = parse_when(call.args["when"], NOW)
        assert due is not None and abs((due - NOW - timedelta(minutes=10)).total_seconds()) <= 60


def test_the_runner_answers_the_sum_exactly(light: LlamaChatModel, tools: ToolRegistry) -> None:
    planner = Planner(tools, model_generate(light))
    runner = ToolRunner(tools, Router(tools.specs()), planner, _inline, zone=ZONE)
    out = asyncio.run(runner.run("Сколько будет 12345 умножить на 6789?", "ru", CancelToken()))
    assert [(c.name, c.args, c.ok) for c in out.calls] == [("calculator", {"expression": "12345 * 6789"}, True)]
    assert "83810205" in out.transcript
    chat = asyncio.run(runner.run("Расскажи анекдот про программистов", "ru", CancelToken()))
    assert chat.calls == () and not chat.needed


def test_what_time_is_it_is_right_to_the_minute() -> None:
    zone = ZoneInfo("Asia/Tokyo")
    before = datetime.now(zone)
    result = asyncio.run(ClockTool(zone).call(ClockTool(zone).spec.args(), ToolContext("en", datetime.now(zone))))
    after = datetime.now(zone)
    shown = {f"{t.hour:02d}:{t.minute:02d}" for t in (before, after)}
    assert result.ok and any(f"It is now {hm}," in result.text for hm in shown), result.text
    assert "Asia/Tokyo UTC+09:00" in result.text
