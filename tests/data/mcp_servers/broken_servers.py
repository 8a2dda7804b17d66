"""MCP servers that misbehave, for the tests of Sova's MCP client: `python broken_servers.py MODE`.

- `exit`: writes a reason to stderr and exits with status 3 before answering anything;
- `hang`: never reads its input nor answers (a server stuck at start);
- `garbage`: answers every line with text that is not JSON-RPC;
- `crash`: a real SDK server whose `crash` tool kills the process mid-call and whose `exit_soon` tool
  kills it just after answering (`ping` answers "pong");
- `slow`: a real SDK server whose `sleep` tool sleeps past any sane timeout (`ping` answers "pong").
"""

from __future__ import annotations

import os
import sys
import threading
import time


def _sdk_server(mode: str) -> None:
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    server = MCPServer(mode)

    @server.tool(description="Answer pong.", annotations=ToolAnnotations(read_only_hint=True))
    def ping() -> str:
        return "pong"

    if mode == "crash":

        @server.tool(description="Kill this server.", annotations=ToolAnnotations(read_only_hint=True))
        def crash() -> str:
            sys.stderr.write("crash: exiting on purpose\n")
            sys.stderr.flush()
            os._exit(4)

        @server.tool(description="Exit just after answering.", annotations=ToolAnnotations(read_only_hint=True))
        def exit_soon() -> str:
            threading.Timer(0.2, os._exit, (5,)).start()
            return "bye"

    else:

        @server.tool(description="Sleep for a minute.", annotations=ToolAnnotations(read_only_hint=True))
        async def sleep() -> str:
            await anyio.sleep(60)
            return "slept"

    server.run()


def main(mode: str) -> None:
    if mode == "exit":
        sys.stderr.write("exit: cannot open my database\n")
        sys.exit(3)
    elif mode == "hang":
        time.sleep(3600)
    elif mode == "garbage":
        for _line in sys.stdin:
            sys.stdout.write("hello, I am not JSON-RPC\n")
            sys.stdout.write('{"jsonrpc": "2.0", "id": "nope", "result": 12}\n')
            sys.stdout.flush()
    elif mode in ("crash", "slow"):
        _sdk_server(mode)
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1])
