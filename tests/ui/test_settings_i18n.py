"""The settings dialog (save -> file -> load, refusals), the interface language switch, the status bar."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QDialogButtonBox, QKeySequenceEdit, QWidget
from pytestqt.qtbot import QtBot
from qasync import QEventLoop

from app.paths import DEFAULT_CONFIG
from engine.config import load_config
from tests.ui.conftest import LIGHT_LLM, dispose, make_app, ui_config
from ui.app import SovaApp
from ui.i18n import TRANSLATIONS_DIR
from ui.settings_dialog import SettingsDialog, combo_value

PRIMARY = "qwen2.5-coder-1.5b-instruct-q4_k_m-v1.0"


@pytest.fixture
def app_no_engine(qapp: QApplication, running_loop: QEventLoop, tmp_path: Path) -> Iterator[SovaApp]:
    """The app before its models load: settings and languages need no engine."""
    sova = make_app(qapp, tmp_path, ui_config(tmp_path / "data"))
    sova.window.show()
    yield sova
    dispose(sova, running_loop)


def _combo(dialog: SettingsDialog, key: str) -> QComboBox:
    return _editor(dialog, key, QComboBox)


def _editor(dialog: SettingsDialog, key: str, kind: type[QWidget]) -> Any:
    widget = dialog.fields[key]
    assert isinstance(widget, kind), (key, widget)
    return widget


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    assert index >= 0, f"{value!r} is not offered"
    combo.setCurrentIndex(index)


def _dialog(sova: SovaApp) -> SettingsDialog:
    sova.actions.settings.trigger()
    dialog = sova.settings_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_settings_round_trip(qtbot: QtBot, app_no_engine: SovaApp, tmp_path: Path) -> None:
    sova = app_no_engine
    dialog = _dialog(sova)
    # what is offered comes from the installed manifests and the persona files
    voices_ru = _combo(dialog, "audio.tts.ru")
    assert "espeak-ng-ru" in [voices_ru.itemData(i) for i in range(voices_ru.count())]
    llms = _combo(dialog, "llm.primary.id")
    assert {PRIMARY, LIGHT_LLM} <= {llms.itemData(i) for i in range(llms.count())}
    assert _combo(dialog, "audio.devices.input").itemText(0) == "System default"
    _select(_combo(dialog, "app.language"), "ru")
    _select(llms, PRIMARY)
    _select(_combo(dialog, "app.persona"), "default")
    _editor(dialog, "ui.hold_key", QKeySequenceEdit).setKeySequence(QKeySequence("F9"))
    _editor(dialog, "ui.speak_quick_answers", QCheckBox).setChecked(False)
    saved: list[object] = []
    dialog.saved.connect(saved.append)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert saved and not dialog.isVisible()

    user_file = tmp_path / "config.toml"
    data = tomllib.loads(user_file.read_text())
    assert data["app"]["language"] == "ru"
    assert data["ui"] == {"hold_key": "F9", "speak_quick_answers": False}  # the window's keys are in config.toml
    assert not (tmp_path / "ui.toml").exists()
    loaded = load_config(DEFAULT_CONFIG, user_file)
    assert loaded == saved[0]
    assert loaded.app.language == "ru" and loaded.llm.primary.id == PRIMARY and loaded.ui.hold_key == "F9"
    # the app uses the new settings at once
    assert sova.bridge.config.app.language == "ru"
    assert sova.window._hold_key_text == "F9" and not sova.quick.speak.isChecked()

    again = _dialog(sova)  # a new dialog over the saved config shows the same values
    assert combo_value(_combo(again, "app.language")) == "ru"
    assert combo_value(_combo(again, "llm.primary.id")) == PRIMARY
    assert _editor(again, "ui.hold_key", QKeySequenceEdit).keySequence().toString() == "F9"
    assert not _editor(again, "ui.speak_quick_answers", QCheckBox).isChecked()
    again.reject()


def test_invalid_values_are_refused_and_nothing_is_written(app_no_engine: SovaApp, tmp_path: Path) -> None:
    user_file = tmp_path / "config.toml"
    user_file.write_text('[app]\npersona = "default"\n')
    before = user_file.read_text()
    dialog = _dialog(app_no_engine)
    _combo(dialog, "llm.primary.id").setEditText("")  # the schema requires an id
    _combo(dialog, "app.persona").setEditText("pirate")  # no such persona file
    assert not dialog.save()
    assert dialog.isVisible()
    assert dialog.invalid_fields() == {"llm.primary.id", "app.persona"}
    assert dialog.error.isVisible()
    assert "llm.primary.id" in dialog.error.text() and "pirate" in dialog.error.text()
    assert user_file.read_text() == before
    # fixing the values clears the marks and saves
    _combo(dialog, "llm.primary.id").setEditText(LIGHT_LLM)
    _combo(dialog, "app.persona").setEditText("default")
    hold_key = _editor(dialog, "ui.hold_key", QKeySequenceEdit)
    hold_key.clear()
    assert not dialog.save() and dialog.invalid_fields() == {"ui.hold_key"}
    hold_key.setKeySequence(QKeySequence("Space"))
    assert dialog.save()
    assert not dialog.invalid_fields()


def test_switching_the_language_retranslates_the_window(qtbot: QtBot, app_no_engine: SovaApp) -> None:
    sova = app_no_engine
    window = sova.window
    assert (window.windowTitle(), window.talk.text(), window.send.text()) == ("Sova", "Hold to talk", "Send")
    bubble = window.chat.add_bubble("assistant", "Hello")
    bubble.set_interrupted()
    dialog = _dialog(sova)
    _select(_combo(dialog, "app.ui_language"), "ru")
    assert dialog.save()
    assert sova.translations.language == "ru"
    qtbot.waitUntil(lambda: window.windowTitle() == "Сова", timeout=2000)
    assert window.talk.text() == "Удерживайте и говорите"
    assert window.send.text() == "Отправить"
    assert window.menu.title() == "&Сова"
    assert window.state.text() == "Загрузка моделей…"
    assert window.input.placeholderText() == "Напишите вопрос и нажмите Enter"
    assert sova.actions.quit.text() == "&Выход"
    assert bubble.meta_text() == "прервано"
    assert sova.quick.speak.text() == "Озвучить"
    sova.translations.apply("en")
    qtbot.waitUntil(lambda: window.windowTitle() == "Sova", timeout=2000)
    assert window.talk.text() == "Hold to talk" and bubble.meta_text() == "interrupted"


def test_every_message_is_translated_and_the_qm_is_current(tmp_path: Path) -> None:
    ts = TRANSLATIONS_DIR / "sova_ru.ts"
    messages = list(ET.parse(ts).getroot().iter("message"))
    assert len(messages) > 80
    for message in messages:
        translation = message.find("translation")
        source = message.findtext("source")
        assert translation is not None and translation.text and translation.get("type") is None, source
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    if not lrelease.exists():
        pytest.skip("pyside6-lrelease is not installed")
    fresh = tmp_path / "sova_ru.qm"
    subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(fresh)], check=True)
    assert fresh.read_bytes() == (TRANSLATIONS_DIR / "sova_ru.qm").read_bytes(), "run pyside6-lrelease (docs/ui.md)"


def test_status_messages_never_draw_over_the_models_line(qtbot: QtBot, app_no_engine: SovaApp) -> None:
    window = app_no_engine.window
    bar = window.statusBar()
    # a message shown before the window was (the no-tray notice at start) hides the models line too
    window.hide()
    bar.clearMessage()
    window.show_status_message("first", 60_000)
    window.show()
    assert bar.currentMessage() == "first" and not window.models.isVisible()
    window.show_status_message("second", 60_000)  # waits behind the first (at most MESSAGE_MIN_MS)
    window.show_status_message("second", 60_000)  # and only once
    assert bar.currentMessage() == "first"
    qtbot.waitUntil(lambda: bar.currentMessage() == "second", timeout=6000)
    assert not window.models.isVisible()
    bar.clearMessage()
    assert window.models.isVisible()
