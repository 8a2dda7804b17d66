"""gpt-oss "harmony" tool calls -> the internal plan (seed 19: the MoE plans through an adapter).

A harmony tool call is an assistant message addressed to a function, e.g.
`<|start|>assistant<|channel|>commentary to=functions.calculator <|constrain|>json<|message|>`
`{"expression": "2*3"}<|call|>` (one message; the recipient may also come before the channel).
Pure and tolerant: text that is not a tool call, or whose arguments are not a JSON object, adds no
call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from engine.tools.planner import EMPTY_PLAN, Plan, PlannedCall

_CALL = re.compile(
    r"to=functions\.(?P<name>[A-Za-z0-9_.\-]+)"  # the recipient
    r"(?:(?!<\|message\|>).)*?"  # channel and constraint markers, in either order
    r"<\|message\|>(?P<args>.*?)(?=<\|call\|>|<\|end\|>|<\|return\|>|<\|start\|>|\Z)",
    re.DOTALL,
)


def harmony_to_plan(text: str, allowed: Iterable[str] | None = None) -> Plan:
    """The tool calls in a harmony completion, in order, as a `Plan` (empty when there are none)."""
    names = None if allowed is None else set(allowed)
    calls = []
    for m in _CALL.finditer(text):
        name = m.group("name")
        if names is not None and name not in names:
            continue
        try:
            args = json.loads(m.group("args").strip() or "{}")
        except json.JSONDecodeError:
            continue
        if isinstance(args, dict):
            calls.append(PlannedCall(name, args))
    return Plan(tuple(calls), "model") if calls else EMPTY_PLAN
