"""A small MCP server for the tests, written with the official SDK: notes kept in memory.

Run over stdio (`python notes_server.py`) or as a streamable-HTTP app (`--http PORT`).
`add_note` changes the world; `list_notes` and `count_words` are marked read-only; `fail` always
reports a tool error (isError).
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer("notes")
_notes: list[str] = []


@server.tool(description="Add a note.")
def add_note(text: str) -> str:
    _notes.append(text)
    return f"saved note {len(_notes)}: {text}"


@server.tool(description="List the notes, one per line.", annotations=ToolAnnotations(read_only_hint=True))
def list_notes() -> str:
    return "\n".join(_notes) if _notes else "no notes"


@server.tool(description="Count the words of a text.", annotations=ToolAnnotations(read_only_hint=True))
def count_words(text: str) -> int:
    return len(text.split())


@server.tool(description="Always fails.", annotations=ToolAnnotations(read_only_hint=True))
def fail() -> str:
    raise ToolError("the notebook is locked")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        import uvicorn

        uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
    else:
        server.run()
