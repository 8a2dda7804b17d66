"""The window's pure decisions, by tables (no models)."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.paths import DEFAULT_CONFIG
from engine.audio.types import Audio
from engine.config import SovaConfig, load_config
from engine.errors import ConfigError
from ui.affect import arousal_word, valence_word
from ui.audio import NullSink
from ui.hotkey import parse_hotkey
from ui.i18n import resolve_language
from ui.settings_model import (
    Choices,
    Value,
    check_choices,
    current_values,
    fields_named,
    needs_restart,
    save_settings,
    set_key,
)
from ui.widgets.level_meter import level_to_percent


@pytest.mark.parametrize(
    ("setting", "locale", "expected"),
    [
        ("system", "ru_RU", "ru"),
        ("system", "en_US", "en"),
        ("system", "de_DE", "en"),
        ("system", "C", "en"),
        ("ru", "en_US", "ru"),
        ("en", "ru_RU", "en"),
    ],
)
def test_resolve_language(setting: str, locale: str, expected: str) -> None:
    assert resolve_language(setting, locale) == expected


@pytest.mark.parametrize(
    ("rms", "percent"),
    [(0.0, 0), (-1.0, 0), (math.nan, 0), (1e-9, 0), (0.001, 0), (0.01, 33), (0.1, 67), (1.0, 100), (3.0, 100)],
)
def test_level_to_percent(rms: float, percent: int) -> None:
    assert level_to_percent(rms) == percent


@pytest.mark.parametrize(
    ("valence", "arousal", "words"),
    [
        (0.8, 0.7, ("pleasant", "energetic")),
        (-0.6, -0.5, ("unpleasant", "calm")),
        (0.1, 0.0, ("neutral", "")),
        (0.25, -0.25, ("pleasant", "calm")),
        (-0.24, 0.24, ("neutral", "")),
    ],
)
def test_affect_words(valence: float, arousal: float, words: tuple[str, str]) -> None:
    assert (valence_word(valence), arousal_word(arousal)) == words


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("F9", (0, "F9")),
        ("Space", (0, "space")),
        ("Ctrl+Alt+Space", (4 | 8, "space")),
        ("Meta+Shift+K", (64 | 1, "K")),
        ("ScrollLock", (0, "Scroll_Lock")),
        ("Hyper+K", None),
        ("", None),
    ],
)
def test_parse_hotkey(text: str, parsed: tuple[int, str] | None) -> None:
    assert parse_hotkey(text) == parsed


def test_null_sink_counts_audio_as_played() -> None:
    sink = NullSink()
    sink.play(Audio(np.zeros(16000, np.float32), 16000))
    sink.play(Audio(np.zeros(11025, np.float32), 22050))
    assert sink.seconds_played == pytest.approx(1.5)
    assert sink.first_audio_at is not None and sink.drain()
    sink.reset_counters()
    assert sink.seconds_played == 0.0 and sink.first_audio_at is None


CHOICES = Choices(llms=("big", "small"), voices_en=("joe",), voices_ru=("espeak",), personas=("default",))
BASE: dict[str, Value] = {
    "app.language": "auto",
    "llm.primary.id": "big",
    "llm.lightweight.id": "small",
    "audio.tts.en": "joe",
    "audio.tts.ru": "espeak",
    "app.persona": "default",
}


@pytest.mark.parametrize(
    ("changes", "problem_keys"),
    [
        ({}, []),
        ({"llm.primary.id": "small"}, []),
        ({"llm.primary.id": "nope"}, ["llm.primary.id"]),
        ({"audio.tts.ru": "nope", "app.persona": "pirate"}, ["audio.tts.ru", "app.persona"]),
        ({"llm.lightweight.id": ""}, []),  # empty: the schema refuses it, with its own message
    ],
)
def test_check_choices(changes: dict[str, Value], problem_keys: list[str]) -> None:
    problems = check_choices({**BASE, **changes}, BASE, CHOICES, Path("/u/config.toml"))
    assert [key for key, _ in problems] == problem_keys
    assert all(text.startswith(f"/u/config.toml: {key}: no ") for key, text in problems)


@pytest.mark.parametrize(
    ("keys", "fields"),
    [
        (["llm.primary.id"], {"llm.primary.id"}),
        (["app.language"], {"app.language"}),
        (["llm.primary"], {"llm.primary.id"}),  # a missing table marks the field inside it
        (["scheduler.device", ""], set()),
        (["audio.tts.en", "audio.devices.output"], {"audio.tts.en", "audio.devices.output"}),
        (["ui"], {"ui.hold_key", "ui.global_hotkey", "ui.speak_quick_answers"}),
    ],
)
def test_fields_named(keys: list[str], fields: set[str]) -> None:
    assert fields_named(keys) == fields


def test_needs_restart() -> None:
    config = load_config(DEFAULT_CONFIG)
    app_only = config.model_copy(update={"app": config.app.model_copy(update={"language": "ru", "ui_language": "ru"})})
    persona = config.model_copy(update={"app": config.app.model_copy(update={"persona": "other"})})
    tts = config.audio.tts.model_copy(update={"ru": "x"})
    voice = config.model_copy(update={"audio": config.audio.model_copy(update={"tts": tts})})
    keys = config.model_copy(update={"ui": config.ui.model_copy(update={"hold_key": "F9"})})
    assert not needs_restart(config, config)
    assert not needs_restart(config, app_only)
    assert not needs_restart(config, keys)
    assert needs_restart(config, persona)
    assert needs_restart(config, voice)


def _save(user: Path, changes: dict[str, Value]) -> SovaConfig:
    """Save `changes` through the model, as the dialog does, over the config `user` holds now."""
    current = current_values(load_config(DEFAULT_CONFIG, user))
    choices = Choices(llms=(str(current["llm.primary.id"]), str(current["llm.lightweight.id"])), personas=("default",))
    return save_settings({**current, **changes}, current, choices, user_file=user, default_file=DEFAULT_CONFIG)


def test_save_settings_writes_only_valid_configs(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text('[scheduler]\ndevice = "cpu"\n')
    with pytest.raises(ConfigError) as refused:
        _save(user, {"llm.primary.id": "", "ui.hold_key": ""})
    assert set(refused.value.keys) == {"llm.primary.id", "ui.hold_key"}
    assert "llm.primary.id" in "\n".join(refused.value.problems)
    assert user.read_text() == '[scheduler]\ndevice = "cpu"\n'  # untouched
    config = _save(user, {"app.language": "ru", "audio.devices.output": "hw:1", "ui.speak_quick_answers": False})
    assert config.app.language == "ru" and config.audio.devices.output == "hw:1"
    assert config.ui.speak_quick_answers is False
    assert load_config(DEFAULT_CONFIG, user) == config
    assert tomllib.loads(user.read_text())["scheduler"] == {"device": "cpu"}


USER_FILE = """\
# my Sova settings: keep this comment
[ui]
hold_key = "F9"   # the pedal sends F9

