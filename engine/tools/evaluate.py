"""The tool scenario set, scored: right tool with right arguments, false tool calls, routing latency.

    .venv/bin/python -m engine.tools.evaluate                     # rules first, the 0.5B model after
    .venv/bin/python -m engine.tools.evaluate --planner model --model primary   # the model alone
    .venv/bin/python -m engine.tools.evaluate --reduced --planner rules         # the CI subset

Scenarios are eval/scenarios/tools/*.yaml (see its README). Every scenario runs against a fresh
registry in a temporary folder at a fixed `now` (2026-11-29 10:00, Europe/Moscow), so relative times
are checkable; the calls really run (a reminder is really stored, a sum really computed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from engine.cancel import CancelToken
from engine.memory.types import MemoryHit, MemoryItem, MemoryKind
from engine.stages.base import SpokenLanguage
from engine.tools.base import ToolContext
from engine.tools.builtin import builtin_tools
from engine.tools.builtin.memory_tools import memory_tools
from engine.tools.builtin.safe_eval import CalcError, evaluate
from engine.tools.planner import Generate, Plan, Planner
from engine.tools.registry import ToolRegistry
from engine.tools.router import Router
from engine.tools.timeparse import parse_when

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "eval" / "scenarios" / "tools"
ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=ZONE)
DUE_TOLERANCE_S = 60.0



class _NoMemory:
    """An empty long-term memory: the memory tools run and find nothing (the scenarios score the routing)."""

    def search(self, query: str, k: int | None = None, *, gated: bool = True) -> list[MemoryHit]:
        return []

    def items(self, *, kind: MemoryKind | None = None, include_superseded: bool = True) -> list[MemoryItem]:
        return []

    def forget(self, memory_id: int) -> bool:
        return False

@dataclass(frozen=True)
class Scenario:
    """One utterance and what it should do."""

    text: str
    language: SpokenLanguage
    form: str
    tool: str | None
    expect: dict[str, Any]
    reduced: bool = False


@dataclass
class Score:
    """The figures of one run."""

    tool_n: int = 0
    tool_right: int = 0
    none_n: int = 0
    none_false: int = 0
    route_ms_none: list[float] = field(default_factory=list)
    plan_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The figures for docs/tools.md and the CI test."""
        route = sorted(self.route_ms_none)
        return {
            "right_tool_right_args": self.tool_right / self.tool_n if self.tool_n else 0.0,
            "tool_n": self.tool_n,
            "false_tool": self.none_false / self.none_n if self.none_n else 0.0,
            "none_n": self.none_n,
            "route_ms_p50": _pct(route, 50),
            "route_ms_p95": _pct(route, 95),
            "plan_ms_p50": _pct(sorted(self.plan_ms), 50),
            "plan_ms_p95": _pct(sorted(self.plan_ms), 95),
            "failures": self.failures,
        }


