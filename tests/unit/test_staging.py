"""The model update's staging, promotion, rollback and crash safety, on tiny fake GGUF files.

The gate and the warm-up are small functions here: what these tests check is the checksum, the
decision's effect on disk and in the user's config, and that a kill -9 at any step of a promotion
leaves exactly one complete active model. The real gate on the real models is in
tests/integration/test_model_update.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.config import SovaConfig
from engine.errors import ConfigError, ModelInstallError
from engine.registry.active import active_uses, role_model
from engine.registry.promotion import (
    JOURNAL,
    STEPS,
    Promotion,
    UpdateLock,
    read_journal,
    read_state,
    recover,
    set_config_model,
)
from engine.registry.registry import Registry
from engine.registry.staging import Gate, UpdateRequest, update_model
from engine.registry.warmup import WarmupResult
from tests.harness.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "toy-1m-test-q4_0-v1.0", "toy-1m-test-q4_0-v1.1"
OLD_BYTES, NEW_BYTES = b"GGUF old weights " * 64, b"GGUF new weights " * 64
USER_CONFIG = '# my settings\n[llm.primary]\nid = "toy-1m-test-q4_0-v1.0"  # the one I use\ntemperature = 0.3\n'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(model_id: str, data: bytes, **changes: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "id": model_id,
        "family": "toy",
        "role": "primary",
        "path": f"toy/{model_id}.gguf",
        "format": "gguf",
        "quant": "Q4_0",
        "context_length": 512,
        "capabilities": ["chat"],
        "revision": "2026-11-29",
        "checksum_sha256": sha(data),
        "adapter": "llama_cpp",
        "kind": "llm",
        "languages": ["en"],
        "source": {"kind": "manual", "url": "https://example.invalid/toy.gguf"},
    }
    m.update(changes)
    return m


@dataclass
class Setup:
    root: Path
    models: Path
    data: Path
    config_file: Path
    candidate: Path  # the file the user offers

    def registry(self) -> Registry:
        return Registry.from_dirs([self.root / "manifests"], self.models, self.data / "state")

    def config(self) -> SovaConfig:
        return SovaConfig.model_validate(
            {"llm": {"primary": {"id": OLD}, "lightweight": {"id": OLD}}, "embeddings": {"main": {"id": "e5"}}}
        )


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "old.yaml").write_text(yaml.safe_dump(manifest(OLD, OLD_BYTES)))
    (manifests / "new.yaml").write_text(yaml.safe_dump(manifest(NEW, NEW_BYTES)))
    (manifests / "voice.yaml").write_text(
        yaml.safe_dump(manifest("toy-voice", b"v", kind="tts", adapter="piper", format="piper", quant=None))
    )
    models = tmp_path / "models"
    (models / "toy").mkdir(parents=True)
    (models / "toy" / f"{OLD}.gguf").write_bytes(OLD_BYTES)
    candidate = tmp_path / "downloads" / "new.gguf"
    candidate.parent.mkdir()
    candidate.write_bytes(NEW_BYTES)
    config_file = tmp_path / "user" / "config.toml"
    config_file.parent.mkdir()
    config_file.write_text(USER_CONFIG)
    return Setup(tmp_path, models, tmp_path / "data", config_file, candidate)


@dataclass(frozen=True)
class Metric:
    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Report:
    metrics: dict[str, Metric]
    model_id: str
    role: str
    template_version: str = "t1"
    seconds: float = 0.0


class ToyGate:
    """Scores each model by a table; compares persona against a 5% threshold, like the real gate."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.calls: list[tuple[str, str, str]] = []  # (model id, role, the file measured)

    def run(
        self, config: SovaConfig, registry: Registry, model_id: str, role: str, *, data_dir: Path, budget_s: float = 300
    ) -> Report:
        path = registry.get(model_id).path
        self.calls.append((model_id, role, str(path)))
        assert path.read_bytes()  # the file measured is complete
        value = self.scores[model_id]
        return Report({"persona": Metric(value, value - 0.01, value + 0.01, 20)}, model_id, role)

    @staticmethod
    def compare(cand: Any, base: Any, thresholds: Any) -> tuple[str, dict[str, dict[str, Any]], list[str]]:
        c, b = cand.metrics["persona"].value, base.metrics["persona"].value
        passed = c - b >= -thresholds["persona"]
        row = {"candidate": c, "baseline": b, "delta": c - b, "threshold": thresholds["persona"], "passed": passed}
        reasons = [] if passed else [f"persona dropped by {b - c:.2f}"]
        return ("promoted" if passed else "rolled_back"), {"persona": row}, reasons

    def gate(self) -> Gate:
        return Gate(self.run, self.compare, {"persona": 0.05})


