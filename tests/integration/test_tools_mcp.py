"""Sova as an MCP client, against real servers written with the official SDK (tests/data/mcp_servers/).

Every server is a real process started over stdio (or a real uvicorn HTTP server); nothing is faked.
The broken servers (exits at start, hangs, answers garbage, crashes mid-call, a tool that sleeps) each
give a plain notice or failed result within their timeout, and never block the good server's tools.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from engine.cancel import CancelToken
from engine.config import MCPServerSection
from engine.tools.base import Tool, ToolContext, ToolResult
from engine.tools.mcp_tools import MCPClients, MCPToolSource
from engine.tools.registry import ToolRegistry
from tests.harness.waiting import wait_until, wait_until_async

SERVERS = Path(__file__).resolve().parents[1] / "data" / "mcp_servers"
NOTES = str(SERVERS / "notes_server.py")
BROKEN = str(SERVERS / "broken_servers.py")
#: a cold Python + SDK start takes 1-3 s on a busy 2-core machine: good servers get room to start
START_S = 30.0


def stdio(name: str, *args: str, timeout_s: float = START_S, **extra: Any) -> MCPServerSection:
    return MCPServerSection(name=name, command=[sys.executable, *args], timeout_s=timeout_s, **extra)


def context(cancel: CancelToken | None = None) -> ToolContext:
    return ToolContext(language="en", now=datetime(2026, 1, 1, 12, 0), cancel=cancel or CancelToken())


async def call(tools: dict[str, Tool], name: str, cancel: CancelToken | None = None, **args: Any) -> ToolResult:
    tool = tools[name]
    return await tool.call(tool.spec.args.model_validate(args), context(cancel))


def test_notes_server_tools_listed_validated_and_called() -> None:
    async def main() -> None:
        clients = MCPClients()
        try:
            listed, notices = await clients.start_all([stdio("notes", NOTES)])
            assert notices == []
            tools: dict[str, Tool] = {t.spec.name: t for t in listed}
            assert set(tools) == {"notes.add_note", "notes.list_notes", "notes.count_words", "notes.fail"}

            add, read = tools["notes.add_note"].spec, tools["notes.list_notes"].spec
            assert add.changes_world and not read.changes_world  # readOnlyHint decides
            assert add.source == "mcp:notes" and add.description == {"en": "Add a note.", "ru": "Add a note."}
            assert add.schema()["required"] == ["text"]

            # arguments are checked against the server's schema before any call
            with pytest.raises(ValidationError, match="'text' is a required property"):
                add.args.model_validate({})
            with pytest.raises(ValidationError, match="is not of type 'string'"):
                add.args.model_validate({"text": 5})

            saved = await call(tools, "notes.add_note", text="купить хлеб")
            assert saved.ok and saved.text == "saved note 1: купить хлеб"
            await call(tools, "notes.add_note", text="call mum")
            listing = await call(tools, "notes.list_notes")
            assert listing.ok and listing.text.splitlines() == ["купить хлеб", "call mum"]
            counted = await call(tools, "notes.count_words", text="one two three")
            assert counted.ok and counted.text == "3" and counted.data == {"result": 3}

            failed = await call(tools, "notes.fail")  # the server's isError becomes ok=False with its reason
            assert not failed.ok and "the notebook is locked" in failed.text

            # through the registry the turn uses: checked before the call, recorded after it
            registry = ToolRegistry(listed)
            record, bad = await registry.call("notes.add_note", {"txt": "x"}, context())
            assert not bad.ok and not record.ok and "'text' is a required property" in bad.text
            record, good = await registry.call("notes.count_words", {"text": "раз два"}, context())
            assert good.ok and record.ok and record.result == "2" and record.args == {"text": "раз два"}
        finally:
            await clients.close_all()

    asyncio.run(main())


def test_broken_servers_give_notices_within_their_timeouts_and_do_not_block_the_good_one() -> None:
    short = 2.0

    async def main() -> tuple[list[Tool], list[str], float, float]:
        clients = MCPClients()
        started = time.monotonic()
        try:
            tools, notices = await clients.start_all(
                [
                    stdio("notes", NOTES),
                    stdio("exits", BROKEN, "exit", timeout_s=short),
                    stdio("hangs", BROKEN, "hang", timeout_s=short),
                    stdio("garbage", BROKEN, "garbage", timeout_s=short),
                    MCPServerSection(name="missing", command=["/nonexistent/sova-mcp-server"], timeout_s=short),
                ]
            )
            took = time.monotonic() - started
            result = await call({t.spec.name: t for t in tools}, "notes.count_words", text="still works")
            assert result.ok and result.text == "2"
        finally:
            closing = time.monotonic()
            await clients.close_all()
        return list(tools), notices, took, time.monotonic() - closing

    tools, notices, took, closing = asyncio.run(main())
    assert {t.spec.source for t in tools} == {"mcp:notes"}
    by_server = {n.split('"')[1]: n for n in notices}
    assert set(by_server) == {"exits", "hangs", "garbage", "missing"}
    assert 'stopped before it answered: "exit: cannot open my database"' in by_server["exits"]
    assert "did not answer within 2 s" in by_server["hangs"]
    assert "not MCP (JSON-RPC): 'hello, I am not JSON-RPC'" in by_server["garbage"]
    assert "cannot be started: No such file or directory" in by_server["missing"]
    assert all("its tools are not available" in n and "[[tools.mcp]]" in n for n in notices)
    # the broken ones were given up on at their timeout: starting waited for the good server only
    assert took < START_S and closing < 10.0


@pytest.mark.slow  # three cold starts of an SDK server
def test_a_crashed_server_is_restarted_once_at_the_next_call() -> None:
    notices: list[str] = []

    async def main() -> list[ToolResult]:
        clients = MCPClients(on_notice=notices.append)
        try:
            listed, _ = await clients.start_all([stdio("crashy", BROKEN, "crash")])
            tools: dict[str, Tool] = {t.spec.name: t for t in listed}
            results = [await call(tools, "crashy.ping"), await call(tools, "crashy.crash")]  # dies mid-call
            results.append(await call(tools, "crashy.ping"))  # restarted first
            results.append(await call(tools, "crashy.exit_soon"))  # dies just after answering
            source = clients.sources[0]
            await wait_until_async(lambda: not source._connection.connected, "the server to exit")
            results.append(await call(tools, "crashy.ping"))  # found dead before the call: restarted
        finally:
            await clients.close_all()
        return results

    before, crashed, after, bye, again = asyncio.run(main())
    assert before.ok and before.text == "pong"
    assert not crashed.ok
    assert crashed.text == 'crashy.crash failed: MCP server "crashy" stopped during crash: "crash: exiting on purpose"'
    assert after.ok and after.text == "pong"
    assert bye.ok and bye.text == "bye"
    assert again.ok and again.text == "pong"
    assert notices == ['MCP server "crashy" was restarted'] * 2


def test_a_call_past_the_timeout_fails_plainly_and_the_server_stays_usable() -> None:
    async def main() -> tuple[ToolResult, ToolResult, ToolResult]:
        source = MCPToolSource(stdio("slow", BROKEN, "slow"))
        try:
            listed, _ = await source.start()
            tools: dict[str, Tool] = {t.spec.name: t for t in listed}
            # started with room to spare; now a short limit for the calls
            source.config = source._connection.config = source.config.model_copy(update={"timeout_s": 0.5})
            slow = await call(tools, "slow.sleep")
            alive = await call(tools, "slow.ping")
            cancel = CancelToken()
            asyncio.get_running_loop().call_later(0.05, cancel.set)  # barge-in while the tool runs
            source.config = source._connection.config = source.config.model_copy(update={"timeout_s": 30.0})
            cancelled = await call(tools, "slow.sleep", cancel=cancel)
        finally:
            await source.close()
        return slow, alive, cancelled

    slow, alive, cancelled = asyncio.run(main())
    assert not slow.ok and slow.text == 'slow.sleep failed: MCP server "slow" did not answer sleep within 0.5 s'
    assert alive.ok and alive.text == "pong"
    assert not cancelled.ok and cancelled.text == "slow.sleep: cancelled"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_streamable_http_server(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        server = subprocess.Popen([sys.executable, NOTES, "--http", str(port)], stderr=err)
    try:
        wait_until(lambda: _accepts(port) or server.poll() is not None, "the HTTP MCP server to listen", 30.0)
        assert server.poll() is None, log.read_text()

        notices: list[str] = []

        async def main() -> tuple[list[str], list[ToolResult]]:
            clients = MCPClients(on_notice=notices.append)
            try:
                config = MCPServerSection(name="web", url=f"http://127.0.0.1:{port}/mcp", timeout_s=START_S)
                listed, started = await clients.start_all([config])
                assert started == []
                tools: dict[str, Tool] = {t.spec.name: t for t in listed}
                results = [await call(tools, "web.add_note", text="по HTTP")]
                server.kill()  # the server goes away for good
                server.wait(timeout=10)
                for _ in range(3):  # lost; its restart fails; then no more tries for a while
                    results.append(await call(tools, "web.count_words", text="a b"))
            finally:
                await clients.close_all()
            return sorted(tools), results

        names, (saved, lost, refused, waiting) = asyncio.run(main())
        assert names == ["web.add_note", "web.count_words", "web.fail", "web.list_notes"]
        assert saved.ok and saved.text == "saved note 1: по HTTP"
        assert not lost.ok and lost.text == 'web.count_words failed: MCP server "web" stopped during count_words'
        assert not refused.ok and refused.text.startswith('web.count_words failed: MCP server "web" failed to start')
        assert not waiting.ok
        assert waiting.text == 'web.count_words failed: MCP server "web" is not available: its restart failed'
        assert len(notices) == 1 and notices[0].endswith("it is tried again in 60 s at the next call")
    finally:
        server.terminate()
        server.wait(timeout=10)
