"""Remote models in the window: the consent dialog, the mark on a remote reply and what was sent; Russian texts.

Driven through the bridge on the scripted engine (tests/harness), with `WindowParts` recording the answers.
"""

from __future__ import annotations

import dataclasses

import pytest
from pytestqt.qtbot import QtBot

from engine.events import ConfirmationRequested, ConsentRequired, ExternalUse, TurnFinished, TurnResult
from engine.stages.base import ChatMessage
from tests.harness.engine import WindowParts
from tests.harness.fakes import FakeMemory
from ui.app import SovaApp
from ui.window_features import host_of

ENDPOINT = "https://gpu.example.lan:8000/v1"


def _parts(sova: SovaApp, **kwargs: object) -> WindowParts:
    assert sova.bridge.assistant is not None
    parts = WindowParts(**kwargs)  # type: ignore[arg-type]
    parts.install(sova.bridge.assistant)
    return parts


def _answered_turn(qtbot: QtBot, sova: SovaApp) -> TurnResult:
    finished: list[TurnResult] = []
    sova.bridge.turn_finished.connect(lambda event: finished.append(event.result))
    sova.bridge.ask_text("Name a colour.")
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    return finished[0]


@pytest.mark.parametrize(("endpoint", "host"), [(ENDPOINT, "gpu.example.lan"), ("gpu-box", "gpu-box")])
def test_host_of(endpoint: str, host: str) -> None:
    assert host_of(endpoint) == host


@pytest.mark.parametrize("allow", [True, False])
def test_consent_is_asked_once_per_endpoint(qtbot: QtBot, sova_fake: SovaApp, allow: bool) -> None:
    parts = _parts(sova_fake)
    bus = sova_fake.bridge.assistant.bus  # type: ignore[union-attr]
    features = sova_fake.window.features
    bus.publish(ConsentRequired(ENDPOINT, "primary"))
    bus.publish(ConsentRequired(ENDPOINT, "primary"))  # asked again before the answer: still one dialog
    qtbot.waitUntil(lambda: ENDPOINT in features.consents, timeout=5000)
    dialog = features.consents[ENDPOINT]
    text = dialog.text.text()
    assert ENDPOINT in text and "primary" in text and "Your voice never leaves" in text
    assert "placeholders" in text and dialog.deny_button.isDefault()
    (dialog.allow_button if allow else dialog.deny_button).click()
    assert parts.granted == ([ENDPOINT] if allow else []) and features.consents == {}


def test_a_remote_reply_is_marked_and_shows_what_was_sent(qtbot: QtBot, sova_fake: SovaApp) -> None:
    parts = _parts(sova_fake)
    result = _answered_turn(qtbot, sova_fake)
    reply = sova_fake.window.chat.reply_bubble(result.turn_id)
    assert reply is not None and reply.remote_text() == ""  # a local reply carries no mark
    sent = (ChatMessage("system", "You are Sova."), ChatMessage("user", "My name is <PERSON_1>. Name a colour."))
    parts.sent[result.turn_id] = sent
    remote = dataclasses.replace(result, external=ExternalUse(ENDPOINT, ("person",)))
    sova_fake.bridge.assistant.bus.publish(TurnFinished(remote))  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: reply.remote_text() == "☁ remote: gpu.example.lan", timeout=5000)
    assert reply._remote_label.isVisibleTo(reply) and 'href="sent"' in reply._remote_label.text()
    reply._remote_label.linkActivated.emit("sent")  # the user clicks "what was sent"
    dialog = sova_fake.window.features.sent_dialog
    assert dialog is not None and dialog.isVisible() and dialog.view.isReadOnly()
    assert "gpu.example.lan" in dialog.windowTitle()
    assert dialog.view.toPlainText() == "[system]\nYou are Sova.\n\n[user]\nMy name is <PERSON_1>. Name a colour."
    dialog.close()


def test_the_new_texts_are_russian_in_the_russian_interface(qtbot: QtBot, sova_fake: SovaApp) -> None:
    parts = _parts(sova_fake, memory=FakeMemory())
    result = _answered_turn(qtbot, sova_fake)
    sova_fake.translations.apply("ru")
    try:
        window, features = sova_fake.window, sova_fake.window.features
        assert sova_fake.actions.memory.text() == "&Память…"
        assert sova_fake.actions.reminders.text() == "&Напоминания…"
        features.open_memory()
        panel = features.memory_panel
        qtbot.waitUntil(lambda: panel.windowTitle() == "Память", timeout=5000)  # LanguageChange is posted
        assert panel.search_button.text() == "Найти" and panel.tree.headerItem().text(2) == "Ваши слова"
        features.memory_panel.hide()
        remote = dataclasses.replace(result, external=ExternalUse(ENDPOINT))
        sova_fake.bridge.assistant.bus.publish(TurnFinished(remote))  # type: ignore[union-attr]
        reply = window.chat.reply_bubble(result.turn_id)
        assert reply is not None
        qtbot.waitUntil(lambda: reply.remote_text() == "☁ удалённая модель: gpu.example.lan", timeout=5000)
        sova_fake.bridge.assistant.bus.publish(  # type: ignore[union-attr]
            ConfirmationRequested(3, "media_pause", {}, "поставить плеер на паузу")
        )
        qtbot.waitUntil(lambda: 3 in features.confirmations, timeout=5000)
        dialog = features.confirmations[3]
        assert (dialog.allow_button.text(), dialog.deny_button.text()) == ("Разрешить", "Запретить")
        dialog.deny_button.click()
        assert parts.resolved == [(3, False)]
    finally:
        sova_fake.translations.apply("en")
