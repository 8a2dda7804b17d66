"""The hold-to-talk button: recording while it is held down."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QPushButton, QWidget


class TalkButton(QPushButton):
    """Emits `pressed`/`released` (QPushButton's own); never takes focus, so Space stays the hold key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumHeight(40)
        self.setMinimumWidth(150)
        self._recording = False
        self._hold_key = "Space"
        self.retranslate()

    def set_recording(self, recording: bool) -> None:
        """Show whether recording is on."""
        self._recording = recording
        self.retranslate()

    def set_hold_key(self, key: str) -> None:
        """Set the key named in the tooltip."""
        self._hold_key = key
        self.retranslate()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.setText(self.tr("Release to send") if self._recording else self.tr("Hold to talk"))
        self.setToolTip(self.tr("Hold this button, or the {key} key, while you speak").format(key=self._hold_key))
        self.setStyleSheet("QPushButton { background: #ffcdd2; font-weight: bold; }" if self._recording else "")

    def changeEvent(self, event: QEvent) -> None:
        """Re-read the texts when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
