"""Small dialogs the engine asks for: confirm a tool that changes things, consent to a remote endpoint, what was sent.

None of them is modal to the event loop: they are opened with `show()`, and their answer arrives as a
signal, so the engine (and the turn waiting for the answer) keeps running.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.events import ConfirmationRequested, ConsentRequired
from engine.stages.base import ChatMessage
from ui.widgets.sizing import no_constraint


def _label(text: str, *, rich: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Question(QDialog):
    """Allow / Deny; closing the dialog any other way is Deny. `answered(bool)` fires once."""

    answered = Signal(bool)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._done = False
        self.layout_ = QVBoxLayout(self)
        self.buttons = QDialogButtonBox()
        self.allow_button: QPushButton = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.deny_button: QPushButton = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def showEvent(self, event: QShowEvent) -> None:
        """Make Deny the default button (QDialogButtonBox picks the accepting one when shown)."""
        super().showEvent(event)
        self.allow_button.setAutoDefault(False)
        self.deny_button.setDefault(True)

    def withdraw(self) -> None:
        """Close without answering (the engine stopped waiting)."""
        self._done = True
        self.close()

    def done(self, result: int) -> None:
        """Answer (Allow = accepted) once, then close."""
        if not self._done:
            self._done = True
            self.answered.emit(result == QDialog.DialogCode.Accepted.value)
        super().done(result)


class ConfirmationDialog(_Question):
    """A tool that changes things asks first: what it will do, its arguments, Allow / Deny."""

    def __init__(self, request: ConfirmationRequested, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.setWindowTitle(self.tr("Allow this action?"))
        self.what = _label(self.tr("Sova wants to use the tool “{tool}”: {description}").format(
            tool=request.tool, description=request.description
        ))
        args = json.dumps(request.args, ensure_ascii=False, indent=2, default=str)
        self.args = _label(self.tr("Arguments:") + "\n" + args)
        self.layout_.addWidget(self.what)
        self.layout_.addWidget(self.args)
        self.layout_.addWidget(self.buttons)
        self.allow_button.setText(self.tr("Allow"))
        self.deny_button.setText(self.tr("Deny"))
        no_constraint(self, 420, 200)


class ConsentDialog(_Question):
    """Send text to a model off this machine? Names the endpoint and what leaves (scrubbed text, never audio)."""

    def __init__(self, event: ConsentRequired, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.consent = event
        self.setWindowTitle(self.tr("Use a remote model?"))
        self.text = _label(
            self.tr(
                "Sova is set up to use the {role} model at {endpoint}, which is not on this computer.\n\n"
                "What leaves: the text of your questions, the conversation and recalled memories, with "
                "personal data (names, phone numbers, e-mail and card numbers, documents, your denylist) "
                "replaced by placeholders. Your voice never leaves: speech is recognised here.\n\n"
                "Allow this endpoint? You can revoke it later with “sova consent revoke”."
            ).format(role=event.role, endpoint=event.endpoint)
        )
        self.layout_.addWidget(self.text)
        self.layout_.addWidget(self.buttons)
        self.allow_button.setText(self.tr("Allow"))
        self.deny_button.setText(self.tr("Do not allow"))
        no_constraint(self, 460, 260)


class SentDialog(QDialog):
    """What was sent to a remote model for one reply, after scrubbing: read-only."""

    def __init__(
        self, turn_id: int, host: str, messages: Sequence[ChatMessage], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("What was sent to {host}").format(host=host))
        self.resize(560, 420)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        if messages:
            self.view.setPlainText("\n\n".join(f"[{m.role}]\n{m.content}" for m in messages))
        else:
            self.view.setPlainText(self.tr("Nothing is known about what was sent for this reply."))
        note = _label(self.tr("Personal data was replaced by placeholders before sending (turn {turn})."
                              ).format(turn=turn_id))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        no_constraint(self, 420, 300)
