"""Window behaviour that needs no model: the app on a scripted engine (tests/harness), in milliseconds.

The same window on the real models is in test_turns.py and test_tray_and_errors.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot
from qasync import QEventLoop

from engine.events import DownshiftChanged, LeaseRevoked, MoEDisabled, TurnResult
from tests.ui.conftest import TURN_TIMEOUT_MS, dispose, make_app
from ui.app import SovaApp
from ui.bridge import microphone_source


@pytest.fixture
def sova(sova_fake: SovaApp) -> SovaApp:
    """Here the app runs on the scripted engine."""
    return sova_fake


def _record_finished(sova: SovaApp) -> list[TurnResult]:
    finished: list[TurnResult] = []
    sova.bridge.turn_finished.connect(lambda event: finished.append(event.result))
    return finished


def test_scheduler_events_reach_the_status_bar(qtbot: QtBot, sova: SovaApp) -> None:
    assistant = sova.bridge.assistant
    assert assistant is not None
    bar = sova.window.statusBar()
    assistant.bus.publish(DownshiftChanged(True, "speech recognition is busy", "lightweight", "qwen-0.5b"))
    qtbot.waitUntil(lambda: "qwen-0.5b" in bar.currentMessage(), timeout=5000)
    assert "speech recognition is busy" in bar.currentMessage()
    qtbot.waitUntil(lambda: "yes" in sova.window.scheduler.text(), timeout=5000)
    assistant.bus.publish(LeaseRevoked("llm", 121.0))
    qtbot.waitUntil(lambda: "121 s" in bar.currentMessage(), timeout=10_000)
    assistant.bus.publish(MoEDisabled("p95 latency 9000 ms is over the SLA", 9000.0))
    qtbot.waitUntil(lambda: "switched off" in bar.currentMessage(), timeout=10_000)


def test_the_listening_state_comes_from_the_engine(qtbot: QtBot, sova: SovaApp) -> None:
    window = sova.window
    assert sova.bridge.begin_recording()
    qtbot.waitUntil(lambda: window.state.state == "listening", timeout=5000)
    finished = _record_finished(sova)
    sova.bridge.end_recording()
    qtbot.waitUntil(lambda: bool(finished) and window.state.state == "idle", timeout=TURN_TIMEOUT_MS)
    assert finished[0].transcript == "what time is it" and not finished[0].interrupted


def test_space_is_the_hold_key_except_in_the_text_field(qtbot: QtBot, sova: SovaApp) -> None:
    started: list[int] = []
    sova.bridge.turn_started.connect(lambda event: started.append(event.turn_id))
    window = sova.window
    qtbot.keyClicks(window.input, "a b")
    assert window.input.text() == "a b" and not sova.bridge.recording
    window.chat.setFocus()
    qtbot.keyPress(window.chat, Qt.Key.Key_Space)
    assert sova.bridge.recording
    qtbot.keyRelease(window.chat, Qt.Key.Key_Space)
    assert not sova.bridge.recording
    qtbot.waitUntil(lambda: bool(started), timeout=TURN_TIMEOUT_MS)


def test_hold_key_is_configurable(qtbot: QtBot, sova: SovaApp) -> None:
    sova.window.set_hold_key("F8")
    sova.window.chat.setFocus()
    qtbot.keyPress(sova.window.chat, Qt.Key.Key_Space)
    assert not sova.bridge.recording
    qtbot.keyPress(sova.window.chat, Qt.Key.Key_F8)
    assert sova.bridge.recording
    qtbot.keyRelease(sova.window.chat, Qt.Key.Key_F8)
    assert not sova.bridge.recording


def test_history_of_the_conversation_is_shown_at_start(
    qtbot: QtBot, sova: SovaApp, qapp: QApplication, running_loop: QEventLoop, tmp_path: Path
) -> None:
    finished = _record_finished(sova)
    sova.bridge.ask_text("Name one colour of the rainbow, in one word.")
    qtbot.waitUntil(lambda: bool(finished), timeout=TURN_TIMEOUT_MS)
    assistant = sova.bridge.assistant
    assert assistant is not None
    again = make_app(qapp, tmp_path / "again", assistant.config)
    try:
        again.bridge.attach(assistant)
        qtbot.waitUntil(lambda: len(again.window.chat.bubbles()) == 2, timeout=5000)
        user, reply = again.window.chat.bubbles()
        assert (user.role, user.text()) == ("user", "Name one colour of the rainbow, in one word.")
        assert (reply.role, reply.text()) == ("assistant", finished[0].reply_text)
        # "New conversation" clears the window and the engine's current conversation
        again.actions.new_conversation.trigger()
        assert again.window.chat.bubbles() == [] and assistant.history.messages() == []
    finally:
        dispose(again, running_loop)


def test_status_bar_names_the_models_and_the_scheduler_state(qtbot: QtBot, sova: SovaApp) -> None:
    assistant = sova.bridge.assistant
    assert assistant is not None and assistant.stages is not None
    stages = assistant.stages
    qtbot.waitUntil(lambda: "LLM:" in sova.window.models.full_text(), timeout=5000)
    text = sova.window.models.full_text()
    assert stages.stt.model_id in text and stages.llm.model.model_id in text
    for language, voice in stages.tts.voices.items():
        assert f"{language} {voice.model_id}" in text
    assert sova.window.scheduler.text() == "downshifted: no"
    assert stages.llm.model.model_id in sova.window.scheduler.toolTip()


def test_show_hide_action_toggles_the_window(qtbot: QtBot, sova: SovaApp) -> None:
    assert sova.window.isVisible()
    sova.actions.show_hide.trigger()
    assert not sova.window.isVisible()
    sova.actions.show_hide.trigger()
    assert sova.window.isVisible()


def test_no_tray_says_so_and_keeps_the_quick_query_in_the_menu(sova: SovaApp) -> None:
    if QSystemTrayIcon.isSystemTrayAvailable():
        pytest.skip("this desktop has a system tray")
    assert not sova.tray.available and sova.tray.icon is None
    assert sova.window.statusBar().currentMessage() == sova.no_tray_message()
    assert "tray" in sova.no_tray_message()
    assert sova.actions.quick_query in sova.window.menu.actions()
    # without a tray, closing the window quits (instead of hiding to a tray that is not there)
    sova._quit = asyncio.get_running_loop().create_future()
    sova.window.close()
    assert sova._quit.done()


def test_missing_microphone_shows_a_banner_naming_the_fix(qtbot: QtBot, sova: SovaApp) -> None:
    from engine.errors import AudioDeviceError

    def no_microphone(config: object) -> object:
        try:
            return microphone_source(sova.config)  # the real device probe: this machine has no sound card
        except AudioDeviceError:
            raise
        pytest.skip("a microphone exists here")  # pragma: no cover

    sova.bridge._source_factory = no_microphone  # type: ignore[assignment]
    assert not sova.bridge.begin_recording()
    qtbot.waitUntil(sova.window.banner.isVisible, timeout=2000)
    text = sova.window.banner.text()
    assert "microphone" in text and "What to do:" in text
    assert not sova.bridge.recording and sova.window.state.state != "listening"


def test_the_language_switch_sets_the_language_of_the_next_turns(qtbot: QtBot, sova: SovaApp) -> None:
    window, bridge = sova.window, sova.bridge
    switch = window.language_switch
    qtbot.waitUntil(lambda: switch.isVisible() and switch.width() > 0, timeout=5000)
    # beside the talk button, before the text field, on their row
    assert window.talk.geometry().right() < switch.geometry().left() < window.input.geometry().left()
    assert switch.geometry().center().y() == pytest.approx(window.talk.geometry().center().y(), abs=8)
    assert [switch.itemData(i) for i in range(switch.count())] == ["auto", "ru", "en"]
    assert switch.currentData() == "auto" and switch.itemText(0) == "Auto"
    finished = _record_finished(sova)

    switch.setCurrentIndex(switch.findData("ru"))  # the scripted STT hears the language it is asked for
    assert bridge.language == "ru"
    assert bridge.begin_recording()
    bridge.end_recording()
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=TURN_TIMEOUT_MS)
    bridge.ask_text("What colour is the sky?")  # typed, in English: still asked in the chosen language
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=TURN_TIMEOUT_MS)

    switch.setCurrentIndex(switch.findData("auto"))  # back to the config's language ("en" in these tests)
    assert bridge.language == sova.config.app.language == "en"
    assert bridge.begin_recording()
    bridge.end_recording()
    qtbot.waitUntil(lambda: len(finished) == 3, timeout=TURN_TIMEOUT_MS)
    assert [r.language for r in finished] == ["ru", "ru", "en"]
    with pytest.raises(ValueError, match="unknown language"):
        bridge.set_language("de")
