"""The MoE as planner: gpt-oss's function calling ("harmony") in, the internal plan JSON out (tables).

The model is scripted with completions written the way gpt-oss answers (its special tokens kept, or
dropped the way a detokenizer without special tokens returns them); the real gpt-oss is an optional
download that is not installed here.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.events import ToolPlanResult
from engine.pipeline.moe_planner import moe_writer
from engine.scheduler.moe import MoE, ToolPlan
from engine.scheduler.moe import _messages as moe_prompt
from engine.stages.base import ChatMessage
from engine.tools.builtin import builtin_tools
from engine.tools.moe_plan import functions_namespace, moe_messages, plan_from_harmony, ts_type
from engine.tools.planner import PlannedCall, Planner
from engine.tools.registry import ToolRegistry
from engine.tools.router import Route

ANALYSIS = "<|channel|>analysis<|message|>The user wants a product. Use the calculator.<|end|>"
ONE_CALL = (
    ANALYSIS + "<|start|>assistant<|channel|>commentary to=functions.calculator <|constrain|>json"
    '<|message|>{"expression":"12345 * 6789"}<|call|>'
)
TWO_CALLS = (
    ANALYSIS + "<|start|>assistant to=functions.current_time<|channel|>commentary json<|message|>{}<|call|>"
    "<|start|>assistant<|channel|>commentary to=functions.reminder_add <|constrain|>json<|message|>"
    '{"text": "позвонить маме", "when": "через 10 минут"}<|call|>'
)
# the same call as llama.cpp returns it when it leaves the special tokens out of the text
STRIPPED = (
    "analysisThe user wants a product. Use the calculator.assistantcommentary to=functions.calculator "
    'json{"expression":"12345 * 6789"}'
)
GARBAGE = "analysisNo function fits.assistantfinalIt is a lovely day."
BROKEN_JSON = "<|start|>assistant<|channel|>commentary to=functions.calculator json<|message|>{expression: 2*3<|call|>"
NOT_ALLOWED = '<|channel|>commentary to=functions.rm_rf json<|message|>{"path": "/"}<|call|>'


class ScriptedMoE:
    """`MoE.handle` answering every tool plan with one fixed completion; keeps the triggers it got."""

    def __init__(self, completion: str, native_format: str | None = "harmony") -> None:
        self.completion = completion
        self.native_format = native_format
        self.asked: list[ToolPlan] = []

    async def handle(self, trigger: ToolPlan) -> ToolPlanResult:
        self.asked.append(trigger)
        return ToolPlanResult(self.completion, self.native_format, "gpt-oss-scripted", 1.0)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ToolRegistry:
    return ToolRegistry(builtin_tools(Path(tmp_path_factory.mktemp("moe-plan")), ZoneInfo("UTC")))


ALL = ("current_time", "reminder_add", "calculator", "note_add")


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (ONE_CALL, [("calculator", {"expression": "12345 * 6789"})]),
        (TWO_CALLS, [("current_time", {}), ("reminder_add", {"text": "позвонить маме", "when": "через 10 минут"})]),
        (STRIPPED, [("calculator", {"expression": "12345 * 6789"})]),
        (GARBAGE, []),
        (BROKEN_JSON, []),
        (NOT_ALLOWED, []),
        ("", []),
    ],
)
def test_harmony_completions_become_plans(completion: str, expected: list[tuple[str, dict[str, object]]]) -> None:
    plan = plan_from_harmony(completion, ALL)
    assert [(c.tool, c.args) for c in plan.calls] == expected
    assert plan.source == ("model" if expected else "none")


def test_the_plan_keeps_at_most_the_allowed_calls() -> None:
    assert len(plan_from_harmony(TWO_CALLS, ALL, limit=1).calls) == 1


@pytest.mark.parametrize(
    ("schema", "ts"),
    [
        ({"type": "string"}, "string"),
        ({"type": "integer"}, "number"),
        ({"type": "array", "items": {"type": "number"}}, "number[]"),
        ({"enum": ["C", "F"]}, '"C" | "F"'),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "string | null"),
        ({"type": ["string", "boolean"]}, "string | boolean"),
        ({"type": "object"}, "{}"),
        (
            {"type": "object", "properties": {"q": {"type": "string", "description": "what", "default": ""}}},
            '{\n// what\nq?: string, // default: ""\n}',
        ),
        ("nonsense", "any"),
    ],
)
def test_json_schema_types_in_gpt_oss_form(schema: object, ts: str) -> None:
    assert ts_type(schema) == ts


def test_the_tools_are_declared_as_gpt_oss_expects(registry: ToolRegistry) -> None:
    text = functions_namespace(registry, ["current_time", "calculator", "missing"])
    assert text.startswith("# Tools\n\n## functions\n\nnamespace functions {\n")
    assert text.endswith("} // namespace functions")
    assert "type current_time = () => any;" in text
    assert "type calculator = (_: {\n// the user's numbers" in text and "expression: string,\n}) => any;" in text
    assert "missing" not in text


def planner_on(moe: ScriptedMoE, registry: ToolRegistry) -> Planner:
    return Planner(registry, writer=moe_writer(moe, registry))  # type: ignore[arg-type]


def test_the_planner_plans_through_the_moe(registry: ToolRegistry) -> None:
    moe = ScriptedMoE(ONE_CALL)
    route = Route(("calculator", "convert_units"))
    plan = asyncio.run(planner_on(moe, registry).from_writer("Сколько будет 12345 умножить на 6789?", route, "ru"))
    assert plan.calls == (PlannedCall("calculator", {"expression": "12345 * 6789"}),) and plan.source == "model"
    (trigger,) = moe.asked
    assert trigger.question == "Сколько будет 12345 умножить на 6789?"
    assert [m.role for m in trigger.native] == ["system", "user"] and trigger.native[1].content == trigger.question
    developer = trigger.native[0].content
    assert "namespace functions {" in developer and "type convert_units = (_: {" in developer
    assert "type note_add" not in developer  # only the router's candidates
    # the JSON form is there too, for a stand-in that cannot speak harmony
    assert trigger.schema == registry.plan_schema(["calculator", "convert_units"])
    assert "calculator(" in trigger.messages[0].content


def test_a_stand_in_answers_with_the_json_plan(registry: ToolRegistry) -> None:
    moe = ScriptedMoE(json.dumps({"calls": [{"tool": "calculator", "args": {"expression": "2 * 3"}}]}), None)
    plan = asyncio.run(planner_on(moe, registry).from_writer("two times three", Route(("calculator",)), "en"))
    assert plan.calls == (PlannedCall("calculator", {"expression": "2 * 3"}),)


def test_a_moe_answer_without_a_call_is_an_empty_plan(registry: ToolRegistry) -> None:
    plan = asyncio.run(planner_on(ScriptedMoE(GARBAGE), registry).from_writer("hi", Route(("calculator",)), "en"))
    assert plan.calls == () and plan.source == "none"
    silent = ScriptedMoE(ONE_CALL)
    assert asyncio.run(planner_on(silent, registry).from_writer("hi", Route(()), "en")).calls == ()
    assert silent.asked == []  # no candidate tool: the model is not run


def test_the_writer_plan_is_cut_to_max_calls(registry: ToolRegistry) -> None:
    planner = Planner(registry, writer=moe_writer(ScriptedMoE(TWO_CALLS), registry), max_calls=1)  # type: ignore[arg-type]
    plan = asyncio.run(planner.from_writer("x", Route(("current_time", "reminder_add")), "ru"))
    assert [c.tool for c in plan.calls] == ["current_time"]


@pytest.mark.parametrize(
    ("native", "reasoning", "expect_schema", "expect_system_end"),
    [
        (True, "low", False, "namespace functions\nReasoning: low"),
        (False, "low", True, "exactly; never compute a result yourself.\nReasoning: low"),
        (False, None, True, "exactly; never compute a result yourself."),
    ],
)
def test_the_moe_asks_in_the_format_its_manifest_names(
    registry: ToolRegistry, native: bool, reasoning: str | None, expect_schema: bool, expect_system_end: str
) -> None:
    request = Planner(registry).request("what time is it", Route(("current_time",)), "en")
    trigger = ToolPlan(
        request.question, request.messages, request.schema, tuple(moe_messages("x", registry, ["current_time"]))
    )
    messages, schema = moe_prompt(trigger, reasoning, native)
    assert (schema is not None) == expect_schema
    assert messages[0].content.endswith(expect_system_end)


@pytest.mark.parametrize(
    ("metadata", "native", "expected"),
    [({"planner_format": "harmony"}, True, "harmony"), ({}, True, None), ({"planner_format": "harmony"}, False, None)],
)
def test_the_native_format_comes_from_the_manifest(
    metadata: dict[str, str], native: bool, expected: str | None
) -> None:
    msgs = (ChatMessage("system", "s"), ChatMessage("user", "u"))
    trigger = ToolPlan("u", msgs, {}, msgs if native else ())
    assert MoE._native_format(trigger, metadata) == expected
