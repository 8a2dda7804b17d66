"""Whole turns through the window, on the real engine: hold-to-talk, typing, interrupting, a live loop."""

from __future__ import annotations

import itertools
import time

import pytest
import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from engine.audio.sources import WavFileSource
from engine.events import ReplyDelta, TurnResult
from tests.ui.conftest import DATA, TURN_TIMEOUT_MS, Sinks, wav_source
from ui.app import SovaApp
from ui.bridge import connect_queued

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _record_finished(sova: SovaApp) -> list[TurnResult]:
    finished: list[TurnResult] = []
    sova.bridge.turn_finished.connect(lambda event: finished.append(event.result))
    return finished


def _record_reply_snapshots(sova: SovaApp) -> list[str]:
    """The reply bubble's text after each delta reached the window (queued after the window's own slot)."""
    snapshots: list[str] = []

    def snap(event: ReplyDelta) -> None:
        bubble = sova.window.chat.reply_bubble(event.turn_id)
        snapshots.append(bubble.text() if bubble else "")

    connect_queued(sova.bridge.reply_delta, snap)
    return snapshots


def _assert_streamed(snapshots: list[str], final: str) -> None:
    assert len(snapshots) >= 2, "the reply arrived in one piece"
    assert len(set(snapshots)) >= 2
    for earlier, later in itertools.pairwise(snapshots):
        assert later.startswith(earlier)
    assert snapshots[-1].strip() == final


def test_hold_to_talk_button_gives_transcript_and_streamed_reply(qtbot: QtBot, sova: SovaApp, sinks: Sinks) -> None:
    source = WavFileSource(DATA / "en_capital_france.wav", realtime=True)
    sova.bridge._source_factory = lambda config: source
    finished = _record_finished(sova)
    snapshots = _record_reply_snapshots(sova)
    window = sova.window

    qtbot.mousePress(window.talk, Qt.MouseButton.LeftButton)
    assert sova.bridge.recording
    qtbot.waitUntil(lambda: window.level.isVisible() and window.level.value() > 0, timeout=5000)
    assert window.state.state == "listening"
    qtbot.waitUntil(source.finished.is_set, timeout=10_000)
    qtbot.mouseRelease(window.talk, Qt.MouseButton.LeftButton)
    assert not sova.bridge.recording
    qtbot.waitUntil(lambda: bool(finished), timeout=TURN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.state.state == "idle", timeout=5000)

    result = finished[0]
    user = window.chat.user_bubble(result.turn_id)
    assert user is not None
    assert "capital" in user.text().lower() and "france" in user.text().lower()
    assert user.emotion is not None and user.emotion.label in user.meta_text()
    reply = window.chat.reply_bubble(result.turn_id)
    assert reply is not None and reply.text() == result.reply_text and not reply.interrupted
    _assert_streamed(snapshots, result.reply_text)
    assert not window.level.isVisible()
    # the reply was spoken into the sink (a WAV file here)
    speak, sink = sinks.made[-1]
    assert speak
    qtbot.waitUntil(sink.path.exists, timeout=5000)  # written when the request closes its sink, just after the turn
    assert sf.info(str(sink.path)).duration > 0.3


def test_typed_question_streams_the_reply(qtbot: QtBot, sova: SovaApp) -> None:
    finished = _record_finished(sova)
    snapshots = _record_reply_snapshots(sova)
    window = sova.window
    qtbot.keyClicks(window.input, "What is the capital of Italy? Answer in one short sentence.")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    assert window.input.text() == ""
    qtbot.waitUntil(lambda: bool(finished), timeout=TURN_TIMEOUT_MS)
    result = finished[0]
    assert "Italy" in window.chat.user_bubble(result.turn_id).text()  # type: ignore[union-attr]
    _assert_streamed(snapshots, result.reply_text)
    assert "rome" in result.reply_text.lower()


def test_stop_button_interrupts_the_reply(qtbot: QtBot, sova: SovaApp) -> None:
    finished = _record_finished(sova)
    window = sova.window
    window.input.setText("Count from one to one hundred in words, separated by commas.")
    window.send_text()
    reply_started = lambda: any(b.role == "assistant" and b.text() for b in window.chat.bubbles()[-1:])  # noqa: E731
    qtbot.waitUntil(lambda: window.stop.isEnabled() and reply_started(), timeout=TURN_TIMEOUT_MS)
    qtbot.mouseClick(window.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    qtbot.waitUntil(lambda: window.state.state == "idle", timeout=5000)
    result = finished[0]
    assert result.interrupted
    bubble = window.chat.reply_bubble(result.turn_id)
    assert bubble is not None and bubble.interrupted
    assert "interrupted" in bubble.meta_text()
    assert not window.stop.isEnabled()
    stored = sova.bridge.history()[-1]
    assert stored.role == "assistant" and not stored.complete


def test_event_loop_keeps_ticking_during_a_whole_turn(qtbot: QtBot, sova: SovaApp) -> None:
    finished = _record_finished(sova)
    ticks: list[tuple[float, str]] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append((time.monotonic(), sova.window.state.state)))
    timer.start()
    # a recording no other test uses: its transcript is not in the STT cache, so recognition really runs
    sova.bridge._source_factory = wav_source("en_days_week")
    sova.bridge.end_recording()  # nothing recorded: no-op
    sova.bridge.begin_recording()
    sova.bridge.end_recording()  # the whole file, through STT, the LLM and TTS
    qtbot.waitUntil(lambda: bool(finished), timeout=TURN_TIMEOUT_MS)
    timer.stop()
    # the GUI thread kept running through the long stages: timer ticks came while each one lasted
    states = [s for _, s in ticks]
    for stage in ("transcribing", "thinking"):
        assert states.count(stage) >= 2, (stage, states)
    assert states.index("transcribing") < states.index("thinking")
