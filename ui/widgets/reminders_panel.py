"""Reminders and timers: a list in the window, and the next few in the tray's menu.

`Assistant.reminders()` reads SQLite, so it runs in a worker thread (`EngineBridge.run_blocking`);
the panel refreshes when it opens, when a reminder falls due and after each turn (a tool may have set one).
"""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QLabel, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ui.bridge import EngineBridge
from ui.engine_api import ReminderLike, epoch_of, reminders_of
from ui.widgets.memory_panel import top_items, when_text
from ui.widgets.sizing import no_constraint

#: how many upcoming reminders the tray's menu lists
TRAY_COUNT = 5


def upcoming(reminders: list[ReminderLike], count: int = TRAY_COUNT) -> list[ReminderLike]:
    """The next `count` reminders that have not fired, soonest first."""
    pending = [r for r in reminders if r.fired_at is None]
    return sorted(pending, key=lambda r: epoch_of(r.due_at))[:count]


class RemindersPanel(QDialog):
    """Every reminder: when, what, and whether it fired (late: while Sova was closed)."""

    def __init__(self, bridge: EngineBridge, tray_menu: QMenu | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.tray_menu = tray_menu
        self.setModal(False)
        self.resize(560, 360)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(False)
        self.empty = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        self.reminders: list[ReminderLike] = []
        self.retranslate()
        self._fill_tray_menu()
        no_constraint(self, 420, 240)

    def refresh(self) -> None:
        """Read the reminders again (in a worker thread)."""
        assistant = self.bridge.assistant
        if assistant is None:
            return

        def done(task: asyncio.Task[list[ReminderLike]]) -> None:
            if not task.cancelled() and task.exception() is None:
                self.show_reminders(task.result())

        self.bridge.run_blocking(lambda: reminders_of(assistant)).add_done_callback(done)

    def show_reminders(self, reminders: list[ReminderLike]) -> None:
        """Show `reminders`: pending ones first (soonest first), then those that fired (latest first)."""
        self.reminders = list(reminders)
        pending = upcoming(self.reminders, len(self.reminders))
        fired = sorted((r for r in self.reminders if r.fired_at is not None), key=lambda r: -epoch_of(r.due_at))
        self.tree.clear()
        for reminder in [*pending, *fired]:
            row = QTreeWidgetItem([when_text(epoch_of(reminder.due_at)), reminder.text, self._state(reminder)])
            row.setData(0, Qt.ItemDataRole.UserRole, reminder.id)
            self.tree.addTopLevelItem(row)
        self.empty.setVisible(not self.reminders)
        self._fill_tray_menu()

    def rows(self) -> list[list[str]]:
        """The list as the user reads it."""
        return [[row.text(c) for c in range(3)] for row in top_items(self.tree)]

    def _state(self, reminder: ReminderLike) -> str:
        if reminder.fired_at is None:
            due = epoch_of(reminder.due_at)
            return self.tr("pending") if due > time.time() else self.tr("due")
        return self.tr("fired late") if reminder.late else self.tr("fired")

    def _fill_tray_menu(self) -> None:
        if self.tray_menu is None:
            return
        self.tray_menu.clear()
        next_ones = upcoming(self.reminders)
        for reminder in next_ones:
            action = self.tray_menu.addAction(f"{when_text(epoch_of(reminder.due_at))} — {reminder.text}")
            action.setEnabled(False)  # information, not a command
        if not next_ones:
            self.tray_menu.addAction(self.tr("No reminders")).setEnabled(False)

    # -- Qt ----------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Read the reminders each time the panel opens."""
        super().showEvent(event)
        self.refresh()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.setWindowTitle(self.tr("Reminders"))
        self.tree.setHeaderLabels([self.tr("When"), self.tr("Reminder"), self.tr("State")])
        self.empty.setText(self.tr("No reminders. Ask Sova: “remind me in 10 minutes to stretch”."))
        if self.tree.topLevelItemCount():
            self.show_reminders(self.reminders)  # the states' words
        else:
            self._fill_tray_menu()

    def changeEvent(self, event: QEvent) -> None:
        """Retranslate on a language change."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
