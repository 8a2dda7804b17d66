"""The conversation as chat bubbles; the reply bubble grows as the reply streams in."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.stages.base import EmotionResult
from ui.affect import arousal_word, valence_word

_STYLES = {
    "user": ("#dbeafe", "#0b2545", "#93c5fd"),
    "assistant": ("#f1f3f5", "#1b1b1b", "#d0d4d9"),
    "error": ("#fdecea", "#5f2120", "#e57373"),
}
PLACEHOLDER = "…"


def _line_width(label: QLabel) -> int:
    metrics = label.fontMetrics()
    return max((metrics.horizontalAdvance(line) for line in label.text().splitlines()), default=0)


class Bubble(QFrame):
    """One message: its text, and a small line under it (emotion, "interrupted", the fix of an error)."""

    def __init__(self, role: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.setObjectName("bubble")
        background, color, border = _STYLES[role]
        self.setStyleSheet(
            f"QFrame#bubble {{ background: {background}; border: 1px solid {border}; border-radius: 10px; }}"
            f"QFrame#bubble QLabel {{ color: {color}; background: transparent; border: none; }}"
            "QLabel#meta { font-size: 11px; }"
        )
        self._text_label = QLabel(self)
        self._text_label.setWordWrap(True)
        self._text_label.setTextFormat(Qt.TextFormat.PlainText)
        self._text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._meta = QLabel(self)
        self._meta.setObjectName("meta")
        self._meta.setWordWrap(True)
        self._meta.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        layout.addWidget(self._text_label)
        layout.addWidget(self._meta)
        self._content = text
        self.emotion: EmotionResult | None = None
        self.interrupted = False
        self.hint = ""
        self.pending = False  # a reply placeholder no text has reached yet
        self._max_width = 480
        self._render()

    # -- content -----------------------------------------------------------------------------------

    def text(self) -> str:
        """Return the message text (without the placeholder)."""
        return self._content

    def set_text(self, text: str) -> None:
        """Replace the text."""
        self._content, self.pending = text, False
        self._render()

    def append(self, text: str) -> None:
        """Add streamed text."""
        self._content += text
        self.pending = False
        self._render()

    def set_pending(self) -> None:
        """Show the "…" placeholder until the first reply text arrives."""
        self.pending = True
        self._render()

    def set_emotion(self, emotion: EmotionResult) -> None:
        """Show the detected emotion under the text."""
        self.emotion = emotion
        self._render()

    def set_interrupted(self, interrupted: bool = True) -> None:
        """Mark the reply as stopped before its end."""
        self.interrupted = interrupted
        self.pending = False
        self._render()

    def set_hint(self, hint: str) -> None:
        """Set the fix shown under an error."""
        self.hint = hint
        self._render()

    def meta_text(self) -> str:
        """Return the small line under the text."""
        return self._meta.text()

    # -- rendering ---------------------------------------------------------------------------------

    def _emotion_label(self, label: str) -> str:
        names = {
            "joy": self.tr("joy"),
            "sadness": self.tr("sadness"),
            "anger": self.tr("anger"),
            "fear": self.tr("fear"),
            "surprise": self.tr("surprise"),
            "neutral": self.tr("neutral"),
            "disgust": self.tr("disgust"),
        }
        return names.get(label, label)

    def _affect_words(self, emotion: EmotionResult) -> list[str]:
        words = {
            "pleasant": self.tr("pleasant"),
            "unpleasant": self.tr("unpleasant"),
            "energetic": self.tr("energetic"),
            "calm": self.tr("calm"),
        }
        keys = [valence_word(emotion.valence), arousal_word(emotion.arousal)]
        return [words[k] for k in keys if k in words]  # a neutral valence adds no word

    def _render(self) -> None:
        self._text_label.setText(PLACEHOLDER if self.pending and not self._content else self._content)
        meta: list[str] = []
        if self.emotion is not None:
            e = self.emotion
            meta.append(" · ".join([self._emotion_label(e.label), *self._affect_words(e)]))
            self._meta.setToolTip(
                self.tr("valence {v:+.2f}, arousal {a:+.2f}, confidence {c:.0%} ({source})").format(
                    v=e.valence, a=e.arousal, c=e.confidence, source=e.source
                )
            )
        if self.interrupted:
            meta.append(self.tr("interrupted"))
        if self.hint:
            meta.append(self.tr("What to do: {hint}").format(hint=self.hint))
        self._meta.setText("  ·  ".join(meta))
        self._meta.setVisible(bool(meta))
        self._fit()

    def set_max_width(self, width: int) -> None:
        """Let the bubble grow up to `width` pixels before its text wraps."""
        self._max_width = width
        self.setMaximumWidth(width)
        self._fit()

    def _fit(self) -> None:
        # a word-wrapped QLabel asks for a narrow width; ask for the text's own width up to the maximum
        room = self._max_width - 24
        natural = max(_line_width(self._text_label), _line_width(self._meta) if self._meta.isVisibleTo(self) else 0)
        self._text_label.setMinimumWidth(max(0, min(natural + 4, room)))

    def changeEvent(self, event: QEvent) -> None:
        """Re-read the texts when the interface language changes."""
        if event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)


class ChatView(QScrollArea):
    """The conversation, oldest at the top; keeps the newest message in view while you are at the bottom."""

    #: a bubble takes at most this share of the width
    MAX_SHARE = 0.78

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
        self._users.clear()
        self._replies.clear()
        self._follow = True

    def _remove(self, bubble: Bubble) -> None:
        for i in range(self._layout.count()):
            item = self._layout.itemAt(i)
            row = item.layout() if item is not None else None
            if row is not None and row.indexOf(bubble) >= 0:
                self._layout.takeAt(i)
                self._delete_item(None, row)
                break
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
