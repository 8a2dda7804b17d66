"""The eval-gated model update (seed 15): stage, verify, warm up, measure, then promote or roll back.

1. the file is copied into `models/staging/<txn>/` (hashed while copied) and checked against the
   manifest's sha256 (or the one pinned for an installed manual model);
2. warm-up: it is loaded through the registry's loader and answers the control prompts;
3. the gate suite runs on it, and 4. on the role's active model (the same suite);
5. the gate's `compare` decides: a metric dropping beyond its threshold rolls back (staging removed,
   the active model untouched, the reasons said); otherwise `promotion.promote` makes it active.

The gate is a parameter (`Gate`): the app passes `engine.eval.gate`'s functions; tests pass small ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from engine.config import SovaConfig
from engine.errors import ModelInstallError, SovaError
from engine.fileio import write_atomic
from engine.registry.active import LLM_ROLE_KEYS, role_model, staging_dir
from engine.registry.checksum import path_fingerprint
from engine.registry.manifest import Role
from engine.registry.promotion import Hook, Promotion, UpdateLock, check_config_editable, promote
from engine.registry.registry import ModelProvider, Registry, VerificationStore
from engine.registry.warmup import Warmup, warm_up
from engine.stages.options import LLMOptions

Decision = Literal["promoted", "rolled_back"]
_CHUNK = 4 * 1024 * 1024


class GateRunner(Protocol):
    """`engine.eval.gate.run_gate`'s shape: the gate suite on one model, for one role."""

    def __call__(
        self, config: SovaConfig, registry: Registry, model_id: str, role: str, *, data_dir: Path, budget_s: float = ...
    ) -> Any:
        """A report with `metrics`, `model_id`, `role`, `template_version`, `seconds`."""
        ...


class GateCompare(Protocol):
    """`engine.eval.gate.compare`: (decision, {metric: {candidate, baseline, delta, threshold, passed}}, reasons)."""

    def __call__(
        self, candidate: Any, baseline: Any, thresholds: Any, /
    ) -> tuple[str, dict[str, dict[str, Any]], list[str]]:
        """Decide from two reports."""
        ...


@dataclass(frozen=True)
class Gate:
    """The measuring half of an update: the suite, the comparison, the thresholds ([eval] in config)."""

    run: GateRunner
    compare: GateCompare
    thresholds: Any = None
    budget_s: float = 300.0


@dataclass(frozen=True)
class UpdateRequest:
    """`sova models update FILE --manifest ID [--role ROLE]`."""

    file: Path
    manifest_id: str
    role: Role | None = None


@dataclass
class UpdateResult:
    """What happened; `as_json()` is the command's `--json` output."""

    decision: Decision
    role: Role
    candidate: str
    baseline: str | None
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    step: str = ""  # where it ended: checksum, warmup, gate, compare, promoted
    candidate_sha256: str | None = None
    warmup: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the gate's own notes (suites skipped, budget spent)
    seconds: dict[str, float] = field(default_factory=dict)
    report: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON object `--json` prints and the report file holds."""
        return asdict(self)


def metric_json(report: Any) -> dict[str, dict[str, Any]]:
    """A gate report's metrics as {name: {value, low, high, n}}."""
    return {name: {"value": m.value, "low": m.low, "high": m.high, "n": m.n} for name, m in report.metrics.items()}


