"""Tools in the turn: the runner's plan and calls, shown as they happen, with the user's consent.

The tool runner (engine/tools/runner.py) decides whether the question needs a tool, plans the calls
and runs them; this step hands it the confirmation broker (tools that change things ask first),
publishes a `ToolCalled` per call, and turns any failure into a notice and no tools — the turn
still gets an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.cancel import CancelToken
from engine.errors import SovaError
from engine.events import Event, ExternalUse, Notice, ToolCalled, ToolCallRecord
from engine.pipeline.confirm import ConfirmationBroker
from engine.stages.base import SpokenLanguage
from engine.tools.base import ToolSpec

log = logging.getLogger(__name__)

Confirm = Callable[[ToolSpec, Mapping[str, Any]], Awaitable[bool]]


class ToolOutcomeLike(Protocol):
    """What the runner returns."""

    @property
    def calls(self) -> tuple[ToolCallRecord, ...]:
        """The calls, in order."""
        ...

    @property
    def transcript(self) -> str:
        """The calls and their results, for the prompt's tools slot."""
        ...

    @property
    def route_ms(self) -> float:
        """What deciding whether a tool is needed took."""
        ...

    @property
    def plan_ms(self) -> float | None:
        """What planning took (None: no plan was needed)."""
        ...


class ToolRunnerPort(Protocol):
    """The tool runner, as the turn uses it."""

    async def run(
        self, question: str, language: SpokenLanguage, cancel: CancelToken, *, confirm: Confirm | None
    ) -> ToolOutcomeLike:
        """Route, plan and call; never raises for a failing tool."""
        ...


@dataclass(frozen=True)
class ToolsUsed:
    """The calls of one turn, their transcript for the prompt, and what deciding and planning took."""

    calls: tuple[ToolCallRecord, ...] = ()
    transcript: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)


class ToolStep:
    """Runs the tool runner for a turn."""

    def __init__(self, runner: ToolRunnerPort, confirmations: ConfirmationBroker, emit: Callable[[Event], None]):
        self.runner = runner
        self.confirmations = confirmations
        self._emit = emit

    async def run(self, turn_id: int, question: str, language: SpokenLanguage, cancel: CancelToken) -> ToolsUsed:
        """The tools `question` needs, called; a failure of the tool layer itself is a notice."""

        async def confirm(spec: ToolSpec, args: Mapping[str, Any]) -> bool:
            description = spec.description.get(language) or next(iter(spec.description.values()), spec.name)
            return await self.confirmations.ask(spec.name, args, description, cancel)

        try:
            outcome = await self.runner.run(question, language, cancel, confirm=confirm)
        except SovaError as exc:
            log.warning("the tools failed: %s", exc)
            self._emit(Notice(f"tools are unavailable for this turn: {exc.message}"))
            return ToolsUsed()
        for call in outcome.calls:
            self._emit(ToolCalled(turn_id, call))
        timings = {"tool_route_ms": round(outcome.route_ms, 1)}
        if outcome.plan_ms is not None:
            timings["tool_plan_ms"] = round(outcome.plan_ms, 1)
        return ToolsUsed(outcome.calls, outcome.transcript, timings)


def external_use(model: object) -> ExternalUse | None:
    """What a remote model reports of its last call (None for a local model)."""
    report = getattr(model, "external_use", None)
    return report() if callable(report) else None
