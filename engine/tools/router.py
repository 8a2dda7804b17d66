"""Does this turn need a tool? The cheap decision, before any model runs (pure).

Rules, not a model: each tool's `spec.triggers` (regular expressions) are searched in the user's
words, as said and with number words written as digits ("двенадцать умножить на два" -> "12
умножить на 2"). Measured on the scenario set (docs/tools.md: well under a millisecond a turn), so
a turn that needs no tool pays nothing noticeable. Not chosen: the micro model (SmolLM2-135M is
English only, STACK.md) and nearest prototypes on the embeddings (cosine values crowd into a narrow
band, STACK.md); the rules already meet the targets.
An MCP tool that brings no triggers is reached when the user names its server ("notes" ->
`mcp:notes`) or the tool itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.tools.base import ToolSpec
from engine.tools.numwords import words_to_digits


@dataclass(frozen=True)
class RouteRule:
    """One tool's compiled triggers."""

    tool: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Route:
    """The decision: `tools` are the candidates, in registry order; none means answer without tools."""

    tools: tuple[str, ...]
    #: the pattern that matched first, for the record and for tests
    reason: str = ""

    @property
    def needed(self) -> bool:
        """Whether any tool may be needed."""
        return bool(self.tools)


NO_TOOL = Route(())


def rules_for(specs: Iterable[ToolSpec]) -> tuple[RouteRule, ...]:
    """Compile each tool's triggers (an MCP tool without triggers gets its server's and its own name)."""
    rules = []
    for spec in specs:
        patterns = list(spec.triggers)
        if not patterns and spec.source.startswith("mcp:"):
            server = spec.source[4:]
            patterns = [rf"\b{re.escape(server)}\b", rf"\b{re.escape(spec.name.replace('_', ' '))}\b"]
        rules.append(RouteRule(spec.name, tuple(re.compile(p, re.IGNORECASE) for p in patterns)))
    return tuple(rules)


def normalise(text: str) -> str:
    """The text the triggers are searched in: lower case, "ё" as "е", number words as digits."""
    return words_to_digits(text.lower().replace("ё", "е").strip())


def route(text: str, rules: Sequence[RouteRule]) -> Route:
    """The tools `text` may need, by the rules (pure)."""
    if not text.strip():
        return NO_TOOL
    said = text.lower().replace("ё", "е").strip()
    digits = normalise(text)
    found: list[str] = []
    reason = ""
    for rule in rules:
        for pattern in rule.patterns:
            if pattern.search(said) or pattern.search(digits):
                found.append(rule.tool)
                reason = reason or f"{rule.tool}: {pattern.pattern[:60]}"
                break
    return Route(tuple(found), reason)


class Router:
    """The rules of one registry's tools, compiled once; `decide` also times itself."""

    def __init__(self, specs: Iterable[ToolSpec]) -> None:
        self.rules = rules_for(specs)

    def decide(self, text: str) -> tuple[Route, float]:
        """The route and the milliseconds it took."""
        start = time.perf_counter()
        decision = route(text, self.rules)
        return decision, (time.perf_counter() - start) * 1000.0