def ok_warmup(provider: Any, options: Any) -> WarmupResult:
    assert provider.path.read_bytes()
    return WarmupResult(True, (("Say hi", "hi"),))


def update(s: Setup, gate: ToyGate, model_id: str = NEW, file: Path | None = None, **kw: Any) -> Any:
    return update_model(
        UpdateRequest(file or s.candidate, model_id, kw.pop("role", None)),
        config=s.config(),
        registry=s.registry(),
        models_dir=s.models,
        data_dir=s.data,
        config_file=s.config_file,
        gate=gate.gate(),
        warmup=kw.pop("warmup", ok_warmup),
        **kw,
    )


def staging_empty(s: Setup) -> bool:
    folder = s.models / "staging"
    return not folder.exists() or not any(folder.iterdir())


def test_a_better_candidate_is_promoted_and_the_user_config_names_it(setup: Setup) -> None:
    gate = ToyGate({OLD: 0.80, NEW: 0.82})
    result = update(setup, gate)
    assert result.decision == "promoted" and result.step == "promoted"
    assert (result.role, result.candidate, result.baseline) == ("primary", NEW, OLD)
    assert result.metrics["persona"]["passed"] is True
    # measured: the staged copy, then the active model, in the same role
    assert [(c[0], c[1]) for c in gate.calls] == [(NEW, "primary"), (OLD, "primary")]
    assert "/staging/" in gate.calls[0][2] and "/staging/" not in gate.calls[1][2]
    # the file is at its manifest's path, verified; the registry loads it as the primary's
    assert (setup.models / "toy" / f"{NEW}.gguf").read_bytes() == NEW_BYTES
    assert setup.registry().get(NEW).status().verified is True
    text = setup.config_file.read_text()
    assert f'id = "{NEW}"' in text and "# my settings" in text and "# the one I use" in text
    assert "temperature = 0.3" in text
    state = read_state(setup.models)["roles"]["primary"]
    assert (state["id"], state["sha256"], state["previous"]) == (NEW, sha(NEW_BYTES), OLD)
    assert read_journal(setup.models) is None and staging_empty(setup)
    report = json.loads(Path(result.report).read_text())
    assert report["decision"] == "promoted" and report["metrics"]["persona"]["baseline"] == 0.80


def test_a_worse_candidate_is_rolled_back_and_nothing_changes(setup: Setup) -> None:
    before = setup.config_file.read_bytes()
    result = update(setup, ToyGate({OLD: 0.80, NEW: 0.60}))
    assert result.decision == "rolled_back" and result.step == "compare"
    assert result.reasons == ["persona dropped by 0.20"]
    assert result.metrics["persona"] == {
        "candidate": 0.60,
        "baseline": 0.80,
        "delta": pytest.approx(-0.20),
        "threshold": 0.05,
        "passed": False,
    }
    assert setup.config_file.read_bytes() == before
    assert not (setup.models / "toy" / f"{NEW}.gguf").exists()
    assert read_state(setup.models) == {"roles": {}} and staging_empty(setup)
    assert json.loads(Path(result.report).read_text())["reasons"] == ["persona dropped by 0.20"]


