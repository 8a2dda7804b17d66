"""The tool scenario set with the default planner (exact rules, then the lightweight model): the targets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from engine.registry.registry import ModelProvider
from engine.stages.llm.llama_cpp import LlamaChatModel, load_model
from engine.stages.options import LLMOptions
from engine.tools.evaluate import args_match, load_scenarios, run
from engine.tools.planner import model_generate

pytestmark = pytest.mark.models

LIGHT = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"


@pytest.fixture(scope="module")
def light(installed: Callable[[str], ModelProvider]) -> Iterator[LlamaChatModel]:
    model = load_model(installed(LIGHT), LLMOptions(threads=2, context_length=2048))
    yield model
    model.close()


def test_the_scenario_set_is_big_enough_and_mixed() -> None:
    scenarios = load_scenarios()
    tools = [s for s in scenarios if s.tool]
    none = [s for s in scenarios if not s.tool]
    assert len(tools) >= 40 and len(none) >= 20
    for group in (tools, none):
        assert {s.language for s in group} == {"ru", "en"} and {s.form for s in group} == {"typed", "spoken"}
    assert load_scenarios(reduced=True) and all(s.reduced for s in load_scenarios(reduced=True))


@pytest.mark.slow
def test_default_planner_meets_the_targets(light: LlamaChatModel) -> None:
    score = asyncio.run(run(load_scenarios(), model_generate(light)))
    figures = score.as_json()
    assert figures["right_tool_right_args"] >= 0.9, figures["failures"]
    assert figures["false_tool"] <= 0.05, figures["failures"]


def test_the_tolerance_rules_reject_wrong_arguments() -> None:
    by_tool = {s.tool: s for s in load_scenarios() if s.tool}
    calc, units, reminder = by_tool["calculator"], by_tool["convert_units"], by_tool["reminder_add"]
    assert args_match(calc, {"expression": str(calc.expect["args"]["expression"])}) is None
    assert args_match(calc, {"expression": "1 + 1"}) is not None
    assert args_match(units, {**units.expect["args"], "value": 6}) is not None
    assert args_match(reminder, {"text": "x", "when": "через 3 дня"}) is not None