[app]
persona = "default"
language = "ru"   # I speak Russian

# the machine has no GPU
[scheduler]
device = "cpu"
"""


def test_save_keeps_the_users_comments_and_key_order(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text(USER_FILE)
    config = _save(user, {"app.language": "en", "audio.devices.input": "USB mic"})
    assert config.app.language == "en" and config.audio.devices.input == "USB mic"
    text = user.read_text()
    # only the changed key moved: the comments and the order of tables and keys are the user's
    edited = USER_FILE.replace('language = "ru"   # I speak Russian', 'language = "en"   # I speak Russian')
    assert text.startswith(edited)
    assert text.endswith('[audio.devices]\ninput = "USB mic"\n')
    assert tomllib.loads(text)["ui"] == {"hold_key": "F9"}


@pytest.mark.parametrize(
    ("before", "changes", "after"),
    [
        ('[app]\nlanguage = "ru"\n', {"app.language": "auto"}, ""),  # back to the default: removed, table too
        ('[app]\n# why: ...\nlanguage = "ru"\n', {"app.language": "auto"}, "[app]\n# why: ...\n"),  # its comment stays
        ('[ui]\nhold_key = "F9"\n', {"ui.hold_key": "Space"}, ""),
        ('[llm.primary]\nid = "x"\nthreads = 2\n', {}, '[llm.primary]\nid = "x"\nthreads = 2\n'),  # unchanged
        ("", {"llm.lightweight.id": "other"}, '[llm.lightweight]\nid = "other"\n'),
        ('app.language = "ru"\n', {"app.persona": "other"}, 'app.language = "ru"\napp.persona = "other"\n'),
    ],
)
def test_save_edits_only_the_changed_keys(before: str, changes: dict[str, Value], after: str, tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text(before)
    current = current_values(load_config(DEFAULT_CONFIG, user))
    choices = Choices(llms=("x", "other"), personas=("default", "other"))
    save_settings({**current, **changes}, current, choices, user_file=user, default_file=DEFAULT_CONFIG)
    assert user.read_text() == after


def test_save_refuses_a_value_where_a_table_is_needed_and_unknown_fields(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text('[app]\nlanguage = "ru"\n')
    current = current_values(load_config(DEFAULT_CONFIG, user))
    with pytest.raises(ValueError, match="not settings of the dialog"):
        save_settings({"scheduler.device": "cpu"}, current, Choices(), user_file=user, default_file=DEFAULT_CONFIG)
    doc: dict[str, Any] = {"audio": "loud"}
    with pytest.raises(ValueError, match="audio"):
        set_key(doc, ["audio", "devices", "input"], "x")


def test_save_reports_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    current = current_values(load_config(DEFAULT_CONFIG))
    user.write_text("[app\n")
    changed = {**current, "app.language": "ru"}
    with pytest.raises(ConfigError) as err:
        save_settings(changed, current, Choices(), user_file=user, default_file=DEFAULT_CONFIG)
    assert str(user) in err.value.problems[0] and "line 1" in err.value.problems[0]
    assert user.read_text() == "[app\n"


def test_emit_refcount_guard_keeps_true_alive() -> None:
    import sys

    from PySide6.QtCore import QObject, Signal

    from ui.qt_compat import guard_emit_refcount_leak

    class Emitter(QObject):
        fired = Signal(str)

    guard_emit_refcount_leak()  # idempotent: the UI conftest applied it already where needed
    emitter = Emitter()
    for _ in range(20_000):  # more than True's own reference count: aborted the interpreter unguarded
        emitter.fired.emit("x")
    assert sys.getrefcount(True) > 1000