def test_a_file_that_is_not_the_manifests_is_rolled_back_before_anything_runs(setup: Setup) -> None:
    setup.candidate.write_bytes(b"GGUF tampered")
    gate = ToyGate({OLD: 0.8, NEW: 0.9})
    result = update(setup, gate)
    assert result.decision == "rolled_back" and result.step == "checksum"
    assert sha(b"GGUF tampered") in result.reasons[0] and "expects" in result.reasons[0]
    assert gate.calls == [] and staging_empty(setup)


def test_a_model_that_fails_its_warm_up_is_rolled_back_before_the_gate(setup: Setup) -> None:
    gate = ToyGate({OLD: 0.8, NEW: 0.9})
    silent = lambda provider, options: WarmupResult(False, (("Say hi", ""),), "warm-up: answered nothing")  # noqa: E731
    result = update(setup, gate, warmup=silent)
    assert (result.decision, result.step, result.reasons) == ("rolled_back", "warmup", ["warm-up: answered nothing"])
    assert result.warmup == [{"prompt": "Say hi", "reply": ""}]
    assert gate.calls == [] and staging_empty(setup)


def test_the_active_model_restaged_is_promoted_and_its_file_kept(setup: Setup) -> None:
    active = setup.models / "toy" / f"{OLD}.gguf"
    inode = active.stat().st_ino
    result = update(setup, ToyGate({OLD: 0.8}), model_id=OLD, file=active)
    assert result.decision == "promoted" and result.candidate == result.baseline == OLD
    assert active.stat().st_ino == inode  # the identical file already in place is kept, not replaced
    assert f'id = "{OLD}"' in setup.config_file.read_text() and staging_empty(setup)


def test_role_offers_a_model_for_another_role(setup: Setup) -> None:
    result = update(setup, ToyGate({OLD: 0.8, NEW: 0.8}), role="lightweight")
    assert result.decision == "promoted" and result.role == "lightweight"
    text = setup.config_file.read_text()
    assert f'[llm.lightweight]\nid = "{NEW}"' in text and f'id = "{OLD}"  # the one I use' in text


def test_a_voice_is_not_gated_and_a_second_update_waits_its_turn(setup: Setup) -> None:
    with pytest.raises(ModelInstallError, match="sova models add FILE --manifest toy-voice"):
        update(setup, ToyGate({}), model_id="toy-voice")
    lock = UpdateLock(setup.models)
    assert lock.acquire()
    try:
        with pytest.raises(ModelInstallError, match="another `sova models update` is running"):
            update(setup, ToyGate({OLD: 0.8, NEW: 0.8}))
    finally:
        lock.release()


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("", ("llm", "primary", "id"), '[llm.primary]\nid = "m"\n'),
        (
            '# keep me\n[llm.primary]\nid = "a" # mine\n',
            ("llm", "primary", "id"),
            '# keep me\n[llm.primary]\nid = "m" # mine\n',
        ),
        (
            '[llm.primary]\nid = "a"\n',
            ("llm", "secondary", "id"),
            '[llm.primary]\nid = "a"\n\n[llm.secondary]\nid = "m"\n',
        ),
        (
            '[scheduler]\ndevice = "cpu"\n',
            ("scheduler", "moe", "model"),
            '[scheduler]\ndevice = "cpu"\n\n[scheduler.moe]\nmodel = "m"\n',
        ),
    ],
)
def test_config_edit_keeps_the_users_file(tmp_path: Path, text: str, key: tuple[str, ...], expected: str) -> None:
    path = tmp_path / "config.toml"
    if text:
        path.write_text(text)
    assert set_config_model(path, key, "m") is True
    assert path.read_text() == expected
    assert set_config_model(path, key, "m") is False  # already so: not rewritten


def test_active_uses_names_each_roles_model(setup: Setup) -> None:
    config = setup.config()
    assert role_model(config, "primary") == OLD and role_model(config, "secondary") is None
    uses = active_uses(config)
    assert uses[OLD] == ["llm.primary", "llm.lightweight"] and uses["e5"] == ["embeddings.main"]


