"""The app's commands as QActions, shared by the window's menus and the tray menu."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence


class AppActions(QObject):
    """One QAction per command; `retranslate()` re-reads their texts."""

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
        self.show_hide.setText(self.tr("Show/hide the window"))
        self.quit.setText(self.tr("&Quit"))
