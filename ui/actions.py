"""The app's commands as QActions, shared by the window's menus and the tray menu."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


class AppActions(QObject):
    """One QAction per command; `retranslate()` re-reads their texts.

    Also what the window shares with the tray without knowing it: the menu of the next reminders
    (the window fills it, the tray shows it) and `notify_requested(title, message)` (the tray shows it).
    """

    notify_requested = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.new_conversation = QAction(self)
        self.new_conversation.setShortcut(QKeySequence("Ctrl+N"))
        self.quick_query = QAction(self)
        self.quick_query.setShortcut(QKeySequence("Ctrl+K"))
        self.settings = QAction(self)
        self.settings.setShortcut(QKeySequence("Ctrl+,"))
        self.stop = QAction(self)
        self.stop.setShortcut(QKeySequence("Escape"))
        self.stop.setEnabled(False)
        self.mute = QAction(self)
        self.mute.setCheckable(True)
        self.mute.setShortcut(QKeySequence("Ctrl+M"))
        self.memory = QAction(self)
        self.memory.setShortcut(QKeySequence("Ctrl+Shift+M"))  # Ctrl+M mutes speech
        self.reminders = QAction(self)
        self.reminders.setShortcut(QKeySequence("Ctrl+R"))
        self.reminders_menu = QMenu()  # the next reminders, filled by the window; a submenu of the tray's
        self.show_hide = QAction(self)
        self.quit = QAction(self)
        self.quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.new_conversation.setText(self.tr("&New conversation"))
        self.quick_query.setText(self.tr("&Quick question…"))
        self.settings.setText(self.tr("&Settings…"))
        self.stop.setText(self.tr("S&top the reply"))
        self.mute.setText(self.tr("&Mute speech"))
        self.memory.setText(self.tr("M&emory…"))
        self.reminders.setText(self.tr("&Reminders…"))
        self.reminders_menu.setTitle(self.tr("Next reminders"))
        self.show_hide.setText(self.tr("Show/hide the window"))
        self.quit.setText(self.tr("&Quit"))


def sova_menu(window: QMainWindow, actions: AppActions) -> QMenu:
    """The window's Sova menu: conversation commands, the panels, mute, quit."""
    menu = QMenu(window)
    window.menuBar().addMenu(menu)
    for action in (actions.new_conversation, actions.quick_query, actions.settings, actions.stop):
        menu.addAction(action)
    menu.addSeparator()
    menu.addAction(actions.memory)
    menu.addAction(actions.reminders)
    menu.addSeparator()
    menu.addAction(actions.mute)
    menu.addSeparator()
    menu.addAction(actions.quit)
    return menu
