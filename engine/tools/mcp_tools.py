"""MCP servers' tools as Sova tools: one `MCPToolSource` per `[[tools.mcp]]` server, `MCPClients` for all.

A tool of server "notes" named "add_note" becomes `notes.add_note`. Its arguments are checked against
the server's own JSON schema before any call (a pydantic model per tool whose validator runs
`jsonschema`), it changes the world unless the server marks it read-only (or the user lists it in
`read_only_tools`), and every failure — a server that did not start, died, hung or answered garbage —
is a `ToolResult(ok=False)` or a notice in plain words, never an exception out of a turn.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import jsonschema  # type: ignore[import-untyped]
from mcp.types import CallToolResult, EmbeddedResource, ImageContent, TextContent
from pydantic import BaseModel, ConfigDict, create_model, model_validator

from engine.config import MCPServerSection
from engine.tools.base import ToolContext, ToolResult, ToolSpec
from engine.tools.mcp_client import MCPConnection, MCPServerError, ServerTool

#: a tool's answer longer than this is cut for the prompt (the result says how much was cut)
MAX_RESULT_CHARS = 4000
#: a server's description longer than this is cut (it goes into the planner's prompt)
MAX_DESCRIPTION_CHARS = 400
#: a server whose restart failed is not tried again for this long (each try may take its timeout_s)
RETRY_AFTER_S = 60.0
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")

Notify = Callable[[str], None]


class MCPArguments(BaseModel):
    """Base of the argument model of an MCP tool: any fields, checked against the server's schema."""

    model_config = ConfigDict(extra="allow", frozen=True)
    server_schema: ClassVar[Mapping[str, Any]] = {"type": "object"}

    @model_validator(mode="before")
    @classmethod
    def _matches_schema(cls, data: Any) -> Any:
        problems = schema_problems(cls.server_schema, data)
        if problems:
            raise ValueError("; ".join(problems))
        return data


def schema_problems(schema: Mapping[str, Any], value: Any) -> list[str]:
    """What is wrong with `value` under the JSON schema `schema` (empty: nothing), at most three."""
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    errors = sorted(validator_class(schema).iter_errors(value), key=lambda e: list(e.path))
    return [_schema_error(e) for e in errors[:3]]


def _schema_error(error: Any) -> str:
    where = ".".join(str(p) for p in error.path)
    return f"{where}: {error.message}" if where else str(error.message)


def schema_is_usable(schema: Mapping[str, Any]) -> str | None:
    """Why the schema `schema` cannot check arguments (None: it can)."""
    if schema.get("type") != "object":
        return 'its input schema is not of type "object"'
    try:
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return f"its input schema is invalid: {exc.message}"
    return None


def arguments_model(tool_name: str, schema: Mapping[str, Any]) -> type[MCPArguments]:
    """A pydantic model that accepts what `schema` accepts."""
    safe = re.sub(r"\W", "_", tool_name)
    model = create_model(f"MCPArgs_{safe}", __base__=MCPArguments)
    model.server_schema = schema
    return model


def result_text(result: CallToolResult, limit: int = MAX_RESULT_CHARS) -> str:
    """What the model reads of a tool's answer: its text blocks joined, other blocks named, cut to `limit`."""
    parts: list[str] = []
    for block in result.content:
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, ImageContent):
            parts.append(f"[an image, {block.mime_type}]")
        elif isinstance(block, EmbeddedResource):
            parts.append(f"[a resource: {block.resource.uri}]")
        else:
            parts.append(f"[{block.type}]")
    text = "\n".join(p for p in parts if p).strip()
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, ensure_ascii=False)
    return cut(text, limit)


