"""The tool registry: every tool by name, the planner's JSON schema, and calls that never raise.

`ToolRegistry.call` validates the arguments (the tool's pydantic model; an MCP tool's JSON schema
too) before the call and turns invalid arguments, an exception or a timeout into a failed
`ToolResult` with a plain reason — the model reads it and the user hears about it; the turn goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from pydantic import ValidationError

from engine.events import ToolCallRecord
from engine.stages.base import SpokenLanguage
from engine.tools.base import Tool, ToolContext, ToolResult, ToolSpec

log = logging.getLogger(__name__)

#: the longest result text kept in a call's record (the transcript keeps the whole text)
RECORD_CHARS = 500


class ToolRegistry:
    """Tools by name, in the order they were registered (the router tries them in that order)."""

    def __init__(self, tools: Iterable[Tool] = (), *, timeout_s: float = 10.0) -> None:
        self._tools: dict[str, Tool] = {}
        self.timeout_s = timeout_s
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        """Add a tool; a second tool with the same name is refused (ValueError)."""
        name = tool.spec.name
        if name in self._tools:
            raise ValueError(f"a tool named {name!r} is already registered ({self._tools[name].spec.source})")
        self._tools[name] = tool

    def unregister(self, name: str) -> None:
        """Drop a tool (an MCP server that went away); no error when there is none."""
        self._tools.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    @property
    def names(self) -> tuple[str, ...]:
        """Every tool's name, in registration order."""
        return tuple(self._tools)

    def get(self, name: str) -> Tool | None:
        """The tool named `name`, or None."""
        return self._tools.get(name)

    def specs(self, language: SpokenLanguage | None = None) -> list[ToolSpec]:
        """Every tool's spec (`language` is accepted for symmetry with `describe`)."""
        return [tool.spec for tool in self._tools.values()]

    def describe(self, language: SpokenLanguage, names: Iterable[str] | None = None) -> str:
        """One line per tool, "name: description", for the planner's prompt."""
        chosen = self.names if names is None else [n for n in names if n in self._tools]
        lines = []
        for name in chosen:
            spec = self._tools[name].spec
            text = spec.description.get(language) or next(iter(spec.description.values()), "")
            lines.append(f"- {name}: {text}")
        return "\n".join(lines)

    def plan_schema(self, names: Iterable[str] | None = None, *, max_calls: int = 3) -> dict[str, Any]:
        """The JSON schema of a plan over these tools (default: all): `{"calls": [...]}`, empty = no tool.

        Each call is one branch of an `anyOf` that ties `tool` to that tool's argument schema, so a
        grammar built from it cannot pair one tool's name with another's arguments.
        """
        chosen = self.names if names is None else tuple(n for n in names if n in self._tools)
        branches = [
            {
                "type": "object",
                "properties": {
                    "tool": {"const": name},
                    "args": inline_schema(self._tools[name].spec.schema(), grammar=True),
                },
                "required": ["tool", "args"],
                "additionalProperties": False,
            }
            for name in chosen
        ]
        calls: dict[str, Any] = {"type": "array", "minItems": 0, "maxItems": max_calls if branches else 0}
        if branches:
            calls["items"] = {"anyOf": branches}
        return {"type": "object", "properties": {"calls": calls}, "required": ["calls"], "additionalProperties": False}

    async def call(self, name: str, raw_args: Any, context: ToolContext) -> tuple[ToolCallRecord, ToolResult]:
        """Validate and run one call; every failure becomes `ok=False` with a plain reason. Never raises."""
        args_dict: dict[str, Any] = dict(raw_args) if isinstance(raw_args, dict) else {}
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self.names) or "none"
            return _failed(name, args_dict, f"there is no tool named {name!r} (tools: {known})")
        if not isinstance(raw_args, dict):
            return _failed(name, args_dict, f"the arguments of {name} must be an object, not {type(raw_args).__name__}")
        problem = _schema_problem(tool.spec, raw_args)
        if problem is not None:
            return _failed(name, args_dict, f"invalid arguments for {name}: {problem}")
        try:
            args = tool.spec.args.model_validate(raw_args)
        except ValidationError as exc:
            return _failed(name, args_dict, f"invalid arguments for {name}: {_first_error(exc)}")
        try:
            result = await asyncio.wait_for(tool.call(args, context), self.timeout_s)
        except TimeoutError:
            return _failed(name, args_dict, f"{name} did not answer within {self.timeout_s:g} s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("tool %s failed", name, exc_info=True)
            return _failed(name, args_dict, f"{name} failed: {type(exc).__name__}: {exc}")
        record = ToolCallRecord(name=name, args=args_dict, ok=result.ok, result=result.text[:RECORD_CHARS])
        return record, result


def _failed(name: str, args: dict[str, Any], reason: str) -> tuple[ToolCallRecord, ToolResult]:
    return ToolCallRecord(name=name, args=args, ok=False, result=reason[:RECORD_CHARS]), ToolResult(False, reason)


def _schema_problem(spec: ToolSpec, raw: dict[str, Any]) -> str | None:
    if spec.json_schema is None:
        return None
    try:
        jsonschema.validate(raw, dict(spec.json_schema))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        return f"{where}: {exc.message}" if where else exc.message
    except jsonschema.SchemaError as exc:
        return f"the tool's own schema is invalid: {exc.message}"
    return None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid"))


#: string limits llama.cpp's grammar spells out character by character (a 2000-character limit is a
#: grammar of thousands of nested rules that slows every sampled token); the call validates them anyway
_GRAMMAR_DROPS = frozenset({"maxLength", "minLength"})


def inline_schema(schema: dict[str, Any], *, grammar: bool = False) -> dict[str, Any]:
    """`schema` with local `$ref`s replaced by their `$defs` and titles dropped (a smaller grammar).

    `grammar`: also drop string length limits, which the grammar would spell out character by character.
    """
    defs = schema.get("$defs", {})
    drops = _GRAMMAR_DROPS if grammar else frozenset()

    def walk(node: Any, depth: int) -> Any:
        if depth > 20:
            return {}
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
                return walk(defs[ref[8:]], depth + 1)
            # a "title" whose value is text is a label; a property may itself be named "title" (a dict)
            return {
                k: walk(v, depth + 1)
                for k, v in node.items()
                if k != "$defs"
                and not (k == "title" and isinstance(v, str))
                and not (k in drops and isinstance(v, int))
            }
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    out = walk(schema, 0)
    return out if isinstance(out, dict) else {}
