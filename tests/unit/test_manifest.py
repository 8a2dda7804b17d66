from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import main
from engine.errors import ManifestError, ModelUnavailableError
from engine.registry.install import add_user_file
from engine.registry.manifest import load_manifest
from engine.registry.registry import Registry
from engine.registry.version import ModelVersion, VersionIdError, parse_version_id

ROOT = Path(__file__).resolve().parents[2]


def base(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "toy-1m-test-q4_0-v1.0",
        "family": "toy",
        "role": "lightweight",
        "path": "tiny/model.gguf",
        "format": "gguf",
        "quant": "Q4_0",
        "context_length": 512,
        "capabilities": ["chat"],
        "revision": "2026-11-24",
        "checksum_sha256": "0" * 64,
        "adapter": "llama_cpp",
        "kind": "llm",
        "languages": ["en"],
        "source": {"kind": "manual", "url": "https://example.invalid/tiny.gguf"},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def write(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{data.get('id', 'x')}.yaml")
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "primary", "load": "on_demand"}, "rule 2: role=primary requires load != on_demand"),
        (
            {"idle_unload_seconds": 300, "load": "eager"},
            "rule 3: idle_unload_seconds is set, so load must be on_demand",
        ),
        ({"role": "primary", "idle_unload_seconds": 300}, "rule 3"),
        ({"reasoning_modes": ["low", "high"]}, "rule 5: reasoning_modes need role=optional_moe"),
        (
            {
                "checksum_sha256": None,
                "source": {"kind": "pypi", "packages": ["x==1"], "files": [{"target": "a", "parts": ["b"]}]},
            },
            "checksum_sha256 is required",
        ),
        ({"checksum_sha256": "abc"}, "64 lower-case hex"),
        ({"id": "Tiny Model"}, "lower case"),
        ({"path": "../outside.gguf"}, "relative to the models dir"),
        ({"path": "/abs/model.gguf"}, "relative to the models dir"),
        ({"role": "boss"}, "role"),
        ({"kind": "llm", "context_length": None}, "context_length is required for kind=llm"),
        ({"id": "tiny-test"}, "seed 10 notation: LLM ids end with -v<major>.<minor>"),
        ({"id": "tiny-test-v1.0"}, "seed 10 notation"),
        ({"id": "other-1m-test-q4_0-v1.0"}, "id family 'other' != family 'toy'"),
        ({"id": "toy-1m-test-q8_0-v1.0"}, "id quant 'q8_0' != quant 'Q4_0'"),
        ({"speed": 3}, "speed: unknown field"),
        ({"adapter": "magic"}, "adapter"),
        ({"languages": []}, "languages"),
        (
            {"source": {"kind": "pypi", "packages": ["loose"], "files": [{"target": "a", "parts": ["b"]}]}},
            "pinned with ==",
        ),
        ({"source": {"kind": "pypi", "packages": ["x==1"], "files": [{"target": "a"}]}}, "exactly one of `parts`"),
    ],
)
def test_each_rule_violation_names_file_and_rule(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    path = write(tmp_path, base(**changes), "m.yaml")
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    text = "\n".join(err.value.problems)
    assert message in text
    assert all(p.startswith(str(path)) for p in err.value.problems)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"role": "optional_moe", "load": "on_demand", "idle_unload_seconds": 300, "reasoning_modes": ["low"]},
        {"capabilities": ["chat", "plan"], "reasoning_modes": ["medium"]},
        {"role": "primary"},  # load defaults to eager for the primary
        {"idle_unload_seconds": 60},  # load defaults to on_demand for other roles
        {"checksum_sha256": None},  # a manual model: pinned on `models add`
    ],
)
def test_valid_manifests(tmp_path: Path, changes: dict[str, Any]) -> None:
    manifest = load_manifest(write(tmp_path, base(**changes), "m.yaml"))
    assert manifest.id == base()["id"]


def test_effective_load_defaults() -> None:
    from engine.registry.manifest import Manifest

    assert Manifest.model_validate(base(role="primary")).effective_load == "eager"
    assert Manifest.model_validate(base()).effective_load == "on_demand"


