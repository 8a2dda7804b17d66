"""The conversation as chat bubbles; the reply bubble grows as the reply streams in."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.events import ToolCallRecord
from engine.stages.base import EmotionResult
from ui.widgets.bubble import Bubble

__all__ = ["Bubble", "ChatView", "args_text"]

#: a tool's arguments are cut to this many characters in its chat line (the tooltip has them all)
ARGS_SHOWN = 80


def args_text(args: dict[str, object]) -> str:
    """A tool's arguments as one short line: `a=1, b="x"`."""
    text = ", ".join(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}" for key, value in args.items())
    return text if len(text) <= ARGS_SHOWN else text[: ARGS_SHOWN - 1] + "…"


class ChatView(QScrollArea):
    """The conversation, oldest at the top; keeps the newest message in view while you are at the bottom."""

    #: a bubble takes at most this share of the width
    MAX_SHARE = 0.78
    #: the user asked what was sent to the remote model for the reply of this turn id
    sent_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._container = QWidget()
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self._layout.setSpacing(8)
        self._layout.addStretch(1)  # messages sit at the bottom while there are few
        self.setWidget(self._container)
        self._bubbles: list[Bubble] = []
        self._users: dict[int, Bubble] = {}
        self._replies: dict[int, Bubble] = {}
        self.tool_lines: list[QLabel] = []
        self._follow = True
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)

    # -- adding ------------------------------------------------------------------------------------

    def add_bubble(self, role: str, text: str) -> Bubble:
        """Append a message (role: "user", "assistant" or "error")."""
        bubble = Bubble(role, text)
        row = QHBoxLayout()
        if role == "user":
            row.addStretch(1)
            row.addWidget(bubble)
        else:
            row.addWidget(bubble)
            row.addStretch(1)
        bubble.set_max_width(self._max_width())
        self._layout.addLayout(row)
        self._bubbles.append(bubble)
        return bubble

    def add_notice(self, text: str) -> QLabel:
        """Add a small centred line (a fallback model, a trimmed history...)."""
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: #6b7280; font-size: 11px;")
        self._layout.addWidget(label)
        return label

    def add_tool_line(self, turn_id: int, call: ToolCallRecord) -> QLabel:
        """Show a tool call as a small line above the turn's reply ("🔧 calc(…): 83810205"; failures marked)."""
        args = args_text(call.args)
        if call.ok:
            text = self.tr("🔧 {name}({args}): {result}").format(name=call.name, args=args, result=call.result)
        else:
            text = self.tr("🔧 {name}({args}) failed: {result}").format(name=call.name, args=args, result=call.result)
        label = QLabel(text)
        label.setObjectName("tool-ok" if call.ok else "tool-failed")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setToolTip(f"{call.name} {call.args}")
        label.setStyleSheet(f"color: {'#6b7280' if call.ok else '#b42318'}; font-size: 11px;")
        reply = self._replies.get(turn_id)
        index = self._row_of(reply) if reply is not None else -1
        if index >= 0:  # tools run before the reply streams: keep the line above its reply
            self._layout.insertWidget(index, label)
        else:
            self._layout.addWidget(label)
        self.tool_lines.append(label)
        return label

    def mark_remote(self, turn_id: int, host: str) -> None:
        """Mark the reply of `turn_id` as a remote model's, with a link to what was sent."""
        bubble = self._replies.get(turn_id)
        if bubble is None:
            return
        bubble.set_remote(host)
        if not bubble.property("remote-linked"):
            bubble.setProperty("remote-linked", True)
            bubble.sent_requested.connect(lambda: self.sent_requested.emit(turn_id))

    def add_error(self, message: str, hint: str = "") -> Bubble:
        """Add an error as a message, with its fix."""
        bubble = self.add_bubble("error", message)
        bubble.set_hint(hint)
        return bubble

    # -- a turn ------------------------------------------------------------------------------------

    def show_transcript(self, turn_id: int, text: str) -> Bubble:
        """Show the user's words of turn `turn_id`, and a reply placeholder under them."""
        bubble = self._users.get(turn_id)
        if bubble is None:
            bubble = self._users[turn_id] = self.add_bubble("user", text)
        else:
            bubble.set_text(text)
        self.reply_bubble_for(turn_id).set_pending()
        return bubble

    def show_emotion(self, turn_id: int, emotion: EmotionResult) -> None:
        """Show the emotion under the user's words."""
        bubble = self._users.get(turn_id)
        if bubble is not None:
            bubble.set_emotion(emotion)

    def reply_bubble_for(self, turn_id: int) -> Bubble:
        """Return the reply bubble of `turn_id`, created when needed."""
        bubble = self._replies.get(turn_id)
        if bubble is None:
            bubble = self._replies[turn_id] = self.add_bubble("assistant", "")
        return bubble

    def append_reply(self, turn_id: int, text: str) -> None:
        """More reply text."""
        self.reply_bubble_for(turn_id).append(text)

    def finish_reply(self, turn_id: int, *, interrupted: bool, final_text: str | None = None) -> None:
        """End the reply; `interrupted` marks it stopped."""
        bubble = self._replies.get(turn_id)
        if bubble is None:
            if not interrupted and not final_text:
                return
            bubble = self.reply_bubble_for(turn_id)
        if final_text and not bubble.text():
            bubble.set_text(final_text)
        bubble.set_interrupted(interrupted)

    def drop_empty_reply(self, turn_id: int) -> None:
        """Remove the placeholder of a turn that failed before any reply text."""
        bubble = self._replies.get(turn_id)
        if bubble is not None and not bubble.text():
            self._remove(bubble)
            del self._replies[turn_id]

    # -- whole view --------------------------------------------------------------------------------

    def bubbles(self) -> list[Bubble]:
        """Every bubble, oldest first."""
        return list(self._bubbles)

    def user_bubble(self, turn_id: int) -> Bubble | None:
        """Return the user bubble of `turn_id`."""
        return self._users.get(turn_id)

    def reply_bubble(self, turn_id: int) -> Bubble | None:
        """Return the reply bubble of `turn_id`, if one exists."""
        return self._replies.get(turn_id)

    def clear(self) -> None:
        """Remove every message."""
        while self._layout.count() > 1:
            item = self._layout.takeAt(1)
            if item is not None:
                self._delete_item(item.widget(), item.layout())
        self._bubbles.clear()
        self.tool_lines.clear()
        self._users.clear()
        self._replies.clear()
        self._follow = True

    def _row_of(self, bubble: Bubble) -> int:
        for i in range(self._layout.count()):
            item = self._layout.itemAt(i)
            row = item.layout() if item is not None else None
            if row is not None and row.indexOf(bubble) >= 0:
                return i
        return -1

    def _remove(self, bubble: Bubble) -> None:
        i = self._row_of(bubble)
        if i >= 0:
            item = self._layout.takeAt(i)
            self._delete_item(None, item.layout() if item is not None else None)
        self._bubbles.remove(bubble)

    @staticmethod
    def _delete_item(widget: QWidget | None, layout: object) -> None:
        if widget is not None:
            widget.deleteLater()
        if isinstance(layout, QHBoxLayout):
            while layout.count():
                taken = layout.takeAt(0)
                child = taken.widget() if taken is not None else None
                if child is not None:
                    child.deleteLater()
            layout.deleteLater()

    # -- geometry ----------------------------------------------------------------------------------

    def _max_width(self) -> int:
        return max(200, int(self.viewport().width() * self.MAX_SHARE))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep bubbles at most MAX_SHARE of the width."""
        super().resizeEvent(event)
        width = self._max_width()
        for bubble in self._bubbles:
            bubble.set_max_width(width)

    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 8

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            # after the layout settles, or the last line stays hidden
            QTimer.singleShot(0, self, self.scroll_to_bottom)

    def scroll_to_bottom(self) -> None:
        """Show the newest message."""
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
