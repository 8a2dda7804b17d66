"""The registry: the plan schema, argument validation before a call, failures as results; the plan parsers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict

from engine.tools.base import ToolContext, ToolResult, ToolSpec
from engine.tools.builtin import builtin_tools
from engine.tools.harmony import harmony_to_plan
from engine.tools.planner import EMPTY_PLAN, Plan, PlannedCall, plan_from_json
from engine.tools.registry import ToolRegistry, inline_schema

CTX = ToolContext("en", datetime(2026, 11, 29, 10, 0, tzinfo=UTC))


class _EchoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int


class _Tool:
    def __init__(self, name: str, behaviour: str = "ok", json_schema: dict[str, Any] | None = None) -> None:
        self.spec = ToolSpec(name=name, description={"en": name}, args=_EchoArgs, json_schema=json_schema)
        self.behaviour = behaviour

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        if self.behaviour == "raise":
            raise RuntimeError("boom")
        if self.behaviour == "hang":
            await asyncio.sleep(30)
        assert isinstance(args, _EchoArgs)
        return ToolResult(True, f"n={args.n}")


@pytest.fixture
def registry(tmp_path: Path) -> ToolRegistry:
    return ToolRegistry(builtin_tools(tmp_path, ZoneInfo("UTC")))


def test_plan_schema_binds_each_tool_to_its_args(registry: ToolRegistry) -> None:
    schema = registry.plan_schema()
    branches = schema["properties"]["calls"]["items"]["anyOf"]
    assert [b["properties"]["tool"]["const"] for b in branches] == list(registry.names)
    good = {"calls": [{"tool": "calculator", "args": {"expression": "2 * 3"}}]}
    jsonschema.validate(good, schema)
    jsonschema.validate({"calls": []}, schema)  # the "no tool" plan
    for bad in (
        {"calls": [{"tool": "calculator", "args": {"text": "x"}}]},  # another tool's arguments
        {"calls": [{"tool": "nope", "args": {}}]},
        {"calls": [{"tool": "current_time", "args": {}}] * 4},  # over max_calls
        {},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    assert "$ref" not in str(schema) and "$defs" not in str(schema)


def test_plan_schema_over_a_subset_and_over_nothing(registry: ToolRegistry) -> None:
    sub = registry.plan_schema(["calculator", "unknown"])
    assert len(sub["properties"]["calls"]["items"]["anyOf"]) == 1
    none = ToolRegistry().plan_schema()
    jsonschema.validate({"calls": []}, none)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"calls": [{"tool": "x", "args": {}}]}, none)


def test_inline_schema_keeps_a_property_named_title() -> None:
    schema = {"properties": {"title": {"type": "string", "title": "Title"}, "p": {"$ref": "#/$defs/P"}},
              "$defs": {"P": {"type": "integer", "title": "P"}}, "title": "Args"}  # fmt: skip
    assert inline_schema(schema) == {"properties": {"title": {"type": "string"}, "p": {"type": "integer"}}}


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("missing", {}, "no tool named"),
        ("echo", {"n": "abc"}, "invalid arguments for echo: n"),
        ("echo", {"n": 1, "extra": 2}, "invalid arguments"),
        ("echo", ["n"], "must be an object"),
        ("boom", {"n": 1}, "boom failed: RuntimeError: boom"),
        ("hang", {"n": 1}, "did not answer within 0.05 s"),
        ("schema", {"n": -1}, "invalid arguments for schema: n: -1 is less than the minimum of 0"),
    ],
)
def test_call_failures_are_results(name: str, raw: Any, reason: str) -> None:
    reg = ToolRegistry(
        [_Tool("echo"), _Tool("boom", "raise"), _Tool("hang", "hang"),
         _Tool("schema", json_schema={"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}})],
        timeout_s=0.05,
    )  # fmt: skip
    record, result = asyncio.run(reg.call(name, raw, CTX))
    assert not record.ok and not result.ok
    assert reason in record.result and reason in result.text


def test_call_runs_a_valid_call_and_refuses_a_duplicate_name() -> None:
    reg = ToolRegistry([_Tool("echo")])
    record, result = asyncio.run(reg.call("echo", {"n": 3}, CTX))
    assert record.ok and record.result == "n=3" and record.args == {"n": 3} and result.text == "n=3"
    with pytest.raises(ValueError, match="already registered"):
        reg.register(_Tool("echo"))


@pytest.mark.parametrize(
    ("text", "plan"),
    [
        ('{"calls": [{"tool": "calculator", "args": {"expression": "2*3"}}]}',
         Plan((PlannedCall("calculator", {"expression": "2*3"}),), "model")),
        ('{"calls": []}', EMPTY_PLAN),
        ('{"calls": [{"tool": "rm_rf", "args": {}}]}', EMPTY_PLAN),
        ("not json", EMPTY_PLAN),
        ('{"calls": "x"}', EMPTY_PLAN),
        ("[1]", EMPTY_PLAN),
    ],
)  # fmt: skip
def test_plan_from_json(text: str, plan: Plan) -> None:
    assert plan_from_json(text, ["calculator"]) == plan


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        (
            "<|start|>assistant<|channel|>commentary to=functions.calculator <|constrain|>json<|message|>"
            '{"expression": "12345 * 6789"}<|call|>',
            (PlannedCall("calculator", {"expression": "12345 * 6789"}),),
        ),
        (
            "<|start|>assistant to=functions.current_time<|channel|>commentary json<|message|>{}<|call|>"
            "<|start|>assistant<|channel|>commentary to=functions.reminder_add<|message|>"
            '{"text": "call mom", "when": "in 10 minutes"}<|call|>',
            (
                PlannedCall("current_time", {}),
                PlannedCall("reminder_add", {"text": "call mom", "when": "in 10 minutes"}),
            ),
        ),
        ("<|start|>assistant<|channel|>final<|message|>It is noon.<|end|>", ()),
        ("<|channel|>commentary to=functions.calculator<|message|>{not json}<|call|>", ()),
        ("<|channel|>commentary to=functions.calculator<|message|>[1, 2]<|call|>", ()),
        ("<|channel|>commentary to=functions.evil<|message|>{}<|call|>", ()),
    ],
)
def test_harmony_to_plan(text: str, calls: tuple[PlannedCall, ...]) -> None:
    plan = harmony_to_plan(text, allowed=["calculator", "current_time", "reminder_add"])
    assert plan.calls == calls