def test_broken_yaml_and_non_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(ManifestError, match="not valid YAML"):
        load_manifest(bad)
    bad.write_text("- a list\n")
    with pytest.raises(ManifestError, match="a YAML mapping"):
        load_manifest(bad)


def test_rule1_duplicate_ids_and_broken_files_are_set_aside(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    write(folder, base(), "a.yaml")
    write(folder, base(), "b.yaml")
    write(folder, base(id="toy-1m-test-q4_0-v2.0", role="primary", load="on_demand"), "c.yaml")
    registry = Registry.from_dirs([folder], tmp_path / "models", tmp_path / "state")
    assert [p.manifest.id for p in registry] == ["toy-1m-test-q4_0-v1.0"]
    assert any("rule 1" in p and "b.yaml" in p and "a.yaml" in p for p in registry.problems)
    assert any("rule 2" in p and "c.yaml" in p for p in registry.problems)


def test_models_check_cli_exit_code_and_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "manifests"
    write(folder, base(), "good.yaml")
    write(folder, base(id="toy-1m-test-q4_0-v1.1", reasoning_modes=["low"]), "bad.yaml")
    assert main(["models", "check", str(folder)]) == 4
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "rule 5" in err and "good.yaml" not in err
    assert main(["models", "check", str(folder / "good.yaml")]) == 0
    assert main(["models", "check", str(ROOT / "models" / "manifests")]) == 0


def test_every_repo_manifest_is_valid() -> None:
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", ROOT / ".cache" / "unused")
    assert registry.problems == []
    kinds = {p.manifest.kind for p in registry}
    assert kinds == {"llm", "stt", "vad", "tts", "embeddings", "classifier"}
    # the seed's recommended set is described even though it must be downloaded
    for model_id in (
        "gpt-oss-20b-q4_k_m-v1.0",
        "phi-3.5-mini-instruct-q4_0-v1.0",
        "bge-m3-v1.0",
        "gte-small",
        "faster-whisper-small",
        "faster-whisper-medium",
        "piper-ru-ru-irina-medium",
        "xtts-v2",
        "distilroberta-multilingual-emotion",
    ):
        assert registry.get(model_id).manifest.source.kind == "manual"


def _provider_with_file(tmp_path: Path, content: bytes, checksum: str | None):  # type: ignore[no-untyped-def]
    import hashlib

    folder = tmp_path / "manifests"
    sha = hashlib.sha256(content).hexdigest()
    write(folder, base(checksum_sha256=checksum if checksum != "right" else sha))
    registry = Registry.from_dirs([folder], tmp_path / "models", tmp_path / "state")
    return registry.get("toy-1m-test-q4_0-v1.0"), sha


def test_missing_file_is_unavailable_with_where_to_get_it(tmp_path: Path) -> None:
    provider, _ = _provider_with_file(tmp_path, b"weights", "right")
    status = provider.status()
    assert not status.installed
    assert "https://example.invalid/tiny.gguf" in status.reason and "sova models add" in status.reason
    with pytest.raises(ModelUnavailableError, match="not installed"):
        provider.load()


def test_checksum_mismatch_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    provider, _ = _provider_with_file(tmp_path, b"weights", "f" * 64)
    provider.path.parent.mkdir(parents=True)
    provider.path.write_bytes(b"weights")
    status = provider.verify()
    assert status.installed and status.verified is False
    assert "checksum mismatch" in status.reason
    with pytest.raises(ModelUnavailableError, match="checksum mismatch"):
        provider.load()


def test_verification_is_remembered_until_the_file_changes(tmp_path: Path) -> None:
    provider, _ = _provider_with_file(tmp_path, b"weights", "right")
    provider.path.parent.mkdir(parents=True)
    provider.path.write_bytes(b"weights")
    assert provider.status().verified is None
    assert provider.verify().verified is True
    assert provider.status().verified is True  # from the record, no hashing
    provider.path.write_bytes(b"tampered")
    assert provider.status().verified is None
    assert provider.verify().verified is False


def test_skip_checksum_loads_without_hashing(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    write(folder, base(checksum_sha256="f" * 64, skip_checksum=True))
    registry = Registry.from_dirs([folder], tmp_path / "models", tmp_path / "state")
    provider = registry.get("toy-1m-test-q4_0-v1.0")
    provider.path.parent.mkdir(parents=True)
    provider.path.write_bytes(b"not the checksum")
    provider.ensure_usable()  # rule 4's escape hatch


def test_models_add_verifies_and_places_the_file(tmp_path: Path) -> None:
    provider, sha = _provider_with_file(tmp_path, b"weights", "right")
    download = tmp_path / "Downloads" / "tiny.gguf"
    download.parent.mkdir()
    download.write_bytes(b"weights")
    assert add_user_file(provider, download) == sha
    assert provider.path.read_bytes() == b"weights"
    assert provider.status().verified is True


def test_models_add_refuses_the_wrong_file(tmp_path: Path) -> None:
    from engine.errors import ModelInstallError

    provider, _ = _provider_with_file(tmp_path, b"weights", "right")
    wrong = tmp_path / "other.gguf"
    wrong.write_bytes(b"something else")
    with pytest.raises(ModelInstallError, match="expects"):
        add_user_file(provider, wrong)
    assert not provider.path.exists()


def test_models_add_pins_a_manual_model_without_checksum(tmp_path: Path) -> None:
    provider, sha = _provider_with_file(tmp_path, b"weights", None)
    download = tmp_path / "tiny.gguf"
    download.write_bytes(b"weights")
    add_user_file(provider, download)
    assert provider.expected_sha256() == sha
    assert provider.status().verified is True
    provider.path.write_bytes(b"changed later")
    assert provider.verify().verified is False


@pytest.mark.parametrize(
    ("model_id", "family", "size", "purpose", "quant", "version"),
    [
        ("qwen2.5-7b-instruct-q5_k_m-v1.1", "qwen2.5", "7b", "instruct", "q5_k_m", ModelVersion(1, 1)),
        ("qwen2.5-coder-1.5b-instruct-q4_k_m-v1.0", "qwen2.5-coder", "1.5b", "instruct", "q4_k_m", ModelVersion(1, 0)),
        ("gpt-oss-20b-q4_k_m-v1.0", "gpt-oss", "20b", "", "q4_k_m", ModelVersion(1, 0)),
        ("phi-3.5-mini-instruct-q4_0-v1.0", "phi-3.5", "mini", "instruct", "q4_0", ModelVersion(1, 0)),
        ("smollm2-135m-instruct-q4_1-v2.3.1", "smollm2", "135m", "instruct", "q4_1", ModelVersion(2, 3, 1)),
        ("llama-3-8b-chat-rp-f16-v10.0", "llama-3", "8b", "chat-rp", "f16", ModelVersion(10, 0)),
    ],
)
def test_version_notation_parses(
    model_id: str, family: str, size: str, purpose: str, quant: str, version: ModelVersion
) -> None:
    vid = parse_version_id(model_id)
    assert (vid.family, vid.size, vid.purpose, vid.quant, vid.version) == (family, size, purpose, quant, version)


@pytest.mark.parametrize(
    ("model_id", "message"),
    [
        ("qwen2.5-7b-instruct-q5_k_m", "must end with -v"),
        ("qwen2.5-instruct-q5_k_m-v1.0", "needs <family>-<size>"),
        ("7b-instruct-q5_k_m-v1.0", "needs <family>-<size>"),
        ("qwen2.5-7b-v1.0", "needs a quantisation"),
        ("qwen2.5-7b-instruct-v1.0", "is not a quantisation"),
        ("Qwen2.5-7b-instruct-q4_0-v1.0", "lower case"),
    ],
)
def test_version_notation_errors(model_id: str, message: str) -> None:
    with pytest.raises(VersionIdError, match=message):
        parse_version_id(model_id)


def test_versions_order() -> None:
    assert ModelVersion(1, 10) > ModelVersion(1, 9) > ModelVersion(1, 0, 5) > ModelVersion(0, 99)
    old = parse_version_id("qwen2.5-7b-instruct-q5_k_m-v1.0")
    new = parse_version_id("qwen2.5-7b-instruct-q5_k_m-v1.1")
    assert old.lineage == new.lineage and new.version > old.version


# -- models the system packages install (source kind "system") --------------------------------------


def system_voice(folder: Path, **source: Any) -> dict[str, Any]:
    return base(
        id="voice-ru",
        kind="tts",
        format="festival",
        adapter="festival",
        quant=None,
        context_length=None,
        capabilities=["speak"],
        languages=["ru"],
        path="russian/voice",
        source={"kind": "system", "packages": ["festival", "festvox-ru"], "root": str(folder), **source},
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"root": "usr/share/festival"}, "root must be an absolute folder"),
        ({"root": "/usr/share/../etc"}, "root must be an absolute folder"),
        ({"packages": []}, "packages"),
        ({"packages": ["Festival; rm -rf /"]}, "not Debian package names"),
        ({"commands": ["/usr/bin/festival"]}, "bare program names"),
        ({"url": "https://example.invalid"}, "unknown field"),
    ],
)
def test_system_source_rules(tmp_path: Path, source: dict[str, Any], message: str) -> None:
    path = write(tmp_path, system_voice(Path("/usr/share/festival/voices"), **source), "m.yaml")
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert message in "\n".join(err.value.problems)


