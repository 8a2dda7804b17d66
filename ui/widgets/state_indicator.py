"""What the assistant is doing: a coloured dot and a word."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

COLORS = {
    "loading": "#9e9e9e",
    "idle": "#43a047",
    "listening": "#e53935",
    "transcribing": "#fb8c00",
    "thinking": "#8e24aa",
    "speaking": "#1e88e5",
}


class StateIndicator(QWidget):
    """Shows one of: loading, idle, listening, transcribing, thinking, speaking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dot = QLabel("●", self)
        self._label = QLabel(self)
        self._label.setObjectName("stateLabel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._dot)
        layout.addWidget(self._label)
        layout.addStretch(1)
        self.state = "loading"
        self.set_state("loading")

    def _text(self, state: str) -> str:
        texts = {
            "loading": self.tr("Loading the models…"),
            "idle": self.tr("Ready"),
            "listening": self.tr("Listening…"),
            "transcribing": self.tr("Transcribing…"),
            "thinking": self.tr("Thinking…"),
            "speaking": self.tr("Speaking…"),
        }
        return texts.get(state, state)

    def set_state(self, state: str) -> None:
        """Show `state`."""
        self.state = state
        self._dot.setStyleSheet(f"color: {COLORS.get(state, '#9e9e9e')}; font-size: 16px;")
        self._label.setText(self._text(state))
        self._label.setAlignment(Qt.AlignmentFlag.AlignVCenter)

    def text(self) -> str:
        """Return the words shown."""
        return self._label.text()

    def changeEvent(self, event: QEvent) -> None:
        """Re-read the texts when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self.set_state(self.state)
        super().changeEvent(event)
