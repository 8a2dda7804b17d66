"""The MoE as planner: gpt-oss's function calling ("harmony") in, the internal plan JSON out (tables).

The model is scripted with completions written the way gpt-oss answers (its special tokens kept, or
dropped the way a detokenizer without special tokens returns them); the real gpt-oss is an optional
download that is not installed here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.cancel import CancelToken
from engine.stages.base import ChatMessage, SamplingParams
from engine.tools.builtin import builtin_tools
from engine.tools.moe_plan import functions_namespace, moe_generate, plan_from_harmony, tool_names, ts_type
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
    """Answers every chat with one fixed completion, in small pieces, and keeps what it was asked."""

    model_id = "gpt-oss-scripted"
    context_length = 8192

    def __init__(self, completion: str) -> None:
        self.completion = completion
        self.asked: list[tuple[list[ChatMessage], SamplingParams]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self.asked.append((list(messages), params))
        for start in range(0, len(self.completion), 7):
            yield self.completion[start : start + 7]


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
    assert tool_names(registry.plan_schema(["calculator", "note_add"])) == ["calculator", "note_add"]


def test_the_planner_plans_through_the_moe(registry: ToolRegistry) -> None:
    moe = ScriptedMoE(ONE_CALL)
    planner = Planner(registry, moe_generate(moe, registry))
    route = Route(("calculator", "convert_units"))
    plan = planner.from_model("Сколько будет 12345 умножить на 6789?", route, "ru", CancelToken())
    assert plan.calls == (PlannedCall("calculator", {"expression": "12345 * 6789"}),) and plan.source == "model"
    ((messages, params),) = moe.asked
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[1].content == "Сколько будет 12345 умножить на 6789?"
    developer = messages[0].content
    assert "namespace functions {" in developer and "type convert_units = (_: {" in developer
    assert "type note_add" not in developer  # only the router's candidates
    # free text (a JSON grammar would forbid the harmony markers), greedy
    assert params.json_schema is None and params.temperature == 0.0


def test_a_moe_answer_without_a_call_is_an_empty_plan(registry: ToolRegistry) -> None:
    generate = moe_generate(ScriptedMoE(GARBAGE), registry)
    schema = registry.plan_schema(["calculator"])
    text = generate([ChatMessage("system", "x"), ChatMessage("user", "hi")], schema, CancelToken())
    assert json.loads(text) == {"calls": []}
    silent = ScriptedMoE(ONE_CALL)
    assert json.loads(moe_generate(silent, registry)([], schema, CancelToken())) == {"calls": []}
    assert silent.asked == []  # no question: the model is not run
