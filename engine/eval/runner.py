"""Runs the suites on one model and gathers what a report records (models, judge, template, machine, seeds).

`run_model` starts the engine once with the model under test, runs the chosen suites in order, then
derives token efficiency from every turn and, when asked, the judge's agreement with the labelled set.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.bench.stats import machine
from engine.config import SovaConfig
from engine.eval import suites as builtin
from engine.eval.adapters import EXTERNAL_SUITES, run_external
from engine.eval.judge import load_labels
from engine.eval.metrics import BOOTSTRAP_SEED, MetricValue
from engine.eval.scenarios import Scenario, gate_items, load_suite
from engine.eval.session import EVAL_DIR, EVAL_MAX_OUTPUT_TOKENS, ModelSession, open_session
from engine.eval.suites import SuiteResult
from engine.registry.registry import Registry

#: every suite, in the order they run (token efficiency and the judge's agreement come after them)
ALL_SUITES = ("persona", "relevance", "hallucination", "emotion", "memory", "tools", "token_efficiency", "judge")
#: run only when asked for by name (`--suite memory_answers`): minutes of CPU
OPTIONAL_SUITES = ("memory_answers",)
GATE_SUITES = ("persona", "relevance", "hallucination", "tools")
_BUILTIN = {
    "persona": builtin.run_persona,
    "relevance": builtin.run_relevance,
    "hallucination": builtin.run_hallucination,
    "emotion": builtin.run_emotion,
}
SCENARIOS_DIR = EVAL_DIR / "scenarios"
LABELS_FILE = EVAL_DIR / "labels" / "judge.yaml"


@dataclass
class ModelRun:
    """One model's measurements and everything needed to reproduce them."""

    model_id: str
    role: str
    suites: list[SuiteResult] = field(default_factory=list)
    template_version: str = ""
    judges: list[str] = field(default_factory=list)
    models: dict[str, dict[str, str | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    date: str = ""

    @property
    def metrics(self) -> dict[str, MetricValue]:
        """Every metric of every suite, by name."""
        return {name: m for s in self.suites for name, m in s.metrics.items()}

    def to_json(self) -> dict[str, Any]:
        """The JSON report of this run."""
        return {
            "date": self.date,
            "model": self.model_id,
            "role": self.role,
            "models": self.models,
            "judge": self.judges,
            "template_version": self.template_version,
            "machine": machine(),
            "seeds": {"llm_temperature": 0.0, "llm_top_p": 1.0, "bootstrap_seed": BOOTSTRAP_SEED,
                      "max_output_tokens": EVAL_MAX_OUTPUT_TOKENS,
                      "note": "greedy decoding (temperature 0): llama.cpp's sampling seed does not change the reply"},
            "seconds": round(self.seconds, 1),
            "metrics": {name: m.to_json() for name, m in self.metrics.items()},
            "suites": [s.to_json() for s in self.suites],
            "notes": self.notes,
        }


def validate_suites(names: Sequence[str] | None) -> list[str]:
    """The suites to run, in their order; a ScenarioError names an unknown one."""
    if not names:
        return list(ALL_SUITES)
    known = (*ALL_SUITES, *OPTIONAL_SUITES)
    unknown = [n for n in names if n not in known]
    if unknown:
        from engine.eval.scenarios import ScenarioError

        raise ScenarioError([f"unknown suite {n!r} (known: {', '.join(known)})" for n in unknown])
    return [s for s in known if s in names]


def load_items(suites: Sequence[str], *, gate: bool = False, per_suite: int | None = None) -> dict[str, list[Scenario]]:
    """The scenario items of the built-in suites (validated before any model loads)."""
    items: dict[str, list[Scenario]] = {}
    for suite in suites:
        if suite in _BUILTIN:
            found = load_suite(SCENARIOS_DIR, suite)
            chosen = gate_items(found) if gate else found
            items[suite] = chosen[:per_suite] if per_suite else chosen
    return items


def model_record(registry: Registry, model_id: str) -> dict[str, str | None]:
    """A model's id, revision and sha256 as the registry knows them."""
    if model_id not in registry:
        return {"id": model_id, "revision": None, "sha256": None}
    provider = registry.get(model_id)
    return {"id": model_id, "revision": provider.manifest.revision, "sha256": provider.expected_sha256()}


async def run_model(
    config: SovaConfig,
    registry: Registry,
    model_id: str,
    role: str,
    suites: Sequence[str],
    *,
    items: dict[str, list[Scenario]] | None = None,
    data_dir: Path | None = None,
    gate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ModelRun:
    """Run `suites` with `model_id` answering; every metric with n and an interval.

    `gate`: the tools suite runs its small (`reduced`) subset. `progress` gets a line per suite started
    and ended (a full run takes minutes).
    """
    started = time.perf_counter()
    items = items if items is not None else load_items(suites)
    run = ModelRun(model_id, role, date=datetime.now(UTC).isoformat(timespec="seconds"))
    with tempfile.TemporaryDirectory(prefix="sova-eval-", dir=data_dir) as tmp:
        session = await open_session(config, registry, model_id, role, Path(tmp))
        try:
            await _run_suites(session, suites, items, run, gate, progress or (lambda _line: None))
        finally:
            run.template_version = session.template_version
            run.notes.extend(session.notes)
            run.judges = sorted(session.judge.models)
            stages = session.assistant.stages
            used = {"llm": model_id, "judge_stand_in": config.llm.primary.id, "moe": config.scheduler.moe.model}
            if stages is not None:
                used |= {"lightweight": stages.lightweight.model.model_id, "stt": stages.stt.model_id}
                used |= {f"tts_{lang}": v.model_id for lang, v in stages.tts.voices.items()}
                if stages.embedder is not None:
                    used["embeddings"] = config.embeddings.main.id
            run.models = {role_name: model_record(registry, mid) for role_name, mid in used.items()}
            await session.close()
    run.seconds = time.perf_counter() - started
    return run


async def _run_suites(
    session: ModelSession,
    suites: Sequence[str],
    items: dict[str, list[Scenario]],
    run: ModelRun,
    gate: bool,
    progress: Callable[[str], None],
) -> None:
    for suite in suites:
        t0 = time.perf_counter()
        count = f" ({len(items[suite])} items)" if suite in items else ""
        progress(f"  {suite}{count} ...")
        if suite in _BUILTIN:
            chosen = items.get(suite, [])
            result = await _BUILTIN[suite](session, chosen) if chosen else SuiteResult(suite, skipped="no items")
        elif suite in EXTERNAL_SUITES:
            result = await run_external(suite, session, gate=gate)
        elif suite == "token_efficiency":
            result = builtin.token_efficiency_suite(session)
        else:  # the judge's agreement with the hand-labelled set
            result = await builtin.run_judge(session, load_labels(LABELS_FILE))
        result.seconds = time.perf_counter() - t0
        run.suites.append(result)
        progress(f"  {suite}: {'skipped' if result.skipped else 'done'} in {result.seconds:.0f} s")
