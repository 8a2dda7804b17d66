"""The plan: which tools to call with which arguments, as JSON that always parses.

Arguments the user's words state exactly come from the tools' own parsers (`ArgsExtractor`):
"12345 умножить на 6789" gives the expression digit for digit, and the model never writes a digit
of a result. Otherwise a model writes the plan under llama.cpp's JSON-schema grammar built from the
registry (`ToolRegistry.plan_schema`), restricted to the router's candidates. Who writes it is
injectable: a loaded model on the LLM lane (`Generate`, `model_generate`: the lightweight model by
default), or an asynchronous `PlanWriter` (the on-demand MoE's `plan` use case, which may answer in
its own function calling: engine/pipeline/moe_planner.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.cancel import CancelToken
from engine.stages.base import ChatMessage, LanguageModel, SamplingParams, SpokenLanguage
from engine.tools.base import ArgsExtractor, ToolContext
from engine.tools.registry import ToolRegistry
from engine.tools.router import Route

#: messages and the plan's JSON schema in, the model's text out (blocking: run it on the LLM lane)
Generate = Callable[[Sequence[ChatMessage], dict[str, Any], CancelToken], str]


@dataclass(frozen=True)
class PlannedCall:
    """One call of a plan."""

    tool: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """The calls to make, in order; `source` says who wrote it."""

    calls: tuple[PlannedCall, ...]
    source: Literal["rules", "model", "none"] = "model"


EMPTY_PLAN = Plan((), "none")


@dataclass(frozen=True)
class PlanRequest:
    """What a planner model gets: the question, the candidate tools, the JSON plan's prompt and schema."""

    question: str
    language: SpokenLanguage
    names: tuple[str, ...]
    messages: tuple[ChatMessage, ...]
    schema: dict[str, Any] = field(hash=False)


#: an asynchronous planner (the MoE's `plan` use case): the request in, the plan out
PlanWriter = Callable[[PlanRequest], Awaitable[Plan]]

_SYSTEM = {
    "en": (
        "You decide which tools answer the user's request. Tools:\n{tools}\n"
        'Reply with JSON only: {{"calls": [{{"tool": "<name>", "args": {{...}}}}]}}. '
        'Use {{"calls": []}} when no tool is needed. Copy numbers, times and names from the user\'s words '
        "exactly; never compute a result yourself."
    ),
    "ru": (
        "Ты решаешь, какие инструменты выполнят просьбу пользователя. Инструменты:\n{tools}\n"
        'Ответь только JSON: {{"calls": [{{"tool": "<имя>", "args": {{...}}}}]}}. '
        'Если инструмент не нужен: {{"calls": []}}. Числа, время и имена переписывай из слов пользователя '
        "точно; сам ничего не вычисляй."
    ),
}


def plan_from_json(text: str, allowed: Sequence[str]) -> Plan:
    """The plan in a model's JSON (pure); calls to tools outside `allowed` and malformed ones are dropped."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return EMPTY_PLAN
    raw_calls = data.get("calls") if isinstance(data, dict) else None
    if not isinstance(raw_calls, list):
        return EMPTY_PLAN
    calls = tuple(
        PlannedCall(str(c["tool"]), dict(c.get("args") or {}))
        for c in raw_calls
        if isinstance(c, dict) and c.get("tool") in allowed and isinstance(c.get("args", {}), dict | None)
    )
    return Plan(calls, "model") if calls else EMPTY_PLAN


def plan_messages(
    question: str, language: SpokenLanguage, registry: ToolRegistry, names: Sequence[str]
) -> list[ChatMessage]:
    """The planner's prompt: the candidate tools with their argument schemas, then the question."""
    lines = []
    for name in names:
        tool = registry.get(name)
        if tool is None:
            continue
        desc = tool.spec.description.get(language) or next(iter(tool.spec.description.values()), "")
        props = tool.spec.schema().get("properties", {})
        args = ", ".join(
            f"{k}: {v.get('description', v.get('type', ''))}" for k, v in props.items() if isinstance(v, dict)
        )
        lines.append(f"- {name}({args}): {desc}")
    system = _SYSTEM[language].format(tools="\n".join(lines))
    return [ChatMessage("system", system), ChatMessage("user", question)]


def model_generate(model: LanguageModel, *, max_tokens: int = 160) -> Generate:
    """A `Generate` over a loaded chat model: greedy, under the plan's JSON-schema grammar."""

    def generate(messages: Sequence[ChatMessage], schema: dict[str, Any], cancel: CancelToken) -> str:
        params = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=max_tokens, json_schema=schema)
        return "".join(model.stream_chat(messages, params, cancel))

    return generate


class Planner:
    """Plans a tool turn: exact arguments from the tools' parsers first, else the model's JSON plan."""

    def __init__(
        self,
        registry: ToolRegistry,
        generate: Generate | None = None,
        *,
        max_calls: int = 3,
        prefer_rules: bool = True,
        writer: PlanWriter | None = None,
    ) -> None:
        self.registry = registry
        self.generate = generate
        self.writer = writer
        self.max_calls = max_calls
        self.prefer_rules = prefer_rules

    def from_rules(self, question: str, route: Route, context: ToolContext) -> Plan | None:
        """The plan the candidates' parsers give (the first that reads its arguments), or None (cheap)."""
        if not self.prefer_rules:
            return None
        for name in route.tools:
            tool = self.registry.get(name)
            if isinstance(tool, ArgsExtractor):
                args = tool.extract_args(question, context)
                if args is not None:
                    return Plan((PlannedCall(name, args),), "rules")
        return None

    @property
    def can_generate(self) -> bool:
        """Whether a model can write plans."""
        return self.generate is not None or self.writer is not None

    def request(self, question: str, route: Route, language: SpokenLanguage) -> PlanRequest:
        """The request for a model's plan over the route's candidates."""
        names = tuple(n for n in route.tools if n in self.registry)
        schema = self.registry.plan_schema(list(names), max_calls=self.max_calls)
        messages = tuple(plan_messages(question, language, self.registry, names))
        return PlanRequest(question, language, names, messages, schema)

    def from_model(self, question: str, route: Route, language: SpokenLanguage, cancel: CancelToken) -> Plan:
        """The loaded model's plan over the candidates (blocking; run it on the LLM lane)."""
        if self.generate is None or not route.tools:
            return EMPTY_PLAN
        request = self.request(question, route, language)
        text = self.generate(request.messages, request.schema, cancel)
        return plan_from_json(text, request.names)

    async def from_writer(self, question: str, route: Route, language: SpokenLanguage) -> Plan:
        """The asynchronous writer's plan over the candidates."""
        if self.writer is None or not route.tools:
            return EMPTY_PLAN
        plan = await self.writer(self.request(question, route, language))
        return Plan(plan.calls[: self.max_calls], plan.source) if plan.calls else EMPTY_PLAN
