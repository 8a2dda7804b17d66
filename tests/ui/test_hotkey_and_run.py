"""The optional global hotkey (X11 only) and the app's whole lifecycle through `ui.app.run`."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.commands.gui import gui_wiring
from app.paths import DEFAULT_CONFIG
from engine.config import load_config
from engine.errors import ConfigError
from tests.ui.conftest import ui_config
from ui.app import run, show_startup_error
from ui.hotkey import GlobalHotkey


def test_global_hotkey_explains_why_it_is_unavailable_off_x11(qapp: QApplication) -> None:
    if QGuiApplication.platformName() == "xcb":
        pytest.skip("this is an X11 display")
    hotkey = GlobalHotkey()
    reason = hotkey.register("Ctrl+Alt+F9")
    assert reason is not None and "X11" in reason
    assert not hotkey.active
    assert hotkey.register("") is None  # off is always fine


def _xtest() -> tuple[ctypes.CDLL, ctypes.CDLL, int]:
    x11_name, xtst_name = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
    if not (x11_name and xtst_name):
        pytest.skip("libX11/libXtst are not installed")
    x11, xtst = ctypes.CDLL(x11_name), ctypes.CDLL(xtst_name)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.restype = ctypes.c_ubyte
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    display = x11.XOpenDisplay(None)
    assert display
    return x11, xtst, display


def test_global_hotkey_on_x11(qtbot: QtBot) -> None:
    if QGuiApplication.platformName() != "xcb":
        pytest.skip("needs an X11 display: run under xvfb-run")
    x11, xtst, display = _xtest()

    def key(name: str, down: bool) -> None:
        code = x11.XKeysymToKeycode(display, x11.XStringToKeysym(name.encode()))
        xtst.XTestFakeKeyEvent(display, code, int(down), 0)
        x11.XFlush(display)

    hotkey, rival = GlobalHotkey(), GlobalHotkey()
    try:
        reason = hotkey.register("Ctrl+Alt+F9")
        assert reason is not None and "console" in reason and not hotkey.active
        assert hotkey.register("Ctrl+Shift+F9") is None and hotkey.active
        reason = rival.register("Ctrl+Shift+F9")  # another X client cannot grab the same key
        assert reason is not None and "already" in reason and not rival.active
        with qtbot.waitSignal(hotkey.pressed, timeout=3000):
            key("Control_L", True)
            key("Shift_L", True)
            key("F9", True)
        with qtbot.waitSignal(hotkey.released, timeout=3000):
            key("F9", False)
        key("Shift_L", False)
        key("Control_L", False)
    finally:
        hotkey.unregister()
        rival.unregister()
        x11.XCloseDisplay(display)
    assert not hotkey.active


# QMessageBox fixes its own size after it is shown, which the offscreen platform reports (not xcb)
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
@pytest.mark.models
def test_run_shows_a_start_failure_then_exits_with_its_status(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOVA_CONFIG", str(tmp_path / "config.toml"))
    config = ui_config(tmp_path, audio={"stt": {"model": "no-such-stt", "fast_model": "no-such-stt-either"}})
    seen: list[str] = []

    def answer_quit() -> None:
        boxes = [w for w in qapp.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        if not boxes:
            QTimer.singleShot(50, answer_quit)
            return
        box = boxes[0]
        seen.append(box.text())
        next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole).click()

    QTimer.singleShot(50, answer_quit)
    assert run(config, gui_wiring(tmp_path / "config.toml")) == 5
    assert seen and "no speech recognition model can be loaded" in seen[0]


# QMessageBox fixes its own size after it is shown, which the offscreen platform reports (not xcb)
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_startup_error_dialog_for_an_invalid_config(qapp: QApplication, tmp_path: Path) -> None:
    user_file = tmp_path / "config.toml"
    user_file.write_text('[app]\nlanguage = "de"\n')
    try:
        load_config(DEFAULT_CONFIG, user_file)
    except ConfigError as exc:
        error = exc
    else:  # pragma: no cover
        pytest.fail("the config should be invalid")
    seen: list[tuple[str, list[str]]] = []

    def close_it() -> None:
        box = next((w for w in qapp.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(50, close_it)
            return
        seen.append((box.text() + box.informativeText(), [b.text() for b in box.buttons()]))
        box.button(QMessageBox.StandardButton.Close).click()

    QTimer.singleShot(50, close_it)
    assert show_startup_error(error, user_file) == 3
    text, buttons = seen[0]
    assert "app.language" in text and str(user_file) in text
    assert "Open the configuration file" in buttons
