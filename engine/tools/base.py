"""What a tool is: a typed async function with a pydantic argument model and a RU/EN description.

Every tool — built in (time, reminders, sums, notes, the screen, media) or from an MCP server — is a
`Tool`: the registry builds the planner's JSON schema from `spec`, validates the arguments with
`spec.args` before any call, and turns every failure into a `ToolResult` with `ok=False` that the
model sees and the user hears about, never a crash of the turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from engine.cancel import CancelToken
from engine.stages.base import SpokenLanguage


class NoArgs(BaseModel):
    """The argument model of a tool that takes none."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ToolSpec:
    """A tool's name, descriptions per language, argument model, and whether it changes the world."""

    name: str
    description: Mapping[SpokenLanguage, str]
    args: type[BaseModel] = NoArgs
    #: changes something outside the conversation (media, a non-read-only MCP tool): asks first
    changes_world: bool = False
    #: where it comes from: "builtin", or "mcp:<server name>"
    source: str = "builtin"
    #: the JSON schema of the arguments when `args` is not enough (MCP tools bring their own)
    json_schema: Mapping[str, Any] | None = None
    #: regular expressions (case-insensitive, searched in the user's words) that mark a turn as needing
    #: this tool — the cheap router's rules; a tool without any is reached only through the planner
    triggers: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the arguments."""
        return dict(self.json_schema) if self.json_schema is not None else self.args.model_json_schema()


@dataclass(frozen=True)
class ToolContext:
    """What a call may know about its turn."""

    language: SpokenLanguage
    now: datetime
    cancel: CancelToken = field(default_factory=CancelToken)


@dataclass(frozen=True)
class ToolResult:
    """What a call gave: `text` is what the model reads (and a failure's reason, said plainly)."""

    ok: bool
    text: str
    data: Mapping[str, Any] | None = None


class Tool(Protocol):
    """A callable tool."""

    spec: ToolSpec

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Run with validated `args`; may raise — the registry turns any exception into a failed result."""
        ...


@runtime_checkable
class ArgsExtractor(Protocol):
    """A tool that can read its arguments straight from the user's words, exactly (no model).

    The planner prefers these arguments to a model's: "12345 умножить на 6789" gives the expression
    digit for digit, "через 10 минут" the time phrase word for word.
    """

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The arguments `text` states plainly, or None when it does not."""
        ...
