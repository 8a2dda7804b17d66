"""Tools and reminders in the window: calls as chat lines, confirmation dialogs, the reminders list and the tray.

Driven through the bridge on the scripted engine (tests/harness), with `WindowParts` recording the answers.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel, QSystemTrayIcon
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from app.paths import ICON_FILE
from engine.errors import ErrorCode
from engine.events import ConfirmationRequested, ReminderDue, ToolCalled, ToolCallRecord, TurnFailed
from engine.tools.reminder_store import ReminderStore
from tests.harness.engine import WindowParts
from tests.harness.fakes import FakeReminder
from ui.actions import AppActions
from ui.app import SovaApp
from ui.tray import SovaTray
from ui.widgets.chat_view import args_text
from ui.widgets.reminders_panel import TRAY_COUNT, upcoming

MEDIA = ConfirmationRequested(41, "media_volume", {"level": 30}, "set the player's volume to 30%")


def _parts(sova: SovaApp, **kwargs: object) -> WindowParts:
    assert sova.bridge.assistant is not None
    parts = WindowParts(**kwargs)  # type: ignore[arg-type]
    parts.install(sova.bridge.assistant)
    return parts


def test_a_tool_call_is_a_small_line_above_its_reply(qtbot: QtBot, sova_fake: SovaApp) -> None:
    chat, bus = sova_fake.window.chat, sova_fake.bridge.assistant.bus  # type: ignore[union-attr]
    chat.show_transcript(5, "How much is 12345 times 6789?")
    bus.publish(ToolCalled(5, ToolCallRecord("calc", {"expression": "12345 * 6789"}, True, "83810205")))
    bus.publish(ToolCalled(5, ToolCallRecord("notes_read", {"title": "shopping"}, False, "no such note")))
    qtbot.waitUntil(lambda: len(chat.tool_lines) == 2, timeout=5000)
    ok, failed = chat.tool_lines
    assert ok.text() == "🔧 calc(expression='12345 * 6789'): 83810205" and ok.objectName() == "tool-ok"
    assert failed.text() == "🔧 notes_read(title='shopping') failed: no such note"
    assert failed.objectName() == "tool-failed"
    reply = chat.reply_bubble(5)
    assert reply is not None
    layout = chat._layout
    assert layout.indexOf(ok) < layout.indexOf(failed) < chat._row_of(reply)
    chat.clear()  # "New conversation" clears them too
    assert chat.tool_lines == []


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ({}, ""),
        ({"a": 1, "b": 2.5}, "a=1, b=2.5"),
        ({"text": "купить хлеб"}, "text='купить хлеб'"),
        ({"text": "x" * 200}, "text='" + "x" * 73 + "…"),  # ARGS_SHOWN characters in all
    ],
)
def test_arguments_are_shown_short(args: dict[str, object], shown: str) -> None:
    assert args_text(args) == shown


@pytest.mark.parametrize("allow", [True, False])
def test_a_confirmation_opens_a_dialog_and_answers_the_engine(qtbot: QtBot, sova_fake: SovaApp, allow: bool) -> None:
    parts = _parts(sova_fake)
    sova_fake.bridge.assistant.bus.publish(MEDIA)  # type: ignore[union-attr]
    features = sova_fake.window.features
    qtbot.waitUntil(lambda: 41 in features.confirmations, timeout=5000)
    dialog = features.confirmations[41]
    assert dialog.isVisible() and not dialog.isModal()
    assert "media_volume" in dialog.what.text() and "set the player's volume to 30%" in dialog.what.text()
    assert '"level": 30' in dialog.args.text()
    (dialog.allow_button if allow else dialog.deny_button).click()
    assert parts.resolved == [(41, allow)] and 41 not in features.confirmations


def test_closing_the_dialog_denies_and_a_finished_turn_withdraws_it(qtbot: QtBot, sova_fake: SovaApp) -> None:
    parts = _parts(sova_fake)
    bus = sova_fake.bridge.assistant.bus  # type: ignore[union-attr]
    features = sova_fake.window.features
    bus.publish(MEDIA)
    qtbot.waitUntil(lambda: 41 in features.confirmations, timeout=5000)
    features.confirmations[41].close()
    assert parts.resolved == [(41, False)]
    bus.publish(ConfirmationRequested(42, "media_next", {}, "skip to the next track"))
    qtbot.waitUntil(lambda: 42 in features.confirmations, timeout=5000)
    dialog = features.confirmations[42]
    bus.publish(TurnFailed(9, ErrorCode.LLM_FAILED, "the model failed"))  # the engine stopped waiting
    qtbot.waitUntil(lambda: not isValid(dialog), timeout=5000)  # closed and deleted
    assert parts.resolved == [(41, False)] and features.confirmations == {}


def test_reminders_are_listed_in_the_window_and_the_tray_menu(qtbot: QtBot, sova_fake: SovaApp) -> None:
    now = time.time()
    reminders = [
        FakeReminder(1, "call mum", now + 600),
        FakeReminder(2, "stretch", now - 3600, fired_at=now - 3500),
        FakeReminder(3, "take the pills", now - 7200, fired_at=now - 60, late=True),
        FakeReminder(4, "buy bread", now + 60),
    ]
    _parts(sova_fake, reminders=reminders)
    sova_fake.actions.reminders.trigger()
    panel = sova_fake.window.features.reminders_panel
    qtbot.waitUntil(lambda: len(panel.rows()) == 4, timeout=5000)
    assert [(r[1], r[2]) for r in panel.rows()] == [
        ("buy bread", "pending"),
        ("call mum", "pending"),
        ("stretch", "fired"),
        ("take the pills", "fired late"),
    ]
    assert not panel.empty.isVisible()
    menu = [a.text() for a in sova_fake.actions.reminders_menu.actions()]
    assert len(menu) == 2 and menu[0].endswith("— buy bread") and menu[1].endswith("— call mum")
    panel.hide()


def test_reminders_from_the_real_store(qtbot: QtBot, sova_fake: SovaApp, tmp_path: Path) -> None:
    store = ReminderStore(tmp_path / "reminders.sqlite3")
    now = datetime.now().astimezone()
    store.add("call mum", now + timedelta(minutes=10), now)
    fired = store.add("stretch", now - timedelta(hours=1), now - timedelta(hours=2))
    store.mark_fired(fired.id, now - timedelta(minutes=5), late=True)
    _parts(sova_fake, reminder_source=store.all)
    sova_fake.window.features.open_reminders()
    panel = sova_fake.window.features.reminders_panel
    qtbot.waitUntil(lambda: len(panel.rows()) == 2, timeout=5000)
    assert [(r[1], r[2]) for r in panel.rows()] == [("call mum", "pending"), ("stretch", "fired late")]
    store.add("buy bread", now + timedelta(minutes=5), now)  # set by a tool during a turn
    sova_fake.bridge.assistant.bus.publish(ReminderDue(fired.id, "stretch", now.timestamp(), late=True))  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: len(panel.rows()) == 3, timeout=5000)
    assert [a.text().split(" — ")[1] for a in sova_fake.actions.reminders_menu.actions()] == ["buy bread", "call mum"]
    panel.hide()


def test_upcoming_keeps_the_next_pending_ones() -> None:
    soon = [FakeReminder(i, f"r{i}", 1000.0 - i) for i in range(TRAY_COUNT + 2)]
    fired = FakeReminder(99, "done", 1.0, fired_at=2.0)
    assert [r.id for r in upcoming([fired, *soon])] == [6, 5, 4, 3, 2]


def test_a_due_reminder_shows_in_the_chat_and_asks_the_tray(qtbot: QtBot, sova_fake: SovaApp) -> None:
    _parts(sova_fake, reminders=[FakeReminder(7, "take the pills", time.time(), fired_at=time.time())])
    told: list[tuple[str, str]] = []
    sova_fake.actions.notify_requested.connect(lambda title, message: told.append((title, message)))
    bus = sova_fake.bridge.assistant.bus  # type: ignore[union-attr]
    bus.publish(ReminderDue(7, "take the pills", time.time(), late=False))
    bus.publish(ReminderDue(8, "water the plants", time.time() - 3600, late=True))
    qtbot.waitUntil(lambda: len(told) == 2, timeout=5000)
    assert told == [("Sova: reminder", "take the pills"), ("Sova: reminder", "water the plants")]
    texts = [label.text() for label in sova_fake.window.chat.findChildren(QLabel)]
    assert "⏰ Reminder: take the pills" in texts
    assert any(
        t.startswith("⏰ Reminder (due ") and t.endswith("while Sova was closed): water the plants") for t in texts
    )


# the pretend tray has no platform behind it: Qt notes that once (the real tray path is the same code)
@pytest.mark.qt_log_ignore("systemTrayWindowChanged")
def test_the_tray_shows_the_message_and_the_next_reminders(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, qapp: QApplication
) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QSystemTrayIcon, "showMessage", lambda _icon, title, message, *_: shown.append((title, message))
    )
    actions = AppActions()
    tray = SovaTray(actions, QIcon(str(ICON_FILE)), None)
    try:
        assert tray.menu is not None and actions.reminders_menu.menuAction() in tray.menu.actions()
        actions.notify_requested.emit("Sova: reminder", "take the pills")
        assert shown == [("Sova: reminder", "take the pills")]
    finally:
        tray.dispose()
