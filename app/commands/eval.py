"""`sova eval`: measure answer quality on the scenario suites, optionally A/B between two models."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from app.paths import PROJECT_ROOT
from app.wiring import open_registry
from engine.config import SovaConfig
from engine.errors import ModelUnavailableError
from engine.eval.publish import publish
from engine.eval.runner import ModelRun, load_items, run_model, validate_suites
from engine.fileio import write_atomic
from engine.registry.registry import Registry


def _check_models(registry: Registry, model_ids: list[str]) -> None:
    for model_id in model_ids:
        if model_id not in registry:
            raise ModelUnavailableError(f"no manifest {model_id}", hint="see `sova models list` for the known ids")
        status = registry.get(model_id).status()
        if not status.installed:
            raise ModelUnavailableError(f"{model_id} is not installed: {status.reason}",
                                        hint="install it first (`sova models list` says how)")
        if registry.get(model_id).manifest.kind != "llm":
            raise ModelUnavailableError(f"{model_id} is not a language model", hint="pass an llm id to --llm/--ab")


async def _runs(config: SovaConfig, registry: Registry, model_ids: list[str], suites: list[str]) -> list[ModelRun]:
    items = load_items(suites)  # the scenario files are checked before any model loads
    runs = []
    for model_id in model_ids:
        print(f"evaluating {model_id} on {', '.join(suites)} ...", file=sys.stderr)
        runs.append(await run_model(config, registry, model_id, "primary", suites, items=items,
                                    progress=lambda line: print(line, file=sys.stderr, flush=True)))  # fmt: skip
    return runs


def _print(run: ModelRun) -> None:
    judges = ", ".join(run.judges) or "-"
    print(f"{run.model_id} ({run.seconds:.0f} s, template {run.template_version}, judge {judges})")
    for name, m in run.metrics.items():
        unit = f" {m.unit}" if m.unit else ""
        print(f"  {name:42} {m.value:8.3f}{unit}  [{m.low:.3f} .. {m.high:.3f}]  n={m.n}")
    for suite in run.suites:
        if suite.skipped:
            print(f"  {suite.suite}: skipped: {suite.skipped}")


def run_eval(config: SovaConfig, args: argparse.Namespace) -> int:
    """Run `sova eval`; errors propagate to the CLI boundary, which prints them with their exit code."""
    suites = validate_suites(args.suite)
    load_items(suites)
    registry, _ = open_registry(config)
    model_ids = list(args.ab) if args.ab else [args.llm or config.llm.primary.id]
    _check_models(registry, model_ids)
    runs = asyncio.run(_runs(config, registry, model_ids, suites))
    out_dir: Path = args.report or Path(config.eval.reports_dir).expanduser()
    if not out_dir.is_absolute():
        out_dir = PROJECT_ROOT / out_dir
    published = publish(runs, suites, out_dir)
    for run in runs:
        _print(run)
    for line in published.ab_lines:
        print(f"A/B: {line}")
    if args.json:
        write_atomic(args.json, json.dumps(published.data, ensure_ascii=False, indent=2))
    print(f"report: {published.markdown} (and its JSON and plots in {out_dir})", file=sys.stderr)
    return 0
