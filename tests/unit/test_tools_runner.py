"""ToolRunner orchestration in milliseconds: no-tool turns, exact plans, model plans, confirmation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from engine.cancel import CancelToken
from engine.stages.base import ChatMessage
from engine.tools.base import ToolContext, ToolResult, ToolSpec
from engine.tools.builtin import builtin_tools
from engine.tools.planner import Planner
from engine.tools.registry import ToolRegistry
from engine.tools.router import Router
from engine.tools.runner import ToolOutcome, ToolRunner

T = TypeVar("T")
ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=ZONE)


class _VolumeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int


class _Volume:
    """A tool that changes the world and has no parser of its own (the model must plan it)."""

    def __init__(self) -> None:
        self.spec = ToolSpec(
            name="set_volume", description={"en": "set volume"}, args=_VolumeArgs, changes_world=True,
            triggers=(r"\bvolume\b",),
        )  # fmt: skip
        self.calls: list[int] = []

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        assert isinstance(args, _VolumeArgs)
        self.calls.append(args.level)
        return ToolResult(True, f"volume is {args.level}%")


async def _inline(fn: Callable[[], T]) -> T:
    return fn()


def _runner(tmp: Path, generate: Any = None) -> tuple[ToolRunner, _Volume, list[Any]]:
    volume = _Volume()
    registry = ToolRegistry([*builtin_tools(tmp, ZONE), volume])
    seen: list[Any] = []

    def gen(messages: Sequence[ChatMessage], schema: dict[str, Any], cancel: CancelToken) -> str:
        seen.append((messages, schema))
        return str(generate)

    planner = Planner(registry, gen if generate is not None else None)
    runner = ToolRunner(registry, Router(registry.specs()), planner, _inline, zone=ZONE, now=lambda: NOW)
    return runner, volume, seen


def _run(runner: ToolRunner, text: str, **kw: Any) -> ToolOutcome:
    return asyncio.run(runner.run(text, "ru", CancelToken(), **kw))


def test_a_chat_turn_makes_no_plan(tmp_path: Path) -> None:
    runner, _, seen = _runner(tmp_path, generate='{"calls": []}')
    out = _run(runner, "Привет, как дела?")
    assert out.calls == () and out.transcript == "" and not out.needed and out.plan_ms is None
    assert out.route_ms >= 0 and seen == []


def test_exact_arguments_come_from_the_rules_not_the_model(tmp_path: Path) -> None:
    runner, _, seen = _runner(tmp_path, generate='{"calls": []}')
    out = _run(runner, "Сколько будет 12345 умножить на 6789?")
    assert out.plan_source == "rules" and seen == []
    assert [(c.name, c.args, c.ok) for c in out.calls] == [("calculator", {"expression": "12345 * 6789"}, True)]
    assert "83810205" in out.transcript and out.calls[0].result == "12345 * 6789 = 83810205"


def test_the_model_plans_what_the_rules_cannot_read(tmp_path: Path) -> None:
    plan = json.dumps({"calls": [{"tool": "set_volume", "args": {"level": 40}}]})
    runner, volume, seen = _runner(tmp_path, generate=plan)
    yes = _run(runner, "make the volume quieter", confirm=_answer(True))
    assert yes.plan_source == "model" and volume.calls == [40] and yes.calls[0].ok
    schema = seen[0][1]
    assert [b["properties"]["tool"]["const"] for b in schema["properties"]["calls"]["items"]["anyOf"]] == ["set_volume"]


def test_world_changing_tools_need_confirmation(tmp_path: Path) -> None:
    plan = json.dumps({"calls": [{"tool": "set_volume", "args": {"level": 40}}]})
    runner, volume, _ = _runner(tmp_path, generate=plan)
    refused = _run(runner, "volume 40")
    assert not refused.calls[0].ok and "--yes" in refused.calls[0].result
    declined = _run(runner, "volume 40", confirm=_answer(False))
    assert not declined.calls[0].ok and "не подтвердил" in declined.calls[0].result
    assert volume.calls == []


def test_invalid_model_arguments_become_a_failed_line(tmp_path: Path) -> None:
    plan = json.dumps({"calls": [{"tool": "set_volume", "args": {"level": "loud"}}]})
    runner, volume, _ = _runner(tmp_path, generate=plan)
    out = _run(runner, "volume up", confirm=_answer(True))
    assert not out.calls[0].ok and "invalid arguments" in out.calls[0].result and "ошибка" in out.transcript
    assert volume.calls == []


def test_a_tool_turn_without_a_model_and_without_exact_arguments_calls_nothing(tmp_path: Path) -> None:
    runner, _, _ = _runner(tmp_path)
    out = _run(runner, "volume up")
    assert out.needed and out.calls == () and out.plan_source == "none"


def _answer(value: bool) -> Any:
    async def confirm(spec: ToolSpec, args: dict[str, Any]) -> bool:
        return value

    return confirm
