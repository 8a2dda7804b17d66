"""A dismissible error banner above the conversation: what went wrong and what to do."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


class Banner(QFrame):
    """Hidden until `show_error`; the close button hides it again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet(
            "QFrame#banner { background: #fdecea; border: 1px solid #e57373; border-radius: 6px; }"
            "QFrame#banner QLabel { color: #5f2120; }"
        )
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._close = QToolButton(self)
        self._close.setText("✕")
        self._close.setAutoRaise(True)
        self._close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._close)
        self._message = ""
        self._hint = ""
        self.retranslate()
        self.hide()

    def show_error(self, message: str, hint: str = "") -> None:
        """Show `message` and, when given, the fix."""
        self._message, self._hint = message, hint
        self._render()
        self.show()

    def _render(self) -> None:
        text = self._message
        if self._hint:
            text += "\n" + self.tr("What to do: {hint}").format(hint=self._hint)
        self._label.setText(text)

    def text(self) -> str:
        """Return the text shown."""
        return self._label.text()

    def retranslate(self) -> None:
        """Texts in the current language."""
        self._close.setToolTip(self.tr("Dismiss"))
        self._render()

    def changeEvent(self, event: QEvent) -> None:
        """Re-read the texts when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
