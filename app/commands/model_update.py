"""`sova models update FILE --manifest ID [--role ROLE] [--json]` and `sova models download ID`.

The update is seed 15's (engine/registry/staging.py): exit 0 when the candidate is promoted, 1 when it
is rolled back (the reasons are printed, and are in the report). A download fetches a manifest's
structured source (engine/registry/download.py), then hands an LLM to the update and any other model
to `sova models add` (the gate measures language models only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.paths import AppPaths, user_config_file
from engine.config import SovaConfig
from engine.errors import SovaError
from engine.registry.download import download_model
from engine.registry.install import add_user_file
from engine.registry.manifest import Role
from engine.registry.registry import Registry
from engine.registry.staging import Gate, UpdateRequest, UpdateResult, update_model

#: the exit status of a rolled-back update (a decision, not an error: the JSON says why)
ROLLED_BACK_EXIT = 1


def default_gate(config: SovaConfig) -> Gate:
    """The eval gate (`engine.eval.gate`) with the thresholds and budget of config's [eval] section."""
    try:
        from engine.eval import gate as eval_gate
    except ImportError as exc:
        raise SovaError(
            f"the eval gate is missing from this version of Sova ({exc})",
            hint="`sova models add FILE --manifest ID` installs a model without measuring it",
        ) from None

    def run_gate(
        config: SovaConfig, registry: Registry, model_id: str, role: str, *, data_dir: Path, budget_s: float = 300.0
    ) -> Any:
        # the gate drives the assistant's coroutines; the update itself is a plain command
        return asyncio.run(eval_gate.run_gate(config, registry, model_id, role, data_dir=data_dir, budget_s=budget_s))

    thresholds = eval_gate.thresholds_from_config(config)
    return Gate(run_gate, eval_gate.compare, thresholds, config.eval.gate_budget_s)


def run_update(
    config: SovaConfig, registry: Registry, paths: AppPaths, request: UpdateRequest, *, gate: Gate | None = None
) -> UpdateResult:
    """Run one update against the user's config file (never the repo's defaults)."""
    return update_model(
        request,
        config=config,
        registry=registry,
        models_dir=paths.models_dir,
        data_dir=paths.data_dir,
        config_file=user_config_file(),
        gate=gate or default_gate(config),
    )


def print_result(result: UpdateResult, as_json: bool) -> int:
    """Print the decision (text or one JSON object); the exit status."""
    if as_json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        verb = "PROMOTED" if result.decision == "promoted" else "ROLLED BACK"
        print(f"{verb}: {result.candidate} as {result.role} (active before: {result.baseline or 'none'})")
        for name, row in result.metrics.items():
            mark = "ok  " if row.get("passed") else "FAIL"
            print(
                f"  {mark} {name}: candidate {_num(row.get('candidate'))}, baseline {_num(row.get('baseline'))}, "
                f"delta {_num(row.get('delta'))}, threshold {_num(row.get('threshold'))}"
            )
        for reason in result.reasons:
            print(f"  - {reason}")
        print(f"report: {result.report}")
    return 0 if result.decision == "promoted" else ROLLED_BACK_EXIT


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def run(config: SovaConfig, registry: Registry, paths: AppPaths, args: argparse.Namespace) -> int:
    """Entry point for `sova models update` and `sova models download` (app/cli.py)."""
    if args.models_command == "update":
        role: Role | None = args.role
        request = UpdateRequest(args.file, args.manifest, role)
        return print_result(run_update(config, registry, paths, request), args.json)
    provider = registry.get(args.id)
    local = download_model(provider, cache_dir=None)
    print(f"downloaded {args.id}: {local}", file=sys.stderr)
    if provider.manifest.kind == "llm":
        # an LLM is measured against the active model of its role before it replaces it
        print(
            f"measuring it against the active {provider.manifest.role} model (`sova models update`)...", file=sys.stderr
        )
        result = run_update(config, registry, paths, UpdateRequest(local, args.id))
        return print_result(result, as_json=False)
    sha = add_user_file(provider, local)
    print(f"added {args.id} at {provider.path}\nsha256 {sha}")
    return 0
