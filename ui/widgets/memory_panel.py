"""The Memory panel: what Sova remembers about the user; search, edit, delete, forget all.

Every call to the memory service blocks (SQLite, an embedding per query), so each runs in a worker
thread through `EngineBridge.run_blocking`, and its result comes back to the panel on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QDateTime, QEvent, QLocale, Qt
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.errors import SovaError
from engine.events import MemoryUpdated
from engine.memory.types import MemoryHit, MemoryItem
from ui.bridge import EngineBridge, connect_queued
from ui.engine_api import MemoryServiceLike, memory_of, memory_problem_of
from ui.widgets.sizing import no_constraint

T = TypeVar("T")
GREY = QColor("#8a8f98")
#: columns of the list
KIND, TEXT, QUOTE, DATE, SCORE = range(5)


def top_items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The rows of a flat tree, in order."""
    rows = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [row for row in rows if row is not None]


def when_text(epoch: float) -> str:
    """A date and time in the interface's locale, short."""
    moment = QDateTime.fromSecsSinceEpoch(int(epoch))
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


class MemoryPanel(QDialog):
    """The list of memories (superseded ones greyed, naming what replaced them) and the actions on them."""

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setModal(False)
        self.resize(760, 480)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff4e5; color: #663c00; padding: 6px; border-radius: 4px;")
        self.banner.hide()
        self.search_field = QLineEdit()
        self.search_field.returnPressed.connect(self.search)
        self.search_button = QPushButton()
        self.search_button.clicked.connect(self.search)
        self.show_all_button = QPushButton()
        self.show_all_button.clicked.connect(self.show_all)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(5)
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.currentItemChanged.connect(self._on_current)
        self.editor = QLineEdit()
        self.save_button = QPushButton()
        self.save_button.clicked.connect(self.save_edit)
        self.delete_button = QPushButton()
        self.delete_button.clicked.connect(self.delete_selected)
        self.forget_all_button = QPushButton()
        self.forget_all_button.clicked.connect(self.forget_everything)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.confirm_box: QMessageBox | None = None

        search_row = QHBoxLayout()
        search_row.addWidget(self.search_field, 1)
        search_row.addWidget(self.search_button)
        search_row.addWidget(self.show_all_button)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.editor, 1)
        edit_row.addWidget(self.save_button)
        edit_row.addWidget(self.delete_button)
        edit_row.addWidget(self.forget_all_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(search_row)
        layout.addWidget(self.tree, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self.message)

        self._items: dict[int, MemoryItem] = {}
        self._query = ""
        connect_queued(bridge.memory_updated, self._on_updated)
        self.retranslate()
        self._on_current(None, None)
        no_constraint(self, 520, 320)

    # -- reading -----------------------------------------------------------------------------------

    def service(self) -> MemoryServiceLike | None:
        """The memory service, or None (the banner says why)."""
        return memory_of(self.bridge.assistant) if self.bridge.assistant is not None else None

    def refresh(self) -> None:
        """Reload the list (or re-run the search shown)."""
        service = self._check_service()
        if service is None:
            return
        if self._query:
            query = self._query
            self._run(lambda: service.search(query), self._show_hits)
        else:
            self._run(service.items, self._show_items)

    def search(self) -> None:
        """Rank the memories for the typed query (empty: list them all)."""
        self._query = self.search_field.text().strip()
        self.refresh()

    def show_all(self) -> None:
        """Leave the search: every memory, oldest first."""
        self.search_field.clear()
        self.search()

    def rows(self) -> list[list[str]]:
        """The list as the user reads it (one list of column texts per row)."""
        return [[row.text(c) for c in range(5)] for row in top_items(self.tree)]

    def select(self, memory_id: int) -> None:
        """Make the memory `memory_id` the current row."""
        for row in top_items(self.tree):
            if row.data(0, Qt.ItemDataRole.UserRole) == memory_id:
                self.tree.setCurrentItem(row)

    # -- changing ----------------------------------------------------------------------------------

    def save_edit(self) -> None:
        """Replace the selected memory's text by the editor's."""
        service, current = self.service(), self._current()
        text = self.editor.text().strip()
        if service is None or current is None or not text or text == current.text:
            return
        memory_id = current.id
        self._run(lambda: service.edit(memory_id, text), lambda _item: self.refresh())

    def delete_selected(self) -> None:
        """Ask, then forget the selected memory."""
        service, current = self.service(), self._current()
        if service is None or current is None:
            return
        memory_id = current.id
        question = self.tr("Forget this memory for good?\n\n“{text}”").format(text=current.text)
        self._confirm(question, lambda: self._run(lambda: service.forget(memory_id), lambda _ok: self.refresh()))

    def forget_everything(self) -> None:
        """Ask, then forget every memory."""
        service = self.service()
        if service is None:
            return
        question = self.tr("Forget everything Sova remembers about you? This cannot be undone.")
        self._confirm(question, lambda: self._run(service.forget_all, lambda _n: self.refresh()))

    def _confirm(self, question: str, then: Callable[[], None]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Forget"), question, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(result: int) -> None:
            self.confirm_box = None
            if result == QMessageBox.StandardButton.Yes.value:
                then()

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    # -- results -----------------------------------------------------------------------------------

    def _check_service(self) -> MemoryServiceLike | None:
        service = self.service()
        if service is None:
            problem = memory_problem_of(self.bridge.assistant) if self.bridge.assistant is not None else ""
            self.banner.setText(problem or self.tr("Long-term memory is off (memory.enabled in the settings file)."))
            self.tree.clear()
            self._items = {}
        self.banner.setVisible(service is None)
        for widget in (self.search_field, self.search_button, self.show_all_button, self.forget_all_button):
            widget.setEnabled(service is not None)
        return service

    def _run(self, call: Callable[[], T], then: Callable[[T], None]) -> None:
        self.message.clear()

        def done(task: asyncio.Task[T]) -> None:
            if task.cancelled():
                return
            error = task.exception()
            if isinstance(error, SovaError):
                self.message.setText(error.message + (f" ({error.hint})" if error.hint else ""))
            elif error is not None:
                self.message.setText(self.tr("The memory could not be changed: {error}").format(error=error))
            else:
                then(task.result())

        self.bridge.run_blocking(call).add_done_callback(done)

    def _show_items(self, items: list[MemoryItem]) -> None:
        self._fill([(item, None) for item in items], {item.id: item for item in items})

    def _show_hits(self, hits: list[MemoryHit]) -> None:
        self._fill([(hit.item, hit.score) for hit in hits], {**self._items, **{h.item.id: h.item for h in hits}})

    def _fill(self, rows: list[tuple[MemoryItem, float | None]], known: dict[int, MemoryItem]) -> None:
        selected = self._current()
        self._items = known
        self.tree.clear()
        for item, score in rows:
            row = QTreeWidgetItem([
                self._kind_name(item.kind),
                self._text_of(item),
                f"“{item.source_quote}”" if item.source_quote else "",
                when_text(item.created_at),
                f"{score:.3f}" if score is not None else "",
            ])
            row.setData(0, Qt.ItemDataRole.UserRole, item.id)
            row.setToolTip(TEXT, item.text)
            if not item.current:
                for column in range(5):
                    row.setForeground(column, QBrush(GREY))
            self.tree.addTopLevelItem(row)
        self.tree.setColumnHidden(SCORE, not self._query)
        if selected is not None:
            self.select(selected.id)
        if not rows:
            self.message.setText(self.tr("Nothing found.") if self._query else self.tr("Sova remembers nothing yet."))

    def _text_of(self, item: MemoryItem) -> str:
        if item.current:
            return item.text
        newer = self._items.get(item.superseded_by or -1)
        if newer is not None:
            return self.tr("{text} (replaced by: {newer})").format(text=item.text, newer=newer.text)
        return self.tr("{text} (replaced)").format(text=item.text)

    def _kind_name(self, kind: str) -> str:
        names = {"fact": self.tr("fact"), "entity": self.tr("entity"), "summary": self.tr("summary")}
        return names.get(kind, kind)

    def _current(self) -> MemoryItem | None:
        row = self.tree.currentItem()
        return self._items.get(row.data(0, Qt.ItemDataRole.UserRole)) if row is not None else None

    def _on_current(self, _now: Any, _before: Any) -> None:
        current = self._current()
        self.editor.setText(current.text if current is not None else "")
        for widget in (self.editor, self.save_button, self.delete_button):
            widget.setEnabled(current is not None)

    def _on_updated(self, _event: MemoryUpdated) -> None:
        if self.isVisible():
            self.refresh()

    # -- Qt ----------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Read the memories each time the panel opens."""
        super().showEvent(event)
        self.refresh()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.setWindowTitle(self.tr("Memory"))
        self.search_field.setPlaceholderText(self.tr("Search what Sova remembers"))
        self.search_button.setText(self.tr("Search"))
        self.show_all_button.setText(self.tr("Show all"))
        self.tree.setHeaderLabels([self.tr("Kind"), self.tr("Memory"), self.tr("Your words"), self.tr("Date"),
                                   self.tr("Score")])
        self.editor.setPlaceholderText(self.tr("Select a memory to edit its text"))
        self.save_button.setText(self.tr("Save"))
        self.delete_button.setText(self.tr("Delete…"))
        self.forget_all_button.setText(self.tr("Forget all…"))

    def changeEvent(self, event: QEvent) -> None:
        """Retranslate on a language change."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