def cut(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[cut: {len(text) - limit} of {len(text)} characters not shown]"


class MCPTool:
    """One tool of an MCP server, callable like any Sova tool."""

    def __init__(self, spec: ToolSpec, source: MCPToolSource, server_tool: str) -> None:
        self.spec = spec
        self.server_tool = server_tool
        self._source = source

    @property
    def timeout_s(self) -> float:
        """The longest a call may take: a restart of a dead server, then the call, each bounded by timeout_s."""
        return 2 * self._source.config.timeout_s

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Call the tool on its server; barge-in (`context.cancel`) abandons the wait at once."""
        arguments = args.model_dump(mode="json", exclude_none=False)
        task = asyncio.ensure_future(self._source.call(self.server_tool, arguments))
        loop = asyncio.get_running_loop()

        def cancel() -> None:
            loop.call_soon_threadsafe(task.cancel)  # the token may be set from any thread

        remove = context.cancel.on_set(cancel)
        try:
            return await task
        except asyncio.CancelledError:
            if context.cancel.is_set():
                return ToolResult(ok=False, text=f"{self.spec.name}: cancelled")
            raise
        finally:
            remove()


class MCPToolSource:
    """The tools of one server of `[[tools.mcp]]`, over one connection kept for the app's lifetime."""

    def __init__(self, config: MCPServerSection, on_notice: Notify | None = None) -> None:
        self.config = config
        self.name = config.name
        self._connection = MCPConnection(config)
        self._on_notice = on_notice
        self._reconnect = asyncio.Lock()
        #: after a failed restart, calls fail at once until this time (time.monotonic())
        self._retry_at = 0.0

    async def start(self) -> tuple[list[MCPTool], list[str]]:
        """Connect and wrap the server's tools; a server that cannot be used gives a notice and no tools."""
        try:
            listed = await self._connection.connect()
        except MCPServerError as exc:
            return [], [f"{exc.message}; its tools are not available ({exc.hint})"]
        return self.wrap(listed)

    def wrap(self, listed: Sequence[ServerTool]) -> tuple[list[MCPTool], list[str]]:
        """Sova tools for the server's `listed` tools; the unusable ones are left out with a notice each."""
        tools: list[MCPTool] = []
        notices: list[str] = []
        seen: set[str] = set()
        for tool in listed:
            problem = None if _TOOL_NAME.match(tool.name) else "its name is not usable"
            problem = problem or ("it is listed twice" if tool.name in seen else schema_is_usable(tool.input_schema))
            if problem:
                notices.append(f'MCP server "{self.name}": tool "{tool.name[:60]}" left out: {problem}')
                continue
            seen.add(tool.name)
            tools.append(MCPTool(self.spec_of(tool), self, tool.name))
        return tools, notices

    def spec_of(self, tool: ServerTool) -> ToolSpec:
        """The Sova spec of one server tool (`server.tool`, the server's description and schema)."""
        name = f"{self.name}.{tool.name}"
        description = cut(tool.description, MAX_DESCRIPTION_CHARS)
        read_only = tool.read_only or tool.name in self.config.read_only_tools
        return ToolSpec(
            name=name,
            description={"en": description, "ru": description},
            args=arguments_model(name, tool.input_schema),
            changes_world=not read_only,
            source=f"mcp:{self.name}",
            json_schema=tool.input_schema,
        )

    async def call(self, tool: str, arguments: dict[str, Any]) -> ToolResult:
        """Call `tool`; a server that died since the last call is restarted once first."""
        name = f"{self.name}.{tool}"
        try:
            async with self._reconnect:
                if not self._connection.connected:
                    await self._restart()
            result = await self._connection.call(tool, arguments)
        except MCPServerError as exc:
            return ToolResult(ok=False, text=f"{name} failed: {exc.message}", data={"hint": exc.hint})
        text = result_text(result)
        if result.is_error:
            return ToolResult(ok=False, text=f"{name} failed: {text or 'the server reported an error'}")
        return ToolResult(ok=True, text=text, data=_structured(result))

    async def _restart(self) -> None:
        """Reconnect once; after a failure, the calls of the next `RETRY_AFTER_S` fail without waiting."""
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            raise MCPServerError(
                f'MCP server "{self.name}" is not available: its restart failed',
                hint=f"it is tried again in {wait:.0f} s; check its [[tools.mcp]] entry",
            )
        try:
            await self._connection.connect()
        except MCPServerError as exc:
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            self._notify(f"{exc.message}; it is tried again in {RETRY_AFTER_S:g} s at the next call")
            raise
        self._notify(f'MCP server "{self.name}" was restarted')

    async def close(self) -> None:
        """Close the connection (bounded)."""
        await self._connection.close()

    def _notify(self, message: str) -> None:
        if self._on_notice is not None:
            self._on_notice(message)


def _structured(result: CallToolResult) -> dict[str, Any] | None:
    value = result.structured_content
    return value if isinstance(value, dict) else None


class MCPClients:
    """Every server of `[[tools.mcp]]`: `start_all` at the assistant's start, `close_all` at its close."""

    def __init__(self, on_notice: Notify | None = None) -> None:
        self._on_notice = on_notice
        self.sources: list[MCPToolSource] = []

    async def start_all(self, configs: Sequence[MCPServerSection]) -> tuple[list[MCPTool], list[str]]:
        """Start every server at once (each bounded by its timeout_s); their tools and the notices."""
        notices: list[str] = []
        unique: list[MCPServerSection] = []
        for config in configs:
            if any(c.name == config.name for c in unique):
                notices.append(f'MCP server "{config.name}" is listed twice in [[tools.mcp]]: the second is ignored')
            else:
                unique.append(config)
        sources = [MCPToolSource(c, self._on_notice) for c in unique]
        self.sources.extend(sources)
        started = await asyncio.gather(*(s.start() for s in sources))
        tools: list[MCPTool] = []
        for source_tools, source_notices in started:
            tools.extend(source_tools)
            notices.extend(source_notices)
        return tools, notices

    async def close_all(self) -> None:
        """Close every connection at once; bounded, never raises."""
        sources, self.sources = self.sources, []
        await asyncio.gather(*(s.close() for s in sources), return_exceptions=True)
