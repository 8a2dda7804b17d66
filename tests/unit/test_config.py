from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from app.cli import main
from app.paths import DEFAULT_CONFIG
from app.wiring import load_app_config, migrate_ui_toml
from engine.config import UiSection, check_config_file, field_info, load_config
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
    assert config.privacy.allow_external is False


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


def test_ui_table_defaults_and_bounds(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    assert (config.ui.hold_key, config.ui.global_hotkey, config.ui.speak_quick_answers) == ("Space", "", True)
    assert config.ui == UiSection()  # the repo file and the schema agree
    user = write(tmp_path, '[ui]\nhold_key = ""\nspeak_quick_answers = "maybe"\nbogus = 1\n')
    with pytest.raises(ConfigError) as err:
        load_config(DEFAULT_CONFIG, user)
    assert set(err.value.keys) == {"ui.hold_key", "ui.speak_quick_answers", "ui.bogus"}


def test_problem_keys_are_parallel_to_the_problems(tmp_path: Path) -> None:
    user = write(tmp_path, '[app]\nlanguage = "de"\n[llm.primary]\nid = ""\n[nonsense]\na = 1\n')
    with pytest.raises(ConfigError) as err:
        load_config(DEFAULT_CONFIG, user)
    exc = err.value
    assert len(exc.keys) == len(exc.problems) == 3
    for key, problem in zip(exc.keys, exc.problems, strict=True):
        assert f": {key}: " in problem
    assert set(exc.keys) == {"app.language", "llm.primary.id", "nonsense"}
    assert ConfigError(["a", "b"]).keys == ("", "")  # the old positional use still works


def test_field_info_walks_the_schema() -> None:
    assert field_info("audio.tts.en").description == "English voice manifest id"
    assert field_info("llm.primary.id").default == ""  # an openai role needs no manifest id
    assert field_info("llm.micro.id").default == ""  # through an optional section
    assert field_info("ui.speak_quick_answers").default is True
    for bad in ("audio.tts.voice", "nonsense", "app.language.x"):
        with pytest.raises(KeyError, match=bad):
            field_info(bad)


# -- the one-time ui.toml migration -------------------------------------------------------------------

USER_CONFIG = """\
# mine
[app]
language = "ru"   # Russian, please

[ui]
hold_key = "F8"   # kept: config.toml wins
"""


def test_ui_toml_is_migrated_once_keeping_the_users_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    user = write(tmp_path, USER_CONFIG, "config.toml")
    legacy = write(
        tmp_path,
        '[ui]\nhold_key = "F9"\nglobal_hotkey = 3\nspeak_quick_answers = false\nold_thing = "x"\n',
        "ui.toml",
    )
    with caplog.at_level(logging.WARNING, logger="app.wiring"):
        assert migrate_ui_toml(user)
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "ui.global_hotkey = 3" in warnings and "ui.old_thing: unknown key" in warnings
    assert not legacy.exists() and (tmp_path / "ui.toml.migrated").exists()
    assert user.read_text() == USER_CONFIG + "speak_quick_answers = false\n"
    config = load_app_config(user)
    assert (config.ui.hold_key, config.ui.global_hotkey, config.ui.speak_quick_answers) == ("F8", "", False)
    assert not migrate_ui_toml(user)  # once: the renamed file is not read again
    assert user.read_text() == USER_CONFIG + "speak_quick_answers = false\n"


def test_ui_toml_without_a_user_config(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    write(tmp_path, '[ui]\nhold_key = "F9"\nglobal_hotkey = ""\nspeak_quick_answers = true\n', "ui.toml")
    assert load_app_config(user).ui.hold_key == "F9"
    assert tomllib.loads(user.read_text()) == {"ui": {"hold_key": "F9"}}  # defaults are not copied


def test_ui_toml_of_defaults_only_leaves_no_user_config(tmp_path: Path) -> None:
    write(tmp_path, '[ui]\nhold_key = "Space"\n', "ui.toml")
    assert migrate_ui_toml(tmp_path / "config.toml")
    assert not (tmp_path / "config.toml").exists() and (tmp_path / "ui.toml.migrated").exists()


def test_unreadable_ui_toml_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    user = write(tmp_path, USER_CONFIG, "config.toml")
    write(tmp_path, "not toml [", "ui.toml")
    with caplog.at_level(logging.WARNING, logger="app.wiring"):
        assert migrate_ui_toml(user)
    assert "unreadable" in caplog.text
    assert user.read_text() == USER_CONFIG and (tmp_path / "ui.toml.migrated").exists()


def test_a_broken_user_config_keeps_ui_toml_for_later(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    user = write(tmp_path, "[app\n", "config.toml")
    legacy = write(tmp_path, '[ui]\nhold_key = "F9"\n', "ui.toml")
    with caplog.at_level(logging.WARNING, logger="app.wiring"):
        assert migrate_ui_toml(user)
    assert "next start" in caplog.text
    assert legacy.exists() and user.read_text() == "[app\n"
    with pytest.raises(ConfigError, match="line 1"):
        load_app_config(user)