def _pct(values: Sequence[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 3)


def load_scenarios(folder: Path = SCENARIOS, *, reduced: bool = False) -> list[Scenario]:
    """Every scenario in `folder`'s YAML files (only the `reduced: true` ones when asked)."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            keys = {"text", "language", "form", "tool", "reduced"}
            scenario = Scenario(
                text=str(item["text"]),
                language=item["language"],
                form=str(item.get("form", "typed")),
                tool=item.get("tool"),
                expect={k: v for k, v in item.items() if k not in keys},
                reduced=bool(item.get("reduced", False)),
            )
            if scenario.reduced or not reduced:
                out.append(scenario)
    return out


def args_match(scenario: Scenario, args: dict[str, Any]) -> str | None:
    """None when `args` satisfy the scenario's tolerance rule, else what is wrong (pure)."""
    expect = scenario.expect
    if scenario.tool == "calculator":
        try:
            got, want = evaluate(str(args.get("expression", ""))), evaluate(str(expect["args"]["expression"]))
        except CalcError as exc:
            return f"expression {args.get('expression')!r}: {exc}"
        return None if abs(got.number - want.number) < 1e-9 else f"{args} != {expect['args']}"
    if scenario.tool == "convert_units":
        want = expect["args"]
        same_units = args.get("from_unit") == want["from_unit"] and args.get("to_unit") == want["to_unit"]
        close = abs(float(args.get("value", float("nan"))) - float(want["value"])) < 1e-9
        return None if same_units and close else f"{args} != {want}"
    if scenario.tool == "reminder_add":
        due = parse_when(str(args.get("when", "")), NOW)
        if due is None:
            return f"unparsed time {args.get('when')!r}"
        if "due_in_s" in expect:
            target = NOW + timedelta(seconds=float(expect["due_in_s"]))
        else:
            target = datetime.fromisoformat(str(expect["due_at"])).replace(tzinfo=ZONE)
        if abs((due - target).total_seconds()) > DUE_TOLERANCE_S:
            return f"due {due.isoformat()} != {target.isoformat()}"
        return _text_has(args, expect)
    if scenario.tool == "note_add":
        return _text_has(args, expect)
    return None if args == expect.get("args", {}) else f"{args} != {expect.get('args')}"


def _text_has(args: dict[str, Any], expect: dict[str, Any]) -> str | None:
    want = str(expect.get("text_has", "")).lower().replace("ё", "е")
    got = str(args.get("text", "")).lower().replace("ё", "е")
    return None if want in got else f"text {got!r} lacks {want!r}"


async def run(
    scenarios: Sequence[Scenario], generate: Generate | None, *, prefer_rules: bool = True, progress: bool = False
) -> Score:
    """Route and plan every scenario; run the planned calls; score them."""
    score = Score()
    with tempfile.TemporaryDirectory(prefix="sova-tools-eval-") as tmp:
        registry = ToolRegistry([*builtin_tools(Path(tmp), ZONE), *memory_tools(_NoMemory(), list)])
        router = Router(registry.specs())
        planner = Planner(registry, generate, prefer_rules=prefer_rules)
        for sc in scenarios:
            cancel = CancelToken()
            route, route_ms = router.decide(sc.text)
            plan: Plan | None = None
            start = time.perf_counter()
            if route.needed:
                context = ToolContext(sc.language, NOW, cancel)
                plan = planner.from_rules(sc.text, route, context)
                if plan is None:
                    plan = planner.from_model(sc.text, route, sc.language, cancel)
                score.plan_ms.append((time.perf_counter() - start) * 1000.0)
            calls = plan.calls if plan else ()
            if progress:
                shown = f"{calls[0].tool}({calls[0].args})" if calls else "-"
                print(f"{sc.text[:50]!r} -> {shown}", file=sys.stderr, flush=True)
            if sc.tool is None:
                score.none_n += 1
                score.route_ms_none.append(route_ms)
                if calls:
                    score.none_false += 1
                    score.failures.append(f"false tool: {sc.text!r} -> {calls[0].tool}({calls[0].args})")
                continue
            score.tool_n += 1
            problem = _check(sc, calls)
            if problem is None and calls:
                record, _ = await registry.call(calls[0].tool, calls[0].args, ToolContext(sc.language, NOW, cancel))
                problem = None if record.ok else f"call failed: {record.result}"
            if problem is None:
                score.tool_right += 1
            else:
                score.failures.append(f"{sc.text!r}: {problem}")
    return score


def _check(sc: Scenario, calls: Sequence[Any]) -> str | None:
    if not calls:
        return "no tool called"
    if calls[0].tool != sc.tool:
        return f"called {calls[0].tool}, expected {sc.tool}"
    return args_match(sc, dict(calls[0].args))


def _model_generate(role: str, threads: int) -> Generate:
    """The installed default lightweight or primary model as a plan writer (loaded here)."""
    from engine.registry.registry import Registry
    from engine.stages.llm.llama_cpp import load_model
    from engine.stages.options import LLMOptions
    from engine.tools.planner import model_generate

    model_id = {
        "lightweight": "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0",
        "primary": "qwen2.5-coder-1.5b-instruct-q4_k_m-v1.0",
    }[role]
    state = Path(tempfile.mkdtemp(prefix="sova-tools-eval-state-"))
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", state)
    model = load_model(registry.get(model_id), LLMOptions(threads=threads, context_length=2048))
    return model_generate(model)


def main(argv: Sequence[str] | None = None) -> int:
    """Score the scenario set and print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m engine.tools.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--planner", choices=("rules+model", "rules", "model"), default="rules+model")
    parser.add_argument("--model", choices=("lightweight", "primary"), default="lightweight")
    parser.add_argument("--reduced", action="store_true", help="only the scenarios marked reduced (the CI subset)")
    parser.add_argument("--threads", type=int, default=2, help="the model's threads (1 on a crowded machine)")
    parser.add_argument("--folder", type=Path, default=SCENARIOS, help="another scenario folder (e.g. heldout/)")
    args = parser.parse_args(argv)
    scenarios = load_scenarios(args.folder, reduced=args.reduced)
    generate = None if args.planner == "rules" else _model_generate(args.model, args.threads)
    score = asyncio.run(run(scenarios, generate, prefer_rules=args.planner != "model", progress=True))
    report = {"planner": args.planner, "model": None if generate is None else args.model, **score.as_json()}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
