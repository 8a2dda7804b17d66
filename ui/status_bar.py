"""The status bar's messages: one at a time, each shown a while, over the models line (which returns after)."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, QTimer
from PySide6.QtWidgets import QStatusBar, QWidget

#: a status message is shown at least this long before a newer one replaces it (ms)
MESSAGE_MIN_MS = 4000


class StatusMessages(QObject):
    """Queues messages on `bar`; `models` (the permanent line) is hidden while one is shown."""

    def __init__(self, bar: QStatusBar, models: QWidget) -> None:
        super().__init__(bar)
        self.bar = bar
        self.models = models
        self._queued: list[tuple[str, int]] = []
        self._own_message = ""
        self._shown = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)
        bar.messageChanged.connect(self._on_message)

    def show(self, text: str, timeout_ms: int = 30_000) -> None:
        """Show `text` for a while; a message already shown stays at least MESSAGE_MIN_MS, then this one follows.

        Two messages never hide each other, and none waits long.
        """
        current = self.bar.currentMessage()
        if not current:
            self._show_now(text, timeout_ms)
            return
        if text == current or any(text == queued for queued, _ in self._queued):
            return
        self._queued.append((text, timeout_ms))
        left = self._timer.remainingTime() if self._timer.isActive() else MESSAGE_MIN_MS
        self._timer.start(max(0, min(left, MESSAGE_MIN_MS - self._shown.elapsed())))

    def _show_now(self, text: str, timeout_ms: int) -> None:
        self._own_message = text
        self._timer.start(timeout_ms)  # ours, not showMessage's: a queued message may cut it short
        self.bar.showMessage(text)

    def _next(self) -> None:
        if self._queued:
            self._show_now(*self._queued.pop(0))
        else:
            self.bar.clearMessage()

    def _on_message(self, text: str) -> None:
        # QStatusBar hides its other widgets for a message only when they are visible at that moment,
        # so a message shown before the window was drew over "Models: loading…" (issue 9): the models
        # line's visibility follows the message instead.
        self._shown.start()
        if text != self._own_message:  # someone called showMessage() directly: it keeps its own timeout
            self._own_message = ""
            self._timer.stop()
        if not text and self._queued:
            self._show_now(*self._queued.pop(0))
            return
        self.models.setVisible(not text)