def test_a_system_model_without_checksum_needs_skip_checksum(tmp_path: Path) -> None:
    path = write(tmp_path, system_voice(tmp_path) | {"checksum_sha256": None}, "m.yaml")
    with pytest.raises(ManifestError, match="checksum_sha256 is required"):
        load_manifest(path)


def _system_provider(tmp_path: Path, commands: list[str], checksum: str = "0" * 64):  # type: ignore[no-untyped-def]
    root = tmp_path / "usr-share"
    write(tmp_path / "manifests", system_voice(root, commands=commands) | {"checksum_sha256": checksum})
    registry = Registry.from_dirs([tmp_path / "manifests"], tmp_path / "models", tmp_path / "state")
    return registry.get("voice-ru"), root / "russian" / "voice"


def test_a_system_model_lives_under_its_root_and_says_how_to_install_it(tmp_path: Path) -> None:
    provider, folder = _system_provider(tmp_path, ["sh"])
    assert provider.path == folder  # not under the models dir
    status = provider.status()
    assert not status.installed
    assert "sudo apt-get install -y festival festvox-ru" in status.reason and str(folder) in status.reason
    with pytest.raises(ModelUnavailableError, match="apt-get install"):
        provider.load()


def test_a_system_model_needs_its_commands_on_path(tmp_path: Path) -> None:
    provider, folder = _system_provider(tmp_path, ["sova-no-such-program"])
    folder.mkdir(parents=True)
    (folder / "voice.scm").write_text("(voice)")
    status = provider.status()
    assert not status.installed
    assert "`sova-no-such-program`" in status.reason and "apt-get install -y festival festvox-ru" in status.reason


