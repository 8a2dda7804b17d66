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
from engine.config import load_config
from engine.errors import ConfigError
from ui.affect import arousal_word, valence_word
from ui.audio import NullSink
from ui.hotkey import parse_hotkey
from ui.i18n import resolve_language
from ui.prefs import UiPrefs, load_prefs, save_prefs
from ui.settings_model import (
    Choices,
    SettingsValues,
    check_choices,
    needs_restart,
    problem_fields,
    save_settings,
    user_data_with,
)
from ui.toml_writer import dumps
from ui.widgets.level_meter import level_to_percent


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"app": {"language": "ru", "persona": "default"}},
        {"llm": {"primary": {"id": "x", "max_output_tokens": 10, "temperature": 0.5}}},
        {"paths": {"manifests_dirs": ["a", "b c"]}, "flag": True},
        {"s": 'quote " and \\ and\nnewline\ttab \x01 юникод'},
        {"weird key": {"dotted.key": 1}},
        {"audio": {"devices": {"input": "", "output": "hw:1"}}},
    ],
)
def test_toml_writer_round_trips(data: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(data)) == data


def test_toml_writer_refuses_unknown_types() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object()})


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


DEFAULTS = {
    "app": {"language": "auto", "ui_language": "system", "persona": "default"},
    "llm": {"primary": {"id": "big"}, "lightweight": {"id": "small"}},
    "audio": {"tts": {"en": "joe", "ru": "espeak"}, "devices": {"input": "", "output": ""}},
}
BASE = SettingsValues("auto", "system", "default", "", "", "joe", "espeak", "big", "small")


@pytest.mark.parametrize(
    ("existing", "changes", "expected"),
    [
        ({}, {}, {}),
        ({}, {"language": "ru"}, {"app": {"language": "ru"}}),
        ({"app": {"language": "ru"}}, {"language": "auto"}, {}),  # back to the default: removed
        ({"llm": {"primary": {"id": "x", "threads": 2}}}, {}, {"llm": {"primary": {"threads": 2}}}),
        (
            {"scheduler": {"device": "cpu"}},
            {"input_device": "USB mic"},
            {"scheduler": {"device": "cpu"}, "audio": {"devices": {"input": "USB mic"}}},
        ),
    ],
)
def test_user_data_with(existing: dict[str, Any], changes: dict[str, str], expected: dict[str, Any]) -> None:
    values = SettingsValues(**{**BASE.as_dict(), **changes})
    assert user_data_with(existing, values, DEFAULTS) == expected


@pytest.mark.parametrize(
    ("changes", "problem_keys"),
    [
        ({}, []),
        ({"llm_primary": "small"}, []),
        ({"llm_primary": "nope"}, ["llm.primary.id"]),
        ({"voice_ru": "nope", "persona": "pirate"}, ["audio.tts.ru", "app.persona"]),
        ({"llm_lightweight": ""}, []),  # empty: the schema refuses it, with its own message
    ],
)
def test_check_choices(changes: dict[str, str], problem_keys: list[str]) -> None:
    choices = Choices(llms=("big", "small"), voices_en=("joe",), voices_ru=("espeak",), personas=("default",))
    values = SettingsValues(**{**BASE.as_dict(), **changes})
    problems = check_choices(values, BASE, choices, Path("/u/config.toml"))
    assert [p.split(": ")[1] for p in problems] == problem_keys


@pytest.mark.parametrize(
    ("problems", "fields"),
    [
        (["/home/u/.config/sova/config.toml: llm.primary.id: String should have at least 1 char"], {"llm_primary"}),
        (["/x/config.toml: app.language: Input should be 'ru', 'en' or 'auto' (got 'de')"], {"language"}),
        (["/x/config.toml: llm.primary: Field required"], {"llm_primary"}),
        (["/x/config.toml: scheduler.device: bad"], set()),
        (["/x: audio.tts.en: a", "/x: audio.devices.output: b"], {"voice_en", "output_device"}),
    ],
)
def test_problem_fields(problems: list[str], fields: set[str]) -> None:
    assert problem_fields(problems) == fields


def test_needs_restart() -> None:
    config = load_config(DEFAULT_CONFIG)
    app_only = config.model_copy(update={"app": config.app.model_copy(update={"language": "ru", "ui_language": "ru"})})
    persona = config.model_copy(update={"app": config.app.model_copy(update={"persona": "other"})})
    tts = config.audio.tts.model_copy(update={"ru": "x"})
    voice = config.model_copy(update={"audio": config.audio.model_copy(update={"tts": tts})})
    assert not needs_restart(config, config)
    assert not needs_restart(config, app_only)
    assert needs_restart(config, persona)
    assert needs_restart(config, voice)


def test_save_settings_writes_only_valid_configs(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    user.write_text('[scheduler]\ndevice = "cpu"\n')
    current = SettingsValues.from_config(load_config(DEFAULT_CONFIG, user))
    choices = Choices(llms=(current.llm_primary, current.llm_lightweight), personas=("default",))
    bad = SettingsValues(**{**current.as_dict(), "llm_primary": ""})
    with pytest.raises(ConfigError) as refused:
        save_settings(bad, current, choices, user_file=user, default_file=DEFAULT_CONFIG)
    assert "llm.primary.id" in "\n".join(refused.value.problems)
    assert user.read_text() == '[scheduler]\ndevice = "cpu"\n'  # untouched
    good = SettingsValues(**{**current.as_dict(), "language": "ru", "output_device": "hw:1"})
    config = save_settings(good, current, choices, user_file=user, default_file=DEFAULT_CONFIG)
    assert config.app.language == "ru" and config.audio.devices.output == "hw:1"
    assert load_config(DEFAULT_CONFIG, user) == config
    assert tomllib.loads(user.read_text())["scheduler"] == {"device": "cpu"}


def test_prefs_round_trip_and_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ui.toml"
    assert load_prefs(path) == UiPrefs()
    prefs = UiPrefs(hold_key="F9", global_hotkey="Ctrl+Alt+Space", speak_quick_answers=False)
    save_prefs(path, prefs)
    assert load_prefs(path) == prefs
    path.write_text("[ui]\nhold_key = 3\n")  # a wrong type falls back to the default
    assert load_prefs(path).hold_key == "Space"
    path.write_text("not toml [")
    assert load_prefs(path) == UiPrefs()


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
