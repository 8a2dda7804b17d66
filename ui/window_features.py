"""The window's side of memory, reminders, tools and remote models: panels, dialogs and chat lines.

Kept out of main_window.py (one job each): this wires the bridge's events for those features to the
chat view, the Memory and Reminders panels and the dialogs of ui/widgets/dialogs.py, and the dialogs'
answers back to the bridge's commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QObject

from engine.events import (
    ConfirmationRequested,
    ConsentRequired,
    ReminderDue,
    ToolCalled,
    TurnFailed,
    TurnFinished,
)
from ui.actions import AppActions
from ui.bridge import EngineBridge, connect_queued
from ui.engine_api import memory_problem_of, sent_to_remote_of
from ui.widgets.dialogs import ConfirmationDialog, ConsentDialog, SentDialog
from ui.widgets.memory_panel import MemoryPanel, when_text
from ui.widgets.reminders_panel import RemindersPanel
from ui.widgets.sizing import bring_to_front

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def host_of(endpoint: str) -> str:
    """The host an endpoint URL names (the URL itself when it names none)."""
    return urlsplit(endpoint).hostname or endpoint


class WindowFeatures(QObject):
    """Owns the panels and the open dialogs of one window."""

    def __init__(self, window: MainWindow, bridge: EngineBridge, actions: AppActions) -> None:
        super().__init__(window)
        self.window = window
        self.bridge = bridge
        self.actions = actions
        self.memory_panel = MemoryPanel(bridge, window)
        self.reminders_panel = RemindersPanel(bridge, actions.reminders_menu, window)
        self.confirmations: dict[int, ConfirmationDialog] = {}
        self.consents: dict[str, ConsentDialog] = {}
        self.sent_dialog: SentDialog | None = None
        self._remote_hosts: dict[int, str] = {}
        actions.memory.triggered.connect(self.open_memory)
        actions.reminders.triggered.connect(self.open_reminders)
        window.chat.sent_requested.connect(self.show_sent)
        connect_queued(bridge.tool_called, self._on_tool)
        connect_queued(bridge.confirmation_requested, self._on_confirmation)
        connect_queued(bridge.reminder_due, self._on_reminder)
        connect_queued(bridge.consent_required, self._on_consent)
        connect_queued(bridge.turn_finished, self._on_finished)
        connect_queued(bridge.turn_failed, self._on_failed)
        connect_queued(bridge.engine_ready, self._on_ready)

    # -- panels ------------------------------------------------------------------------------------

    def open_memory(self) -> None:
        """Show the Memory panel."""
        self.memory_panel.show()
        bring_to_front(self.memory_panel)

    def open_reminders(self) -> None:
        """Show the Reminders panel."""
        self.reminders_panel.show()
        bring_to_front(self.reminders_panel)

    def _on_ready(self) -> None:
        self.reminders_panel.refresh()  # the tray's "next reminders" too
        problem = memory_problem_of(self.bridge.assistant)
        if problem:
            self.window.banner.show_error(
                problem, self.tr("Sova answers without long-term memory until this is fixed.")
            )

    # -- tools -------------------------------------------------------------------------------------

    def _on_tool(self, event: ToolCalled) -> None:
        self.window.chat.add_tool_line(event.turn_id, event.call)

    def _on_confirmation(self, event: ConfirmationRequested) -> None:
        dialog = ConfirmationDialog(event, self.window)
        self.confirmations[event.request_id] = dialog
        dialog.answered.connect(lambda allowed: self._confirmed(event.request_id, allowed))
        dialog.show()
        bring_to_front(dialog)

    def _confirmed(self, request_id: int, allowed: bool) -> None:
        self.confirmations.pop(request_id, None)
        self.bridge.resolve_confirmation(request_id, allowed)

    def _withdraw_confirmations(self) -> None:
        # the turn ended: the engine has stopped waiting (no answer = refused); its questions go away
        for dialog in list(self.confirmations.values()):
            dialog.withdraw()
        self.confirmations.clear()

    # -- reminders ---------------------------------------------------------------------------------

    def _on_reminder(self, event: ReminderDue) -> None:
        due = when_text(event.due_at)
        if event.late:
            line = self.tr("⏰ Reminder (due {due}, while Sova was closed): {text}").format(due=due, text=event.text)
        else:
            line = self.tr("⏰ Reminder: {text}").format(text=event.text)
        self.window.chat.add_notice(line)
        self.actions.notify_requested.emit(self.tr("Sova: reminder"), event.text)
        self.reminders_panel.refresh()

    # -- remote models -----------------------------------------------------------------------------

    def _on_consent(self, event: ConsentRequired) -> None:
        if event.endpoint in self.consents:  # asked already: one dialog per endpoint
            bring_to_front(self.consents[event.endpoint])
            return
        dialog = ConsentDialog(event, self.window)
        self.consents[event.endpoint] = dialog
        dialog.answered.connect(lambda allowed: self._consented(event.endpoint, allowed))
        dialog.show()
        bring_to_front(dialog)

    def _consented(self, endpoint: str, allowed: bool) -> None:
        self.consents.pop(endpoint, None)
        if allowed:
            self.bridge.grant_consent(endpoint)

    def _on_finished(self, event: TurnFinished) -> None:
        result = event.result
        if result.external is not None:
            host = host_of(result.external.endpoint)
            self._remote_hosts[result.turn_id] = host
            self.window.chat.mark_remote(result.turn_id, host)
        self._withdraw_confirmations()
        if result.tools:
            self.reminders_panel.refresh()  # a tool may have set a reminder

    def _on_failed(self, _event: TurnFailed) -> None:
        self._withdraw_confirmations()

    def show_sent(self, turn_id: int) -> SentDialog:
        """Open the read-only view of what was sent to the remote model for the reply of `turn_id`."""
        messages = sent_to_remote_of(self.bridge.assistant, turn_id) if self.bridge.assistant is not None else ()
        dialog = SentDialog(turn_id, self._remote_hosts.get(turn_id, ""), messages, self.window)
        self.sent_dialog = dialog
        dialog.show()
        return dialog
