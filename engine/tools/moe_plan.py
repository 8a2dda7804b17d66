"""The on-demand MoE (gpt-oss) as the planner, in its native function calling ("harmony").

gpt-oss was trained to call functions declared in its developer message as a TypeScript-like
namespace (`namespace functions { type name = (_: {...}) => any; }`) and to answer with a message
addressed `to=functions.<name>` whose body is the JSON arguments. `moe_messages` declares the
candidate tools that way (names and argument schemas from the registry), for the MoE to answer freely
(no JSON grammar: that would forbid the harmony markers); `read_plan` turns the call(s) into the
internal `Plan` with `harmony_to_plan`. llama.cpp may drop the special
tokens from the text it returns (`<|message|>`, `<|call|>`), so a tolerant reading of
`to=functions.<name> … {json}` backs it up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from engine.stages.base import ChatMessage, SpokenLanguage
from engine.tools.harmony import harmony_to_plan
from engine.tools.planner import EMPTY_PLAN, Plan, PlannedCall, plan_from_json
from engine.tools.registry import ToolRegistry, inline_schema

_INSTRUCTIONS = (
    "You decide which functions answer the user's request. Call a function when one is needed, "
    "copying numbers, times and names from the user's words exactly; never compute a result yourself. "
    "When no function is needed, answer in one short sentence without calling any."
)
_RECIPIENT = re.compile(r"to=functions\.(?P<name>[A-Za-z0-9_.\-]+)")
_TS_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def ts_type(schema: Any) -> str:
    """A JSON schema as the TypeScript-like type gpt-oss reads (pure; unknown shapes are `any`)."""
    if not isinstance(schema, dict):
        return "any"
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if isinstance(schema.get("enum"), list):
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"]) or "any"
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " | ".join(ts_type(s) for s in schema[key]) or "any"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(ts_type({**schema, "type": k}) for k in kind) or "any"
    if kind == "string":
        return "string"
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        return f"{ts_type(schema.get('items'))}[]"
    if kind == "object" or "properties" in schema:
        return ts_object(schema)
    return "any"


def ts_object(schema: dict[str, Any]) -> str:
    """An object schema as gpt-oss reads it: `{`, a `name?: type,` line per property after its `// description`, `}`."""
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return "{}"
    required = set(schema.get("required") or ())
    lines = ["{"]
    for name, prop in props.items():
        prop = prop if isinstance(prop, dict) else {}
        if isinstance(prop.get("description"), str) and prop["description"]:
            lines.append(f"// {_one_line(prop['description'])}")
        key = name if _TS_NAME.match(name) else json.dumps(name)
        optional = "" if name in required else "?"
        default = f" // default: {json.dumps(prop['default'], ensure_ascii=False)}" if "default" in prop else ""
        lines.append(f"{key}{optional}: {ts_type(prop)},{default}")
    lines.append("}")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def functions_namespace(registry: ToolRegistry, names: Sequence[str], language: SpokenLanguage = "en") -> str:
    """The developer message's tools section for `names`, in gpt-oss's format (pure)."""
    blocks = []
    for name in names:
        tool = registry.get(name)
        if tool is None:
            continue
        spec = tool.spec
        text = spec.description.get(language) or next(iter(spec.description.values()), "")
        schema = inline_schema(spec.schema())
        args = "()" if not schema.get("properties") else f"(_: {ts_object(schema)})"
        blocks.append(f"// {_one_line(text)}\ntype {name} = {args} => any;")
    body = "\n\n".join(blocks)
    return f"# Tools\n\n## functions\n\nnamespace functions {{\n\n{body}\n\n}} // namespace functions"


def loose_calls(text: str, allowed: Sequence[str]) -> Plan:
    """Calls read without the special tokens: `to=functions.<name>`, then its first JSON object (pure)."""
    decoder = json.JSONDecoder()
    calls = []
    for m in _RECIPIENT.finditer(text):
        name = m.group("name")
        if name not in allowed:
            continue
        end = text.find("to=functions.", m.end())
        window = text[m.end() : end if end >= 0 else len(text)]
        start = window.find("{")
        if start < 0:
            continue  # gpt-oss writes `{}` for a call without arguments; no object at all is no call
        try:
            args, _ = decoder.raw_decode(window[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(args, dict):
            calls.append(PlannedCall(name, args))
    return Plan(tuple(calls), "model") if calls else EMPTY_PLAN


def plan_from_harmony(text: str, allowed: Sequence[str], limit: int = 3) -> Plan:
    """The calls in a gpt-oss completion, with or without its special tokens, at most `limit` (pure)."""
    plan = harmony_to_plan(text, allowed)
    if not plan.calls:
        plan = loose_calls(text, allowed)
    return Plan(plan.calls[:limit], plan.source) if plan.calls else EMPTY_PLAN


def moe_messages(question: str, registry: ToolRegistry, names: Sequence[str]) -> list[ChatMessage]:
    """The developer message (instructions and the functions namespace) and the user's words.

    The MoE adds its reasoning-effort line (`Reasoning: low`) to the developer message itself.
    """
    developer = f"{_INSTRUCTIONS}\n\n{functions_namespace(registry, names)}"
    return [ChatMessage("system", developer), ChatMessage("user", question)]


def read_plan(text: str, native_format: str | None, allowed: Sequence[str], limit: int = 3) -> Plan:
    """The plan in a planner's answer: its own function calling ("harmony") or the internal JSON (pure)."""
    if native_format == "harmony":
        return plan_from_harmony(text, allowed, limit)
    plan = plan_from_json(text, allowed)
    return Plan(plan.calls[:limit], plan.source) if plan.calls else EMPTY_PLAN
