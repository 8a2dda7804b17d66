from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.paths import DEFAULT_CONFIG
from engine.config import check_config_file, load_config
from engine.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "user.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_repo_defaults_are_valid() -> None:
    config = load_config(DEFAULT_CONFIG)
    assert config.llm.primary.temperature == 0.7
    assert config.llm.primary.top_p == 0.9
    assert config.audio.stt.model == "faster-whisper-base"
    assert config.app.allow_external_backends is False


def test_user_file_overrides_only_its_keys(tmp_path: Path) -> None:
    user = write(tmp_path, '[llm.primary]\ntemperature = 0.2\n[app]\nlanguage = "ru"\n')
    config = load_config(DEFAULT_CONFIG, user)
    assert config.llm.primary.temperature == 0.2
    assert config.llm.primary.id == load_config(DEFAULT_CONFIG).llm.primary.id
    assert config.app.language == "ru"


def test_missing_user_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(DEFAULT_CONFIG, tmp_path / "absent.toml") == load_config(DEFAULT_CONFIG)


def test_all_problems_reported_together_with_key_and_file(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        '[llm.primary]\ntemperature = 5\nbogus = 1\n[audio.stt]\nbeam_size = "x"\n[scheduler]\nvram_budget_mb = 1\n'
        '[app]\nlanguage = "de"\n[nonsense]\na = 1\n',
    )
    with pytest.raises(ConfigError) as err:
        load_config(DEFAULT_CONFIG, user)
    problems = err.value.problems
    assert len(problems) == 6
    expected_keys = [
        "llm.primary.temperature",
        "llm.primary.bogus: unknown key",
        "audio.stt.beam_size",
        "scheduler.vram_budget_mb",
        "app.language",
        "nonsense: unknown key",
    ]
    for key in expected_keys:
        assert any(key in p and str(user) in p for p in problems), (key, problems)


def test_error_in_default_file_names_the_default_file(tmp_path: Path) -> None:
    default = write(
        tmp_path, DEFAULT_CONFIG.read_text().replace("temperature = 0.7", "temperature = -1"), "config.toml"
    )
    with pytest.raises(ConfigError) as err:
        load_config(default, None)
    assert err.value.problems == [
        f"{default}: llm.primary.temperature: Input should be greater than or equal to 0 (got -1)"
    ]


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    user = write(tmp_path, "[llm.primary\ntemperature = 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(DEFAULT_CONFIG, user)
    assert str(user) in err.value.problems[0] and "line 1" in err.value.problems[0]


def test_check_config_file_reads_a_missing_file_as_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        check_config_file(tmp_path / "nope.toml", DEFAULT_CONFIG)


def test_cli_config_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "[audio.tts]\nspeed = 1.2\n", "good.toml")
    bad = write(tmp_path, "[audio.tts]\nspeed = 9\nvoice = 1\n", "bad.toml")
    assert main(["config", "check", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["config", "check", str(bad)]) == 3
    err = capsys.readouterr().err
    assert "audio.tts.speed" in err and "audio.tts.voice: unknown key" in err and str(bad) in err
