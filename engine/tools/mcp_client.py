"""One live connection to one MCP server (official `mcp` SDK, client side), bounded in time everywhere.

The SDK's transports are anyio context managers that must be entered and left in the same task, so
each connection has one owner task that opens the client, lists the tools, then waits until it is told
to stop; calls from other tasks use the open session. Starting is bounded by the server's `timeout_s`
(a server that hangs or answers garbage fails to start with a plain reason), every call is bounded by
it too, and closing never waits for more than `CLOSE_TIMEOUT_S`. A server's stderr goes to a temporary
file, so a server that dies can be described by its last words.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import anyio
from mcp.client import Client, IncomingMessage
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, Implementation
from pydantic import ValidationError

from engine.config import MCPServerSection
from engine.errors import ErrorCode, SovaError

#: closing a connection waits at most this long (the SDK itself kills a stdio server after ~2-4 s)
CLOSE_TIMEOUT_S = 5.0
#: a listing longer than this many pages is treated as garbage
MAX_LIST_PAGES = 20
#: JSON-RPC error codes of the SDK: the connection closed, a request timed out
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001


class MCPServerError(SovaError):
    """An MCP server cannot be used: it did not start, died, hung or answered garbage."""

    # TODO(lead): a dedicated ErrorCode.TOOL_FAILED ("tool_failed") would fit better
    code = ErrorCode.SOVA


@dataclass(frozen=True)
class ServerTool:
    """One tool as its server lists it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool


