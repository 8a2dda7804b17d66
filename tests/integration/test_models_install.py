"""The real default models: every one installed and verified, and the installer really assembling."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from app.cli import main
from engine.registry.install import install_from_pypi
from engine.registry.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.models


def test_every_default_model_is_installed_and_verified(registry: Registry) -> None:
    defaults = [p for p in registry if p.manifest.source.kind == "pypi"]
    assert len(defaults) == 9
    for provider in defaults:
        status = provider.verify()
        assert status.installed, status.reason
        assert status.verified is True, f"{provider.manifest.id}: {status.reason}"


def test_models_list_json_shows_defaults_installed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["qwen2.5-coder-1.5b-instruct-q4_k_m-v1.0"]["installed"] is True
    assert rows["gpt-oss-20b-q4_k_m-v1.0"]["installed"] is False
    assert "sova models add" in rows["gpt-oss-20b-q4_k_m-v1.0"]["reason"]


@pytest.mark.parametrize("model_id", ["silero-vad-v6", "espeak-ng-ru"])  # a concatenated file, a copied tree
def test_installer_downloads_assembles_and_verifies(tmp_path: Path, model_id: str) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    shutil.copy(ROOT / "models" / "manifests" / f"{model_id}.yaml", manifests)
    registry = Registry.from_dirs([manifests], tmp_path / "models", tmp_path / "state")
    provider = registry.get(model_id)
    assert not provider.status().installed

    result = install_from_pypi(provider, tmp_path / "models")
    assert result.action == "installed"
    assert provider.status().verified is True
    assert not list((tmp_path / "models").glob(".sova-install-*"))  # staging cleaned up
    # idempotent: the second run does nothing
    assert install_from_pypi(provider, tmp_path / "models").action == "already installed"


def test_installer_refuses_a_package_that_does_not_match(tmp_path: Path) -> None:
    from engine.errors import ModelInstallError

    manifests = tmp_path / "manifests"
    manifests.mkdir()
    data = yaml.safe_load((ROOT / "models" / "manifests" / "silero-vad-v6.yaml").read_text())
    data["checksum_sha256"] = "0" * 64
    (manifests / "silero.yaml").write_text(yaml.safe_dump(data))
    registry = Registry.from_dirs([manifests], tmp_path / "models", tmp_path / "state")
    with pytest.raises(ModelInstallError, match=r"nothing was installed|expects"):
        install_from_pypi(registry.get("silero-vad-v6"), tmp_path / "models")
    assert not (tmp_path / "models" / "silero-vad").exists()
