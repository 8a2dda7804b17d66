"""[[tools.mcp]] validation and the pure parts of the MCP client: schemas, names, results (tables)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ImageContent, TextContent
from pydantic import ValidationError

from engine.config import MCPServerSection, validate_config
from engine.errors import ConfigError
from engine.tools.mcp_client import ServerTool, is_connection_lost
from engine.tools.mcp_tools import MCPToolSource, arguments_model, cut, result_text, schema_is_usable, schema_problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"name": "notes", "command": ["python3", "server.py"]}, None),
        ({"name": "web-1", "url": "http://127.0.0.1:8000/mcp", "timeout_s": 2.5}, None),
        ({"name": "notes", "command": ["srv"], "env": {"TOKEN_FILE": "/x"}, "read_only_tools": ["add"]}, None),
        ({"name": "notes"}, "exactly one of command"),
        ({"name": "notes", "command": ["srv"], "url": "http://h/mcp"}, "exactly one of command"),
        ({"name": "notes", "command": []}, "at least 1 item"),
        ({"name": "notes", "command": [" "]}, "the first item must be the program"),
        ({"name": "notes", "url": "ftp://h/mcp"}, "should match pattern"),
        ({"name": "my notes", "command": ["srv"]}, "should match pattern"),
        ({"name": "", "command": ["srv"]}, "at least 1 character"),
        ({"name": "notes", "url": "http://h/mcp", "env": {"A": "1"}}, "only a stdio server"),
        ({"name": "notes", "command": ["srv"], "timeout_s": 0}, "greater than 0"),
        ({"name": "notes", "command": ["srv"], "args": ["x"]}, "Extra inputs are not permitted"),
    ],
)
def test_server_table(table: dict[str, Any], problem: str | None) -> None:
    if problem is None:
        assert MCPServerSection.model_validate(table).name == table["name"]
    else:
        with pytest.raises(ValidationError, match=problem):
            MCPServerSection.model_validate(table)


def test_a_bad_server_table_is_reported_with_its_key_and_file() -> None:
    default = ROOT / "config.toml"
    with default.open("rb") as fh:
        base = tomllib.load(fh)
    user = Path("/home/u/.config/sova/config.toml")
    tables = {"tools": {"mcp": [{"name": "ok", "url": "http://127.0.0.1:1/mcp"}, {"name": "bad"}]}}
    with pytest.raises(ConfigError) as caught:
        validate_config([(default, base), (user, tables)])
    assert caught.value.keys == ("tools.mcp.1",)
    assert caught.value.problems[0].startswith(f"{user}: tools.mcp.1: Value error, give exactly one of command")


SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    "required": ["text"],
}


@pytest.mark.parametrize(
    ("value", "problems"),
    [
        ({"text": "hi"}, []),
        ({"text": "hi", "count": 2}, []),
        ({}, ["'text' is a required property"]),
        ({"text": 3}, ["text: 3 is not of type 'string'"]),
        ({"text": "hi", "count": 0}, ["count: 0 is less than the minimum of 1"]),
    ],
)
def test_schema_problems(value: dict[str, Any], problems: list[str]) -> None:
    assert schema_problems(SCHEMA, value) == problems


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        (SCHEMA, None),
        ({"type": "object"}, None),
        ({"type": "array"}, 'its input schema is not of type "object"'),
        ({"type": "object", "properties": {"a": {"type": "no-such-type"}}}, "its input schema is invalid"),
    ],
)
def test_schema_is_usable(schema: dict[str, Any], why: str | None) -> None:
    got = schema_is_usable(schema)
    assert got == why if why is None else (got is not None and got.startswith(why))


def test_arguments_model_checks_the_server_schema_and_keeps_the_values() -> None:
    model = arguments_model("notes.add", SCHEMA)
    assert model.model_validate({"text": "купить хлеб", "count": 2}).model_dump() == {"text": "купить хлеб", "count": 2}
    with pytest.raises(ValidationError, match="'text' is a required property"):
        model.model_validate({"count": 2})
    assert arguments_model("other", {"type": "object"}).server_schema == {"type": "object"}  # each its own


@pytest.mark.parametrize(
    ("content", "structured", "text"),
    [
        ([TextContent(text="a"), TextContent(text="b")], None, "a\nb"),
        ([ImageContent(data="", mime_type="image/png")], None, "[an image, image/png]"),
        ([], {"sum": 3}, '{"sum": 3}'),
        ([], None, ""),
        ([TextContent(text="x" * 30)], None, "x" * 25 + "\n[cut: 5 of 30 characters not shown]"),
    ],
)
def test_result_text(content: list[Any], structured: Any, text: str) -> None:
    result = CallToolResult(content=content, structured_content=structured)
    assert result_text(result, limit=25) == text


def test_cut() -> None:
    assert cut("short", 10) == "short"
    assert cut("abcdef", 3) == "abc\n[cut: 3 of 6 characters not shown]"


def test_wrap_names_specs_and_leaves_out_unusable_tools() -> None:
    config = MCPServerSection(name="notes", command=["srv"], read_only_tools=["tidy"])
    source = MCPToolSource(config)
    listed = [
        ServerTool("add", "Add a note.", SCHEMA, read_only=False),
        ServerTool("list", "List notes.", {"type": "object"}, read_only=True),
        ServerTool("tidy", "x" * 500, {"type": "object"}, read_only=False),
        ServerTool("bad name!", "", {"type": "object"}, read_only=True),
        ServerTool("add", "Again.", SCHEMA, read_only=True),
        ServerTool("arr", "", {"type": "array"}, read_only=True),
    ]
    tools, notices = source.wrap(listed)
    specs = {t.spec.name: t.spec for t in tools}
    assert list(specs) == ["notes.add", "notes.list", "notes.tidy"]
    assert {n: s.changes_world for n, s in specs.items()} == {
        "notes.add": True,
        "notes.list": False,
        "notes.tidy": False,
    }
    assert specs["notes.add"].source == "mcp:notes" and specs["notes.add"].schema() == SCHEMA
    assert specs["notes.tidy"].description["ru"].endswith("[cut: 100 of 500 characters not shown]")
    assert notices == [
        'MCP server "notes": tool "bad name!" left out: its name is not usable',
        'MCP server "notes": tool "add" left out: it is listed twice',
        'MCP server "notes": tool "arr" left out: its input schema is not of type "object"',
    ]


@pytest.mark.parametrize(
    ("exc", "lost"),
    [
        (MCPError(-32000, "Connection closed"), True),
        (ExceptionGroup("g", [ExceptionGroup("h", [MCPError(-32000, "Connection closed")])]), True),
        (anyio.ClosedResourceError(), True),
        (MCPError(-32001, "timed out"), False),
        (ValueError("x"), False),
    ],
)
def test_is_connection_lost(exc: BaseException, lost: bool) -> None:
    assert is_connection_lost(exc) is lost
