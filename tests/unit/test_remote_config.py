"""The remote-model keys of the config: [privacy], [llm.<role>] provider = "openai", the old key's migration."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.cli import main
from app.paths import DEFAULT_CONFIG
from engine.config import load_config
from engine.errors import ConfigError

REMOTE = '[llm.primary]\nprovider = "openai"\nbase_url = "http://127.0.0.1:8080/v1"\nmodel = "qwen2.5-1.5b"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "user.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load_config(DEFAULT_CONFIG, write(tmp_path, text))
    assert len(err.value.keys) == len(err.value.problems)
    return err.value


def test_defaults_keep_everything_local() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert config.privacy.allow_external is False
    assert config.privacy.denylist == []
    roles = [config.llm.primary, config.llm.lightweight, config.llm.micro]
    assert all(r is not None and r.provider == "local" and r.on_failure == "local" for r in roles)
    assert config.llm.primary.timeout_s == 30
    assert not hasattr(config.app, "allow_external_backends")


def test_a_remote_role_without_allow_external_is_refused_naming_the_key(tmp_path: Path) -> None:
    err = problems_of(tmp_path, REMOTE)
    assert err.keys == ("privacy.allow_external",)
    assert err.problems[0].startswith(str(tmp_path / "user.toml"))  # the file that made the role remote
    assert "llm.primary.provider" in err.problems[0] and "http://127.0.0.1:8080/v1" in err.problems[0]
    assert "allow_external = true" in err.problems[0]


def test_a_remote_role_with_allow_external_is_accepted(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG, write(tmp_path, REMOTE + "[privacy]\nallow_external = true\n"))
    primary = config.llm.primary
    assert (primary.provider, primary.base_url, primary.model) == ("openai", "http://127.0.0.1:8080/v1", "qwen2.5-1.5b")
    # the default id stays: it names the local model that answers when the server fails
    assert primary.id == load_config(DEFAULT_CONFIG).llm.primary.id


def test_an_openai_role_needs_a_url_and_a_model_but_no_id(tmp_path: Path) -> None:
    text = '[privacy]\nallow_external = true\n[llm.secondary]\nprovider = "openai"\n'
    err = problems_of(tmp_path, text)
    assert set(err.keys) == {"llm.secondary.base_url", "llm.secondary.model"}
    ok = text + 'base_url = "https://gpu.home/v1"\nmodel = "m"\n'
    assert load_config(DEFAULT_CONFIG, write(tmp_path, ok)).llm.secondary is not None


def test_a_local_role_needs_an_id_reported_with_the_schema_problems(tmp_path: Path) -> None:
    err = problems_of(tmp_path, '[llm.primary]\nid = ""\ntemperature = 9\n')
    assert set(err.keys) == {"llm.primary.id", "llm.primary.temperature"}


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("SOVA_LLM_KEY", True),
        ("OPENAI_API_KEY", True),
        ("", True),
        ("sk-proj-abc123def456", False),
        ("hf_abcdefghijklmnop", False),
        ("a1b2c3d4e5f6a7b8c9d0e1f2a3b4", False),
        ("MY KEY", False),
        ("1ABC", False),
    ],
)
def test_api_key_env_takes_a_variable_name_never_a_key(tmp_path: Path, value: str, accepted: bool) -> None:
    text = REMOTE + f'api_key_env = "{value}"\n[privacy]\nallow_external = true\n'
    if accepted:
        assert load_config(DEFAULT_CONFIG, write(tmp_path, text)).llm.primary.api_key_env == value
        return
    err = problems_of(tmp_path, text)
    assert err.keys == ("llm.primary.api_key_env",)
    assert value not in str(err)  # a key is never echoed


@pytest.mark.parametrize("url", ["ftp://host/v1", "127.0.0.1:8080", "http://", "https://user:secret@gpu.home/v1"])
def test_base_url_must_be_http_with_a_host_and_no_credentials(tmp_path: Path, url: str) -> None:
    err = problems_of(tmp_path, REMOTE.replace("http://127.0.0.1:8080/v1", url) + "[privacy]\nallow_external = true\n")
    assert "llm.primary.base_url" in err.keys


@pytest.mark.parametrize("value", [True, False])
def test_the_old_key_is_read_as_privacy_allow_external(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, value: bool
) -> None:
    old = write(tmp_path, f"[app]\nallow_external_backends = {str(value).lower()}\n")
    with caplog.at_level(logging.WARNING):
        config = load_config(DEFAULT_CONFIG, old)
    assert config.privacy.allow_external is value
    assert any("allow_external_backends is deprecated" in r.getMessage() for r in caplog.records)


def test_the_old_key_disagreeing_with_the_new_one_is_an_error(tmp_path: Path) -> None:
    err = problems_of(tmp_path, "[app]\nallow_external_backends = true\n[privacy]\nallow_external = false\n")
    assert err.keys == ("app.allow_external_backends",)
    agreeing = "[app]\nallow_external_backends = true\n[privacy]\nallow_external = true\n"
    assert load_config(DEFAULT_CONFIG, write(tmp_path, agreeing)).privacy.allow_external is True


def test_the_old_key_allows_a_remote_role(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG, write(tmp_path, REMOTE + "[app]\nallow_external_backends = true\n"))
    assert config.llm.primary.provider == "openai"


def test_sova_config_check_refuses_a_remote_role_without_allow_external(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, REMOTE)
    assert main(["config", "check", str(path)]) == ConfigError.exit_code
    err = capsys.readouterr().err
    assert "privacy.allow_external" in err and "llm.primary.provider" in err
    path.write_text(REMOTE + "[privacy]\nallow_external = true\n", encoding="utf-8")
    assert main(["config", "check", str(path)]) == 0
