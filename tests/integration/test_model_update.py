"""The model update with real models: a kill -9 mid-promotion, then the real gate's decisions.

The kill test promotes a real GGUF (SmolLM2, a second manifest id for the same file) in a child process,
kills it at the commit point, opens the registry (start-up) and generates with the active model.
The gate test offers SmolLM2-135M as the primary: the real gate (engine/eval/gate.py) must roll it back
with reasons, against the installed primary.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from engine.registry.promotion import Promotion, read_journal, read_state
from engine.registry.registry import Registry
from engine.stages.base import ChatMessage, SamplingParams
from tests.harness.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SMOL = "smollm2-135m-instruct-q4_1-v1.0"
SMOL_NEXT = "smollm2-135m-instruct-q4_1-v1.1"

_CHILD = """
import json, sys, time
from pathlib import Path
from engine.registry.promotion import Promotion, UpdateLock, promote
p = Promotion(**json.loads(Path(sys.argv[1]).read_text()))
def hook(step):
    if step == "pointer":
        Path(sys.argv[3]).write_text(step)
        time.sleep(120)
assert UpdateLock(Path(sys.argv[2])).acquire()
promote(Path(sys.argv[2]), p, hook)
"""


@pytest.mark.models
def test_kill_9_at_the_commit_leaves_a_working_active_model(tmp_path: Path) -> None:
    repo = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", tmp_path / "unused")
    source = repo.get(SMOL)
    if not source.status().installed:
        pytest.fail(f"{SMOL} is not installed: run `sova models install-defaults`")
    manifests, models, data = tmp_path / "manifests", tmp_path / "models", tmp_path / "data"
    manifests.mkdir()
    old = source.manifest.model_dump(mode="json", exclude_none=True)
    new = old | {"id": SMOL_NEXT, "path": "next/smollm2.gguf", "role": "primary", "load": "eager"}
    (manifests / "old.yaml").write_text(yaml.safe_dump(old))
    (manifests / "new.yaml").write_text(yaml.safe_dump(new))
    (models / Path(old["path"]).parent).mkdir(parents=True)
    if source.path.stat().st_dev == tmp_path.stat().st_dev:
        os.link(source.path, models / old["path"])  # the installed file itself: no copy needed
    else:
        shutil.copy2(source.path, models / old["path"])
    txn = "20261129-000000-real"
    staged = models / "staging" / txn / new["path"]
    staged.parent.mkdir(parents=True)
    shutil.copyfile(source.path, staged)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[llm.primary]\nid = "{SMOL}"  # before the update\n')
    promotion = Promotion(
        txn=txn,
        role="primary",
        candidate_id=SMOL_NEXT,
        sha256=str(source.manifest.checksum_sha256),
        size=staged.stat().st_size,
        revision=str(new["revision"]),
        staged=str(staged),
        dest=str(models / new["path"]),
        pin=None,
        verified_store=str(data / "state" / "verified.json"),
        config_file=str(config_file),
        baseline_id=SMOL,
    )
    request, marker = tmp_path / "promotion.json", tmp_path / "reached"
    request.write_text(json.dumps(asdict(promotion)))
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(request), str(models), str(marker)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    try:
        wait_until(lambda: marker.exists() or child.poll() is not None, "the promotion's commit", 60)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert read_journal(models) is not None  # killed after the commit, before the config was written
    assert f'id = "{SMOL}"' in config_file.read_text()

    registry = Registry.from_dirs([manifests], models, data / "state")  # the next start-up
    assert read_journal(models) is None and not any((models / "staging").iterdir())
    assert read_state(models)["roles"]["primary"]["id"] == SMOL_NEXT
    text = config_file.read_text()
    assert f'id = "{SMOL_NEXT}"  # before the update' in text
    model = registry.get(SMOL_NEXT).load()
    try:
        reply = "".join(model.stream_chat([ChatMessage("user", "Say hello.")], SamplingParams(0.0, 1.0, 8)))
    finally:
        registry.get(SMOL_NEXT).unload()
    assert reply.strip()


@pytest.mark.models
@pytest.mark.slow
def test_smollm2_offered_as_the_primary_is_rolled_back_by_the_real_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        import engine.eval.gate  # noqa: F401
    except ImportError:
        pytest.skip("the eval gate (engine/eval/gate.py, issue 12 part 1) is absent in this tree")
    from app.cli import main

    config_file = tmp_path / "config.toml"
    config_file.write_text("# the user's own file\n")
    monkeypatch.setenv("SOVA_CONFIG", str(config_file))
    monkeypatch.setenv("SOVA_DATA_DIR", str(tmp_path / "data"))
    smol = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", tmp_path / "state").get(SMOL)
    code = main(["models", "update", str(smol.path), "--manifest", SMOL, "--role", "primary", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["decision"] == "rolled_back", out
    assert out["role"] == "primary" and out["candidate"] == SMOL and out["baseline"]
    failed = [name for name, row in out["metrics"].items() if not row["passed"]]
    assert failed and out["reasons"], out
    assert all(set(row) >= {"candidate", "baseline", "delta", "threshold", "passed"} for row in out["metrics"].values())
    assert config_file.read_text() == "# the user's own file\n"  # the active model untouched
    assert not any((ROOT / "models" / "staging").glob("*/smollm2-135m-instruct"))
