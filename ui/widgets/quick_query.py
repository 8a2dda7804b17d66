"""The quick-question popup (from the tray or the menu): type, read the answer, optionally hear it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from engine.errors import SovaError
from engine.events import ReplyDelta, TurnFailed, TurnFinished, TurnStarted
from ui.bridge import EngineBridge, connect_queued
from ui.widgets.sizing import bring_to_front, no_constraint

ORIGIN = "quick"


class QuickQuery(QFrame):
    """A small frameless window with a line edit and the streamed answer."""

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        # a plain frameless window: a Qt.Tool window is raised on show, which offscreen cannot do (a warning)
        flags = Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
        super().__init__(parent, flags)
        self.bridge = bridge
        self.setObjectName("quickQuery")
        self.setStyleSheet("QFrame#quickQuery { border: 1px solid #8a8f98; border-radius: 8px; }")
        self.input = QLineEdit(self)
        self.input.returnPressed.connect(self.submit)
        self.speak = QCheckBox(self)
        self.speak.setChecked(True)
        self._close = QToolButton(self)
        self._close.setText("✕")
        self._close.setAutoRaise(True)
        self._close.clicked.connect(self.hide)
        self.answer = QLabel(self)
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.PlainText)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.hide()
        top = QHBoxLayout()
        top.addWidget(self.input, 1)
        top.addWidget(self.speak)
        top.addWidget(self._close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(top)
        layout.addWidget(self.answer)
        no_constraint(self, 460, 0)
        self.turn_id: int | None = None
        self.done = False
        connect_queued(bridge.turn_started, self._on_turn_started)
        connect_queued(bridge.reply_delta, self._on_delta)
        connect_queued(bridge.turn_failed, self._on_failed)
        connect_queued(bridge.turn_finished, self._on_finished)
        connect_queued(bridge.error, self._on_error)
        self.retranslate()

    # -- commands ----------------------------------------------------------------------------------

    def popup(self) -> None:
        """Show centred near the top of the screen, ready for typing."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.adjustSize()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.center().x() - self.width() // 2, area.top() + area.height() // 4)
        self.show()
        bring_to_front(self)
        self.input.setFocus()
        self.input.selectAll()

    def submit(self) -> None:
        """Ask the typed question."""
        text = self.input.text().strip()
        if not text:
            return
        self.turn_id, self.done = None, False
        self.answer.setText("…")
        self.answer.show()
        if self.bridge.ask_text(text, origin=ORIGIN, speak=self.speak.isChecked()) is None:
            self._show(self.tr("Sova is still loading its models; try again in a moment."))

    def answer_text(self) -> str:
        """Return the answer shown."""
        return self.answer.text()

    # -- events ------------------------------------------------------------------------------------

    def _on_turn_started(self, event: TurnStarted) -> None:
        if self.bridge.origin_of(event.turn_id) == ORIGIN:
            self.turn_id = event.turn_id
            self.answer.setText("")

    def _on_delta(self, event: ReplyDelta) -> None:
        if event.turn_id == self.turn_id:
            self._show(self.answer.text() + event.text)

    def _on_failed(self, event: TurnFailed) -> None:
        if event.turn_id != self.turn_id:
            return
        self.done = True
        self._show(event.message + (f"\n{event.hint}" if event.hint else ""))

    def _on_finished(self, event: TurnFinished) -> None:
        result = event.result
        if result.turn_id == self.turn_id:
            self.done = True
            if result.interrupted:
                self._show(self.answer.text() + " " + self.tr("(interrupted)"))
            elif not self.answer.text().strip():
                self._show(result.reply_text)

    def _on_error(self, error: SovaError) -> None:
        if self.isVisible() and self.turn_id is None and not self.done:
            self.done = True
            self._show(error.message + (f"\n{error.hint}" if error.hint else ""))

    def _show(self, text: str) -> None:
        self.answer.setText(text)
        self.answer.show()
        self.adjustSize()

    # -- Qt ----------------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape hides the popup."""
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.setWindowTitle(self.tr("Quick question"))
        self.input.setPlaceholderText(self.tr("Ask Sova… (Enter to send, Esc to close)"))
        self.speak.setText(self.tr("Speak"))
        self.speak.setToolTip(self.tr("Also speak the answer aloud"))
        self._close.setToolTip(self.tr("Close"))

    def changeEvent(self, event: QEvent) -> None:
        """Re-read the texts when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
