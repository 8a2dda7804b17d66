"""The settings dialog is the config schema's: every field is a key of SovaConfig, with its choices and description."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QKeySequenceEdit

from app.paths import DEFAULT_CONFIG
from engine.config import SovaConfig, load_config
from ui.settings_dialog import SettingsDialog
from ui.settings_model import FIELDS, SPECS, Choices, current_values


def _schema_field(key: str) -> Any:
    """Walk SovaConfig.model_fields by hand (not through the code under test)."""
    model: Any = SovaConfig
    field = None
    for part in key.split("."):
        assert isinstance(model, type) and issubclass(model, BaseModel), f"{key}: {part} is not in a table"
        assert part in model.model_fields, f"{key}: no such key in SovaConfig"
        field = model.model_fields[part]
        args = [a for a in (get_args(field.annotation) or (field.annotation,)) if a is not type(None)]
        model = args[0]
    return field


@pytest.fixture
def dialog(qapp: QApplication, tmp_path: Path) -> SettingsDialog:
    choices = Choices(llms=("a", "b"), voices_en=("joe",), voices_ru=("auto",), personas=("default",))
    config = load_config(DEFAULT_CONFIG)
    return SettingsDialog(config, choices, user_file=tmp_path / "config.toml", default_file=DEFAULT_CONFIG)


def test_every_dialog_field_is_a_config_key_with_its_schema(dialog: SettingsDialog) -> None:
    assert list(dialog.fields) == list(FIELDS) and set(SPECS) == set(FIELDS)
    for key, widget in dialog.fields.items():
        field = _schema_field(key)
        assert field.description, f"{key}: the schema gives no description for its tooltip"
        assert field.description in widget.toolTip() and key in widget.toolTip()
        if field.annotation is bool:
            assert isinstance(widget, QCheckBox)
        elif get_origin(field.annotation) is Literal:
            assert isinstance(widget, QComboBox) and not widget.isEditable()
            offered = [widget.itemData(i) for i in range(widget.count())]
            assert sorted(offered) == sorted(get_args(field.annotation)), key
            assert len(offered) == len(set(offered))
            assert offered[0] == field.default  # the default first
        else:
            assert field.annotation is str, key
            assert isinstance(widget, QComboBox | QKeySequenceEdit)


def test_specs_read_the_schema() -> None:
    assert SPECS["app.language"].choices == ("ru", "en", "auto")
    assert SPECS["app.ui_language"].choices == ("system", "ru", "en")
    assert SPECS["ui.speak_quick_answers"].type is bool and SPECS["ui.speak_quick_answers"].default is True
    assert SPECS["llm.primary.id"].default == ""  # empty is refused for a local role by the cross-field rules
    assert (SPECS["ui.hold_key"].min_length, SPECS["ui.hold_key"].max_length) == (1, 64)
    assert SPECS["ui.global_hotkey"].min_length == 0


def test_the_dialog_shows_the_config_and_reads_it_back(dialog: SettingsDialog) -> None:
    config = load_config(DEFAULT_CONFIG)
    assert dialog.values() == current_values(config)
    assert current_values(config)["ui.hold_key"] == "Space"


def test_refused_keys_mark_their_fields(dialog: SettingsDialog, tmp_path: Path) -> None:
    combo = dialog.fields["llm.primary.id"]
    assert isinstance(combo, QComboBox)
    combo.setEditText("")
    assert not dialog.save()
    assert dialog.invalid_fields() == {"llm.primary.id"}
    assert "llm.primary.id" in dialog.error.text()
    assert not (tmp_path / "config.toml").exists()
