"""One chat message: its text, a small line under it, and for a remote reply a mark with a link to what was sent."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

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
    """One message: its text, and a small line under it (emotion, "interrupted", the fix of an error).

    A reply from a remote model also carries a mark naming the host, with a link: `sent_requested`.
    """

    #: the user asked to see what was sent to the remote model for this reply
    sent_requested = Signal()

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
        self._remote_label = QLabel(self)
        self._remote_label.setObjectName("meta")
        self._remote_label.setTextFormat(Qt.TextFormat.RichText)
        self._remote_label.linkActivated.connect(lambda _link: self.sent_requested.emit())
        self._remote_label.hide()
        layout.addWidget(self._remote_label)
        self._content = text
        self.remote_host = ""
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

    def set_remote(self, host: str) -> None:
        """Mark the reply as written by a remote model on `host`."""
        self.remote_host = host
        self._render()

    def remote_text(self) -> str:
        """Return the remote mark as the user reads it ("" for a local reply)."""
        return self.tr("☁ remote: {host}").format(host=self.remote_host) if self.remote_host else ""

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
        if self.remote_host:
            mark = html.escape(self.tr("☁ remote: {host}").format(host=self.remote_host))
            link = html.escape(self.tr("what was sent"))
            self._remote_label.setText(f'{mark} · <a href="sent">{link}</a>')
        self._remote_label.setVisible(bool(self.remote_host))
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
