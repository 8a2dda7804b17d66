"""Tray actions, the quick question, mute, the no-tray fallback, and errors shown to the user."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon
from pytestqt.qtbot import QtBot
from qasync import QEventLoop

from app.paths import ICON_FILE, RESOURCES_DIR
from engine.assistant import Assistant
from engine.errors import ErrorCode
from engine.events import TurnFailed, TurnResult
from engine.registry.registry import Registry
from tests.ui.conftest import TURN_TIMEOUT_MS, Sinks, dispose, make_app, ui_config, wav_source
from ui.actions import AppActions
from ui.app import SovaApp
from ui.tray import SovaTray

pytestmark = [pytest.mark.models]


def test_quick_query_answers_in_its_popup(qtbot: QtBot, sova: SovaApp, sinks: Sinks) -> None:
    finished: list[TurnResult] = []
    sova.bridge.turn_finished.connect(lambda event: finished.append(event.result))
    sova.actions.quick_query.trigger()
    quick = sova.quick
    assert quick.isVisible()
    quick.speak.setChecked(False)
    qtbot.keyClicks(quick.input, "What is two plus two? Answer with the number only.")
    qtbot.keyClick(quick.input, "\r")
    qtbot.waitUntil(lambda: bool(finished) and quick.done, timeout=TURN_TIMEOUT_MS)
    assert quick.turn_id == finished[0].turn_id
    assert sova.bridge.origin_of(finished[0].turn_id) == "quick"
    assert quick.answer_text().strip() == finished[0].reply_text
    assert "4" in quick.answer_text() or "four" in quick.answer_text().lower()
    assert sinks.made[-1][0] is False  # "Speak" unchecked: nothing spoken
    # the quick turn is part of the conversation, so the window shows it too
    assert sova.window.chat.reply_bubble(finished[0].turn_id) is not None
    qtbot.keyClick(quick.input, "\x1b")
    assert not quick.isVisible()


def test_mute_action_silences_replies(qtbot: QtBot, sova: SovaApp, sinks: Sinks) -> None:
    sova.actions.mute.trigger()
    assert sova.bridge.muted and sova.actions.mute.isChecked()
    finished: list[TurnResult] = []
    sova.bridge.turn_finished.connect(lambda event: finished.append(event.result))
    sova.bridge.ask_text("Say hello.")
    qtbot.waitUntil(lambda: bool(finished), timeout=TURN_TIMEOUT_MS)
    assert sinks.made[-1][0] is False
    assert finished[0].reply_text
    sova.actions.mute.trigger()
    assert not sova.bridge.muted


# the pretend tray has no platform behind it: Qt notes that once (the real tray path is the same code)
@pytest.mark.qt_log_ignore("systemTrayWindowChanged")
def test_tray_menu_where_a_tray_exists(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, qapp: QApplication) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    actions = AppActions()
    shown: list[bool] = []
    actions.show_hide.triggered.connect(lambda: shown.append(True))
    tray = SovaTray(actions, QIcon(str(ICON_FILE)), None)
    try:
        assert tray.available and tray.icon is not None and tray.menu is not None
        menu = [a for a in tray.menu.actions() if not a.isSeparator()]
        reminders = actions.reminders_menu.menuAction()
        assert menu == [actions.quick_query, actions.show_hide, actions.mute, reminders, actions.quit]
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
        assert shown == [True]
    finally:
        tray.dispose()


def test_turn_failure_becomes_a_message_with_the_fix(qtbot: QtBot, sova: SovaApp) -> None:
    sova.bridge._source_factory = wav_source("silence_2s")
    failed: list[TurnFailed] = []
    sova.bridge.turn_failed.connect(failed.append)
    sova.bridge.begin_recording()
    sova.bridge.end_recording()
    qtbot.waitUntil(lambda: bool(failed) and sova.window.state.state == "idle", timeout=TURN_TIMEOUT_MS)
    turn_id, code, message, hint = failed[0].turn_id, failed[0].code, failed[0].message, failed[0].hint
    assert code is ErrorCode.NO_SPEECH
    error = sova.window.chat.bubbles()[-1]
    assert error.role == "error" and error.text() == message
    assert hint and hint in error.meta_text()
    assert sova.window.chat.reply_bubble(turn_id) is None  # no empty reply placeholder left behind


# QMessageBox fixes its own size after it is shown, which the offscreen platform reports (not xcb)
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_start_failure_shows_the_error_then_quits(
    qtbot: QtBot, qapp: QApplication, running_loop: QEventLoop, registry: Registry, tmp_path: Path
) -> None:
    config = ui_config(tmp_path, audio={"stt": {"model": "no-such-stt", "fast_model": "no-such-stt-either"}})
    sova = make_app(qapp, tmp_path, config, assistant_factory=lambda c: Assistant(c, registry, tmp_path, RESOURCES_DIR))
    task = running_loop.create_task(sova.start_engine())
    try:
        qtbot.waitUntil(lambda: sova.failure_box is not None and sova.failure_box.isVisible(), timeout=60_000)
        box = sova.failure_box
        assert box is not None
        assert box.icon() == QMessageBox.Icon.Critical
        assert "no speech recognition model can be loaded" in box.text()
        assert "no-such-stt" in box.text() and "sova models" in box.informativeText()
        quit_button = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
        quit_button.click()
        qtbot.waitUntil(task.done, timeout=5000)
        assert task.result() is False
        assert sova.exit_code == 5  # ModelUnavailableError's exit status
    finally:
        dispose(sova, running_loop)
