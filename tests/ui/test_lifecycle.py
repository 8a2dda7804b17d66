"""Starting the engine from the app, and reloading it when a setting that needs new models changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from qasync import QEventLoop

from app.commands.gui import default_assistant
from tests.ui.conftest import TURN_TIMEOUT_MS, Sinks, dispose, make_app, run_async, ui_config

pytestmark = [pytest.mark.models, pytest.mark.slow]


def test_start_then_reload_on_a_model_setting(
    qtbot: QtBot, qapp: QApplication, running_loop: QEventLoop, tmp_path: Path, sinks: Sinks
) -> None:
    # its own registry and models (default_assistant): closing them must not touch the shared engine
    config = ui_config(tmp_path / "data")
    sova = make_app(qapp, tmp_path, config, sink_factory=sinks, assistant_factory=default_assistant)
    try:
        sova.window.show()
        assert sova.window.state.state == "loading" and not sova.window.talk.isEnabled()
        assert run_async(running_loop, sova.start_engine()) is True
        qtbot.waitUntil(lambda: sova.window.state.state == "idle" and sova.window.talk.isEnabled(), timeout=5000)
        first = sova.bridge.assistant
        assert first is not None and first.stages is not None
        assert first.stages.tts.voices["en"].model_id in sova.window.models.full_text()

        tts = config.audio.tts.model_copy(update={"speed": 0.8})
        slower = config.model_copy(update={"audio": config.audio.model_copy(update={"tts": tts})})
        sova.apply_settings(slower)
        assert sova._restart is not None
        qtbot.waitUntil(sova._restart.done, timeout=TURN_TIMEOUT_MS)
        second = sova.bridge.assistant
        assert second is not None and second is not first and second.config.audio.tts.speed == 0.8
        qtbot.waitUntil(lambda: sova.window.state.state == "idle" and sova.window.talk.isEnabled(), timeout=5000)
        finished: list[object] = []
        sova.bridge.turn_finished.connect(finished.append)
        sova.bridge.ask_text("Say OK.")
        qtbot.waitUntil(lambda: bool(finished), timeout=TURN_TIMEOUT_MS)
    finally:
        run_async(running_loop, sova.bridge.close())
        dispose(sova, running_loop)