def stage_file(file: Path, dest: Path) -> str:
    """Copy `file` to `dest` (fsync'd), hashing it on the way; the hex sha256."""
    if not file.is_file():
        raise ModelInstallError(
            f"{file}: no such file" if not file.exists() else f"{file}: not a file (an LLM update takes one .gguf)"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with file.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _llm_options(config: SovaConfig, role: Role) -> LLMOptions:
    section = getattr(config.llm, role, None) if role != "optional_moe" else None
    if section is None:
        return LLMOptions(context_length=config.scheduler.moe.context_length, threads=config.scheduler.moe.threads)
    return LLMOptions(context_length=section.context_length, n_gpu_layers=section.n_gpu_layers, threads=section.threads)


def _with_provider(registry: Registry, provider: ModelProvider) -> Registry:
    """`registry` with `provider` standing in for the model of the same id (the staged copy)."""
    others = [p for p in registry if p.manifest.id != provider.manifest.id]
    return Registry([*others, provider], registry.problems)


def _check_request(registry: Registry, request: UpdateRequest) -> tuple[ModelProvider, Role]:
    provider = registry.get(request.manifest_id)
    manifest = provider.manifest
    if manifest.kind != "llm":
        raise ModelInstallError(
            f"{manifest.id} is a {manifest.kind} model: the update's gate measures language models only",
            hint=f"install it with `sova models add FILE --manifest {manifest.id}`",
        )
    role = request.role or manifest.role
    if role not in LLM_ROLE_KEYS:
        raise ModelInstallError(f"unknown role {role!r}", hint=f"use one of: {', '.join(LLM_ROLE_KEYS)}")
    return provider, role


def update_model(
    request: UpdateRequest,
    *,
    config: SovaConfig,
    registry: Registry,
    models_dir: Path,
    data_dir: Path,
    config_file: Path,
    gate: Gate,
    warmup: Warmup = warm_up,
    hook: Hook | None = None,
) -> UpdateResult:
    """Stage, verify, warm up, measure and promote or roll back `request.file` (seed 15)."""
    provider, role = _check_request(registry, request)
    check_config_editable(config_file)  # a config the promotion could not write fails now, not after the gate
    manifest = provider.manifest
    baseline_id = role_model(config, role)
    result = UpdateResult("rolled_back", role, manifest.id, baseline_id)
    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    with UpdateLock(models_dir).held():
        txn = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
        txn_root = staging_dir(models_dir) / txn
        staged_provider: ModelProvider | None = None
        try:
            staged_provider = _stage(request, provider, txn_root, result)
            if staged_provider is not None and _measure(
                staged_provider, config, registry, data_dir, gate, warmup, result
            ):
                t0 = time.monotonic()
                promotion = Promotion(
                    txn=txn,
                    role=role,
                    candidate_id=manifest.id,
                    sha256=result.candidate_sha256 or "",
                    size=staged_provider.path.stat().st_size,
                    revision=manifest.revision,
                    staged=str(staged_provider.path),
                    dest=str(provider.path),
                    pin=None if manifest.checksum_sha256 else str(provider.pin_file),
                    verified_store=str(data_dir / "state" / "verified.json"),
                    config_file=str(config_file),
                    baseline_id=baseline_id,
                )
                promote(models_dir, promotion, hook or (lambda _s: None))
                result.decision, result.step = "promoted", "promoted"
                result.seconds["promote"] = round(time.monotonic() - t0, 3)
        finally:
            if staged_provider is not None:
                staged_provider.unload()
            if result.decision == "rolled_back":
                shutil.rmtree(txn_root, ignore_errors=True)
    result.seconds["total"] = round(time.monotonic() - started, 3)
    result.report = str(_write_report(data_dir, result))
    return result


def _stage(
    request: UpdateRequest, provider: ModelProvider, txn_root: Path, result: UpdateResult
) -> ModelProvider | None:
    """Steps 1: copy and verify; the staged provider, or None (rolled back, `result` says why)."""
    t0 = time.monotonic()
    manifest = provider.manifest
    store = VerificationStore(txn_root / ".verified.json")
    staged_provider = ModelProvider(manifest, provider.source_file, txn_root, store)
    sha = stage_file(request.file, staged_provider.path)
    result.candidate_sha256 = sha
    result.seconds["stage"] = round(time.monotonic() - t0, 3)
    result.step = "checksum"
    expected = provider.expected_sha256()  # the manifest's, else the one pinned for the installed file
    if expected and sha != expected and not manifest.skip_checksum:
        whose = "manifest" if manifest.checksum_sha256 else f"file installed for {manifest.id} (pinned)"
        result.reasons.append(
            f"checksum: {request.file} has sha256 {sha}, the {whose} expects {expected}: not the file "
            f"{manifest.id} describes (a new version needs a new manifest id, seed 10)"
        )
        return None
    # hashed while copied: the staged copy's record spares the loader a second pass over the file
    store.put(staged_provider.path, path_fingerprint(staged_provider.path), sha)
    if not manifest.checksum_sha256:
        staged_provider.pin_file.write_text(sha + "\n")
    return staged_provider


def _measure(
    staged: ModelProvider,
    config: SovaConfig,
    registry: Registry,
    data_dir: Path,
    gate: Gate,
    warmup: Warmup,
    result: UpdateResult,
) -> bool:
    """Steps 2-5 on a staged candidate; True to promote, else `result.reasons` say why not."""
    role = result.role
    t0 = time.monotonic()
    result.step = "warmup"
    warmed = warmup(staged, _llm_options(config, role))
    result.warmup = [{"prompt": p, "reply": r} for p, r in warmed.replies]
    result.seconds["warmup"] = round(time.monotonic() - t0, 3)
    if not warmed.ok:
        result.reasons.append(warmed.reason)
        return False
    result.step = "gate"
    t0 = time.monotonic()
    try:
        registry_with_candidate = _with_provider(registry, staged)
        candidate = gate.run(
            config, registry_with_candidate, staged.manifest.id, role, data_dir=data_dir, budget_s=gate.budget_s
        )
    except SovaError as exc:
        result.reasons.append(f"gate: the candidate could not be measured: {exc}")
        return False
    finally:
        staged.unload()  # the baseline is measured next: never two models of a role in memory
    result.seconds["gate_candidate"] = round(time.monotonic() - t0, 3)
    result.notes.extend(f"candidate: {note}" for note in getattr(candidate, "notes", ()))
    baseline = _baseline_report(config, registry, data_dir, gate, result)
    result.step = "compare"
    if baseline is None:
        result.metrics = {
            name: {"candidate": v["value"], "baseline": None, "delta": None, "threshold": None, "passed": True}
            for name, v in metric_json(candidate).items()
        }
        return True
    result.notes.extend(f"baseline: {note}" for note in getattr(baseline, "notes", ()))
    decision, per_metric, reasons = gate.compare(candidate, baseline, gate.thresholds)
    result.metrics = per_metric
    result.reasons.extend(reasons)
    return decision == "promoted"


def _baseline_report(config: SovaConfig, registry: Registry, data_dir: Path, gate: Gate, result: UpdateResult) -> Any:
    """The gate's report on the role's active model; None (with a reason) when there is none to measure."""
    baseline_id = result.baseline
    if baseline_id is None or baseline_id not in registry or not registry.get(baseline_id).status().installed:
        result.reasons.append(f"no installed active model for role {result.role}: nothing to compare with")
        return None
    t0 = time.monotonic()
    provider = registry.get(baseline_id)
    try:
        return gate.run(config, registry, baseline_id, result.role, data_dir=data_dir, budget_s=gate.budget_s)
    except SovaError as exc:
        result.reasons.append(f"the active model {baseline_id} could not be measured ({exc.message}): not compared")
        return None
    finally:
        provider.unload()
        result.seconds["gate_baseline"] = round(time.monotonic() - t0, 3)


def _write_report(data_dir: Path, result: UpdateResult) -> Path:
    path = data_dir / "reports" / f"{time.strftime('%Y-%m-%d-%H%M%S')}-model-update-{result.role}.json"
    result.report = str(path)
    write_atomic(path, json.dumps(result.as_json(), indent=1, ensure_ascii=False))
    return path
