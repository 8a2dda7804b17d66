"""One tool turn: route, plan, confirm what changes the world, call, and write the transcript.

`ToolRunner.run` never raises for a tool's sake: a failed call is a line of the transcript the
primary model reads ("… failed: reason") and a `ToolCallRecord(ok=False)` stored with the turn.
The transcript states each result as a plain sentence with the exact digits, which a 1.5B model
repeats faithfully; it never asks the model to compute.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from engine.cancel import CancelToken
from engine.events import ToolCallRecord
from engine.stages.base import SpokenLanguage
from engine.tools.base import ToolContext, ToolSpec
from engine.tools.planner import Plan, Planner
from engine.tools.registry import ToolRegistry
from engine.tools.router import Router

T = TypeVar("T")
RunBlocking = Callable[[Callable[[], T]], Awaitable[T]]
Confirm = Callable[[ToolSpec, dict[str, Any]], Awaitable[bool]]


@dataclass(frozen=True)
class ToolOutcome:
    """What the tools did for one turn: `transcript` goes into the prompt's tools slot."""

    calls: tuple[ToolCallRecord, ...]
    transcript: str
    #: the router thought a tool may be needed
    needed: bool
    route_ms: float
    #: time spent planning (rules or model); None when no plan was made
    plan_ms: float | None
    #: who wrote the plan: "rules", "model" or "none"
    plan_source: str = "none"


def _refusal(spec: ToolSpec, language: SpokenLanguage, *, asked: bool) -> str:
    if language == "ru":
        if asked:
            return f"Пользователь не подтвердил действие {spec.name}; оно не выполнено."
        return f"Действие {spec.name} требует подтверждения; в `sova ask` добавьте --yes."
    if asked:
        return f"The user did not confirm {spec.name}; it was not done."
    return f"{spec.name} changes something and needs confirmation; in `sova ask` add --yes."


def transcript_line(record: ToolCallRecord, language: SpokenLanguage, text: str | None = None) -> str:
    """One call as the primary model reads it; `text` is the whole result (the record keeps a cut one)."""
    args = json.dumps(record.args, ensure_ascii=False)
    said = record.result if text is None else text
    if record.ok:
        return f"{record.name}({args}): {said}"
    word = "ошибка" if language == "ru" else "failed"
    return f"{record.name}({args}) {word}: {said}"


class ToolRunner:
    """Routes, plans and runs the tools of a turn."""

    def __init__(
        self,
        registry: ToolRegistry,
        router: Router,
        planner: Planner,
        run_blocking: RunBlocking[Any],
        *,
        zone: tzinfo = UTC,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.registry = registry
        self.router = router
        self.planner = planner
        self._run_blocking = run_blocking
        self._zone = zone
        self._now = now or (lambda: datetime.now(self._zone))

    async def run(
        self,
        question: str,
        language: SpokenLanguage,
        cancel: CancelToken,
        *,
        confirm: Confirm | None = None,
    ) -> ToolOutcome:
        """Route `question`; when a tool is needed, plan and make the calls."""
        route, route_ms = self.router.decide(question)
        if not route.needed:
            return ToolOutcome((), "", False, route_ms, None)
        context = ToolContext(language=language, now=self._now(), cancel=cancel)
        start = time.perf_counter()
        plan = self.planner.from_rules(question, route, context)
        if plan is None and self.planner.writer is not None and not cancel.is_set():
            plan = await self.planner.from_writer(question, route, language)
        elif plan is None and self.planner.can_generate and not cancel.is_set():

            def write_plan() -> Plan:
                return self.planner.from_model(question, route, language, cancel)

            plan = await self._run_blocking(write_plan)
        plan_ms = (time.perf_counter() - start) * 1000.0
        if plan is None or not plan.calls:
            return ToolOutcome((), "", True, route_ms, plan_ms, "none")
        records: list[ToolCallRecord] = []
        lines: list[str] = []
        for call in plan.calls:
            if cancel.is_set():
                break
            record, text = await self._call(call.tool, call.args, context, confirm)
            records.append(record)
            lines.append(transcript_line(record, language, text))
        return ToolOutcome(tuple(records), "\n".join(lines), True, route_ms, plan_ms, plan.source)

    async def _call(
        self, name: str, args: dict[str, Any], context: ToolContext, confirm: Confirm | None
    ) -> tuple[ToolCallRecord, str]:
        tool = self.registry.get(name)
        if tool is not None and tool.spec.changes_world:
            allowed = await confirm(tool.spec, args) if confirm is not None else False
            if not allowed:
                reason = _refusal(tool.spec, context.language, asked=confirm is not None)
                return ToolCallRecord(name=name, args=args, ok=False, result=reason), reason
        record, result = await self.registry.call(name, args, context)
        return record, result.text