def test_a_system_model_is_verified_and_a_changed_package_is_a_mismatch(tmp_path: Path) -> None:
    import hashlib

    content = b"(voice)"
    sha = hashlib.sha256(f"voice.scm\0{hashlib.sha256(content).hexdigest()}\n".encode()).hexdigest()
    provider, folder = _system_provider(tmp_path, ["sh"], checksum=sha)
    folder.mkdir(parents=True)
    (folder / "voice.scm").write_bytes(content)
    assert provider.verify().verified is True
    (folder / "voice.scm").write_bytes(b"(another version)")
    status = provider.verify()
    assert status.verified is False
    assert "apt-get install --reinstall -y festival festvox-ru" in status.reason


def test_install_and_add_leave_system_models_to_the_package_manager(tmp_path: Path) -> None:
    from engine.errors import ModelInstallError
    from engine.registry.install import install_from_pypi

    provider, _ = _system_provider(tmp_path, ["sh"])
    with pytest.raises(ModelInstallError, match="apt-get install -y festival festvox-ru"):
        install_from_pypi(provider, tmp_path / "models")
    download = tmp_path / "voice"
    download.mkdir()
    with pytest.raises(ModelInstallError) as err:
        add_user_file(provider, download)
    assert "system packages" in str(err.value) and "apt-get install" in str(err.value)