def leaf_errors(exc: BaseException) -> Iterator[BaseException]:
    """The non-group exceptions inside `exc` (anyio wraps a transport's failure in task-group groups)."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaf_errors(inner)
    else:
        yield exc


def is_connection_lost(exc: BaseException) -> bool:
    """Whether `exc` means the server went away (as opposed to a slow or failed call)."""
    for leaf in leaf_errors(exc):
        if isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
            return True
        if isinstance(leaf, anyio.ClosedResourceError | anyio.BrokenResourceError | BrokenPipeError):
            return True
    return False


def _garbage_text(exc: Exception) -> str:
    """The line a server wrote that was not JSON-RPC, as the parser saw it."""
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            if isinstance(error.get("input"), str | dict):
                return repr(error["input"])[:120]
    return _describe(exc)


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _describe(exc: BaseException) -> str:
    leaves = list(leaf_errors(exc)) or [exc]
    first = leaves[0]
    text = str(first).strip() or type(first).__name__
    return text[:200]


class MCPConnection:
    """One server of `[[tools.mcp]]`: `connect()`, then `call()` any number of times, then `close()`."""

    def __init__(self, config: MCPServerSection) -> None:
        self.config = config
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._scope: anyio.CancelScope | None = None
        self._garbage: list[str] = []
        self._stderr_path: Path | None = None
        self._lost = False

    @property
    def connected(self) -> bool:
        """Whether a session is open and the server has not gone away since (as far as is known)."""
        return self._client is not None and not self._lost and not _transport_closed(self._client)

    async def connect(self) -> list[ServerTool]:
        """Start (or reach) the server and list its tools within `timeout_s`; MCPServerError otherwise."""
        await self.close()
        self._stop = asyncio.Event()
        self._garbage = []
        self._lost = False
        ready: asyncio.Future[list[ServerTool]] = asyncio.get_running_loop().create_future()
        ready.add_done_callback(_consume)  # its failure may come after connect() stopped waiting
        self._task = asyncio.create_task(self._own(ready), name=f"mcp-{self.config.name}")
        try:
            return await asyncio.wait_for(asyncio.shield(ready), self.config.timeout_s)
        except TimeoutError:
            self._stop.set()  # the owner's own deadline cleans up; a close() later waits for it
            raise MCPServerError(self._timeout_reason(), hint=self._hint()) from None
        except Exception as exc:
            raise MCPServerError(self._failure_reason(exc), hint=self._hint()) from None

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call `tool` within `timeout_s`; MCPServerError when the server is gone, hangs or answers garbage."""
        client = self._client
        if client is None or self._lost:
            raise MCPServerError(f'MCP server "{self.config.name}" is not connected', hint=self._hint())
        try:
            return await client.call_tool(tool, arguments, read_timeout_seconds=self.config.timeout_s)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                raise MCPServerError(
                    f'MCP server "{self.config.name}" did not answer {tool} within {self.config.timeout_s:g} s',
                    hint="try again later, or raise its timeout_s in [[tools.mcp]]",
                ) from None
            if exc.code != CONNECTION_CLOSED:
                raise MCPServerError(f'MCP server "{self.config.name}" refused {tool}: {exc.message}') from None
            self._lose()
            raise MCPServerError(self._crash_reason(tool), hint="it is restarted at the next call") from None
        except Exception as exc:
            if is_connection_lost(exc):
                self._lose()
                raise MCPServerError(self._crash_reason(tool), hint="it is restarted at the next call") from None
            raise MCPServerError(
                f'MCP server "{self.config.name}" gave an answer Sova cannot read for {tool}: {_describe(exc)}'
            ) from None

    async def close(self) -> None:
        """Stop the session and the server; never waits longer than `CLOSE_TIMEOUT_S`."""
        task, self._task = self._task, None
        self._stop.set()
        if task is not None and not task.done():
            _, pending = await asyncio.wait({task}, timeout=CLOSE_TIMEOUT_S)
            if pending:
                if self._scope is not None:
                    self._scope.cancel()
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
        self._client = None
        if self._stderr_path is not None:
            self._stderr_path.unlink(missing_ok=True)
            self._stderr_path = None

    # -- the owner task ----------------------------------------------------------------------------

    async def _own(self, ready: asyncio.Future[list[ServerTool]]) -> None:
        """Open the client, list the tools, then hold the session open until stopped (all in this task)."""
        try:
            with contextlib.ExitStack() as files:
                errlog = self._open_stderr(files)
                with anyio.CancelScope(deadline=anyio.current_time() + self.config.timeout_s) as scope:
                    self._scope = scope
                    async with Client(
                        self._transport(errlog),
                        read_timeout_seconds=self.config.timeout_s,
                        message_handler=self._on_message,
                        client_info=Implementation(name="sova", version="0.1"),
                    ) as client:
                        tools = await _list_tools(client)
                        scope.deadline = math.inf  # started: from now on only close() ends it
                        self._client = client
                        if not ready.done():
                            ready.set_result(tools)
                        await self._stop.wait()
        except Exception as exc:
            if not ready.done():
                ready.set_exception(exc)
        finally:
            self._client = None
            self._scope = None
            if not ready.done():
                ready.set_exception(TimeoutError())

    def _transport(self, errlog: TextIO | None) -> Any:
        if self.config.url is not None:
            return self.config.url
        assert self.config.command is not None and errlog is not None
        program, *args = self.config.command
        env = self.config.env or None
        return stdio_client(StdioServerParameters(command=program, args=args, env=env), errlog=errlog)

    def _open_stderr(self, files: contextlib.ExitStack) -> TextIO | None:
        if self.config.command is None:
            return None
        fd, name = tempfile.mkstemp(prefix=f"sova-mcp-{self.config.name}-", suffix=".log")
        self._stderr_path = Path(name)
        return files.enter_context(os.fdopen(fd, "w", encoding="utf-8"))

    async def _on_message(self, message: IncomingMessage) -> None:
        # The transport hands over what it could not parse as JSON-RPC: remember it for the notice.
        if isinstance(message, Exception) and len(self._garbage) < 3:
            self._garbage.append(_garbage_text(message))

    def _lose(self) -> None:
        self._lost = True
        self._stop.set()  # the owner leaves the session; the SDK stops what is left of the process

    # -- plain words for what went wrong -----------------------------------------------------------

    def _last_words(self) -> str:
        if self._stderr_path is None:
            return ""
        with contextlib.suppress(OSError):
            lines = [line.strip() for line in self._stderr_path.read_text(errors="replace").splitlines()]
            lines = [line for line in lines if line]
            if lines:
                return f': "{lines[-1][:200]}"'
        return ""

    def _where(self) -> str:
        return f"url {self.config.url}" if self.config.url else f"command {' '.join(self.config.command or [])}"

    def _hint(self) -> str:
        return f'check the {self._where()} of "{self.config.name}" in [[tools.mcp]] of your config'

    def _timeout_reason(self) -> str:
        name, limit = self.config.name, f"{self.config.timeout_s:g} s"
        if self._garbage:
            return f'MCP server "{name}" answered with something that is not MCP (JSON-RPC): {self._garbage[0]}'
        return f'MCP server "{name}" did not answer within {limit} (timeout_s){self._last_words()}'

    def _failure_reason(self, exc: BaseException) -> str:
        name = self.config.name
        if isinstance(exc, FileNotFoundError | PermissionError):
            return f'MCP server "{name}" cannot be started: {exc.strerror}: {exc.filename}'
        if is_connection_lost(exc):
            return f'MCP server "{name}" stopped before it answered{self._last_words()}'
        if self._garbage:
            return f'MCP server "{name}" answered with something that is not MCP (JSON-RPC): {self._garbage[0]}'
        return f'MCP server "{name}" failed to start: {_describe(exc)}{self._last_words()}'

    def _crash_reason(self, tool: str) -> str:
        return f'MCP server "{self.config.name}" stopped during {tool}{self._last_words()}'


def _transport_closed(client: Client) -> bool:
    """Whether the server's side already closed (a stdio server that exited while idle).

    Reads the pinned SDK's dispatcher state (mcp 2.3); without it, a dead server is found by the next
    call's failure instead, and the call after that reconnects.
    """
    dispatcher = getattr(client.session, "_dispatcher", None)
    return bool(getattr(dispatcher, "_closed", False))


async def _list_tools(client: Client) -> list[ServerTool]:
    """Every tool of the server, following its pages (a listing that never ends is refused)."""
    tools: list[ServerTool] = []
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        page = await client.list_tools(cursor=cursor)
        for tool in page.tools:
            annotations = tool.annotations
            tools.append(
                ServerTool(
                    name=tool.name,
                    description=(tool.description or tool.title or tool.name).strip(),
                    input_schema=dict(tool.input_schema),
                    read_only=bool(annotations is not None and annotations.read_only_hint),
                )
            )
        cursor = page.next_cursor
        if cursor is None:
            return tools
    raise MCPServerError(f"the tool listing went on for more than {MAX_LIST_PAGES} pages")