# -- kill -9 in the middle of a promotion ------------------------------------------------------------

_CHILD = """
import json, sys, time
from pathlib import Path
from engine.registry.promotion import Promotion, UpdateLock, promote
promotion = Promotion(**json.loads(Path(sys.argv[1]).read_text()))
models, stop_at, marker = Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
def hook(step):
    if step == stop_at:
        marker.write_text(step)
        time.sleep(120)
assert UpdateLock(models).acquire()
promote(models, promotion, hook)
"""


def _staged_promotion(s: Setup) -> Promotion:
    txn = "20261129-000000-kill"
    staged = s.models / "staging" / txn / "toy" / f"{NEW}.gguf"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(NEW_BYTES)
    return Promotion(
        txn=txn,
        role="primary",
        candidate_id=NEW,
        sha256=sha(NEW_BYTES),
        size=len(NEW_BYTES),
        revision="2026-11-29",
        staged=str(staged),
        dest=str(s.models / "toy" / f"{NEW}.gguf"),
        pin=None,
        verified_store=str(s.data / "state" / "verified.json"),
        config_file=str(s.config_file),
        baseline_id=OLD,
    )


def _active_after_recovery(s: Setup) -> str:
    """The invariant after a start-up: no journal, no staging, and the config's primary is complete and verified."""
    s.registry()  # opening the registry is the start-up: it resolves the interrupted promotion
    assert read_journal(s.models) is None and staging_empty(s)
    text = s.config_file.read_text()
    active = NEW if f'id = "{NEW}"' in text else OLD
    assert f'id = "{OLD}"' in text or active == NEW
    provider = s.registry().get(active)
    provider.ensure_usable()  # the file is there, whole, and matches its sha256
    assert provider.path.read_bytes() == (NEW_BYTES if active == NEW else OLD_BYTES)
    assert "# my settings" in text
    return active


@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_any_step_leaves_one_complete_active_model(setup: Setup, step: str) -> None:
    promotion = _staged_promotion(setup)
    request = setup.root / "promotion.json"
    request.write_text(json.dumps(asdict(promotion)))
    marker = setup.root / "reached"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(request), str(setup.models), step, str(marker)], env=env, cwd=ROOT
    )
    try:
        wait_until(lambda: marker.exists() or child.poll() is not None, f"the promotion to reach {step}", 60)
        assert child.poll() is None, "the promotion process died on its own"
        assert recover(setup.models) is None  # its update still runs (it holds the lock): left alone
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert (read_journal(setup.models) is not None) == (step != "done")
    # the candidate was complete on disk in every case, so recovery finishes the promotion
    assert _active_after_recovery(setup) == NEW
    assert read_state(setup.models)["roles"]["primary"]["id"] == NEW


def test_recovery_undoes_a_promotion_whose_file_is_gone(setup: Setup) -> None:
    promotion = _staged_promotion(setup)
    (setup.models / "active").mkdir(parents=True)
    (setup.models / "active" / JOURNAL).write_text(json.dumps(asdict(promotion)))
    Path(promotion.staged).unlink()  # e.g. the disk filled up and someone cleaned staging by hand
    assert "stays" in (recover(setup.models) or "")
    assert _active_after_recovery(setup) == OLD
    assert read_state(setup.models) == {"roles": {}}


def test_a_user_config_that_cannot_be_rewritten_stops_the_update_before_the_gate(setup: Setup) -> None:
    setup.config_file.write_text("[llm.primary\nid = 'broken'\n")
    gate = ToyGate({OLD: 0.8, NEW: 0.9})
    with pytest.raises(ConfigError, match="not valid TOML"):
        update(setup, gate)
    assert gate.calls == [] and staging_empty(setup)
    assert setup.config_file.read_text() == "[llm.primary\nid = 'broken'\n"
