"""The tray icon: quick question, show/hide, mute, the next reminders, quit (where the desktop has a tray)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.actions import AppActions


class SovaTray(QObject):
    """The icon and its menu; `available` is False where the desktop has no tray (nothing is shown)."""

    def __init__(self, actions: AppActions, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon: QSystemTrayIcon | None = None
        self.menu: QMenu | None = None
        if not self.available:
            return
        self.menu = QMenu()
        for action in (actions.quick_query, actions.show_hide, actions.mute):
            self.menu.addAction(action)
        self.menu.addMenu(actions.reminders_menu)
        self.menu.addSeparator()
        self.menu.addAction(actions.quit)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.retranslate()
        self.icon.show()
        actions.notify_requested.connect(self.notify)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.actions.show_hide.trigger()
        elif reason == QSystemTrayIcon.ActivationReason.MiddleClick:
            self.actions.quick_query.trigger()

    def notify(self, title: str, message: str) -> None:
        """Show a desktop notification from the tray icon, when there is one."""
        if self.icon is not None:
            self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 5000)

    def retranslate(self) -> None:
        """Texts in the current language."""
        if self.icon is not None:
            self.icon.setToolTip(self.tr("Sova: click to show or hide, middle-click for a quick question"))

    def dispose(self) -> None:
        """Remove the icon from the tray."""
        if self.icon is not None:
            self.icon.hide()
