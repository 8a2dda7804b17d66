"""The main window: the conversation, hold-to-talk (button and key), a text field, state and models."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.errors import SovaError
from engine.events import (
    AssistantState,
    EmotionReady,
    Notice,
    ReplyDelta,
    SchedulerEvent,
    StateChanged,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
)
from engine.memory.history import StoredMessage
from ui.actions import AppActions, sova_menu
from ui.bridge import EngineBridge, connect_queued
from ui.status import EngineStatus, scheduler_message
from ui.status_bar import StatusMessages
from ui.widgets.banner import Banner
from ui.widgets.chat_view import ChatView
from ui.widgets.elided_label import ElidedLabel
from ui.widgets.level_meter import LevelMeter
from ui.widgets.sizing import no_constraint
from ui.widgets.state_indicator import StateIndicator
from ui.widgets.talk_button import TalkButton
from ui.window_features import WindowFeatures

#: how often the level meter reads the source's level while recording (ms)
LEVEL_POLL_MS = 50
BUSY_STATES = (AssistantState.TRANSCRIBING, AssistantState.THINKING, AssistantState.SPEAKING)


def hold_key_of(text: str) -> Qt.Key | None:
    """Return the key of a hold-key setting ("Space", "F9"...); None when empty or not one key."""
    sequence = QKeySequence(text)
    if sequence.count() != 1:
        return None
    key = sequence[0].key()  # type: ignore[index]  # (PySide6's stub lacks __getitem__)
    return None if key == Qt.Key.Key_unknown else key


def _is_text_entry(widget: QWidget | None) -> bool:
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit | QKeySequenceEdit | QAbstractSpinBox)


class MainWindow(QMainWindow):
    """Talks only to the bridge (signals in, commands out) and to the shared actions."""

    #: the window was closed by the user (the app decides: hide to the tray, or quit)
    close_requested = Signal()

    def __init__(self, bridge: EngineBridge, actions: AppActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.app_actions = actions
        self.resize(760, 620)
        self._hold_key_text = "Space"
        self._hold_key: Qt.Key | None = Qt.Key.Key_Space
        self._key_held = False

        self.state = StateIndicator()
        self.banner = Banner()
        self.chat = ChatView()
        self.chat.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.level = LevelMeter()
        self.level.hide()
        self.talk = TalkButton()
        self.language_switch = QComboBox()  # the language of the next turns: Auto (as configured), RU, EN
        for text, code in (("", "auto"), ("RU", "ru"), ("EN", "en")):
            self.language_switch.addItem(text, code)
        self.language_switch.currentIndexChanged.connect(self._on_language_chosen)
        self.input = QLineEdit()
        self.input.returnPressed.connect(self.send_text)
        self.send = QPushButton()
        self.send.clicked.connect(self.send_text)
        self.stop = QPushButton()
        self.stop.clicked.connect(actions.stop.trigger)
        self.stop.setEnabled(False)

        bottom = QHBoxLayout()
        bottom.addWidget(self.talk)
        bottom.addWidget(self.language_switch)
        bottom.addWidget(self.input, 1)
        bottom.addWidget(self.send)
        bottom.addWidget(self.stop)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.state)
        layout.addWidget(self.banner)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self.level)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

        # the models yield to temporary messages (notices); the scheduler's state stays on the right
        self.models = ElidedLabel()
        self.models.setStyleSheet("font-size: 11px;")
        self.statusBar().addWidget(self.models, 1)
        self.scheduler = QLabel()
        self.scheduler.setStyleSheet("font-size: 11px;")
        self.statusBar().addPermanentWidget(self.scheduler)
        self._status = EngineStatus()
        self.status_messages = StatusMessages(self.statusBar(), self.models)
        self.menu = sova_menu(self, actions)

        self._level_timer = QTimer(self)
        self._level_timer.setInterval(LEVEL_POLL_MS)
        self._level_timer.timeout.connect(self._poll_level)

        self.talk.pressed.connect(self.begin_talk)
        self.talk.released.connect(self.end_talk)
        connect_queued(bridge.state_changed, self._on_state)
        connect_queued(bridge.transcript_ready, self._on_transcript)
        connect_queued(bridge.emotion_ready, self._on_emotion)
        connect_queued(bridge.reply_delta, self._on_delta)
        connect_queued(bridge.notice, self._on_notice)
        connect_queued(bridge.turn_failed, self._on_failed)
        connect_queued(bridge.turn_finished, self._on_finished)
        connect_queued(bridge.scheduler_event, self._on_scheduler)
        connect_queued(bridge.error, self._on_error)
        connect_queued(bridge.recording_changed, self._on_recording)
        connect_queued(bridge.engine_ready, self._on_ready)
        connect_queued(bridge.status_changed, self._on_status)
        self.features = WindowFeatures(self, bridge, actions)  # memory, reminders, tools, remote models
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._set_ready(bridge.ready)
        self.retranslate()
        no_constraint(self, 520, 420)

    # -- commands ----------------------------------------------------------------------------------

    def send_text(self) -> None:
        """Ask what is typed (Enter or the Send button)."""
        text = self.input.text().strip()
        if text and self.bridge.ask_text(text) is not None:
            self.input.clear()

    def begin_talk(self) -> None:
        """Push-to-talk pressed."""
        self.bridge.begin_recording()

    def end_talk(self) -> None:
        """Push-to-talk released."""
        self.bridge.end_recording()

    def _on_language_chosen(self, index: int) -> None:
        self.bridge.set_language(self.language_switch.itemData(index))

    def set_hold_key(self, text: str) -> None:
        """Use `text` (a QKeySequence text) as the hold key."""
        self._hold_key_text, self._hold_key = text, hold_key_of(text)
        self.talk.set_hold_key(QKeySequence(text).toString(QKeySequence.SequenceFormat.NativeText))

    def show_history(self, messages: list[StoredMessage]) -> None:
        """Show a stored conversation."""
        self.chat.clear()
        for message in messages:
            bubble = self.chat.add_bubble("user" if message.role == "user" else "assistant", message.content)
            if message.role == "assistant" and not message.complete:
                bubble.set_interrupted()

    def show_status_message(self, text: str, timeout_ms: int = 30_000) -> None:
        """Show a message in the status bar for a while, in place of the models line (ui/status_bar.py)."""
        self.status_messages.show(text, timeout_ms)

    # -- engine events -----------------------------------------------------------------------------

    def _set_ready(self, ready: bool) -> None:
        for widget in (self.talk, self.send, self.input):
            widget.setEnabled(ready)
        self.app_actions.new_conversation.setEnabled(ready)

    def _on_ready(self) -> None:
        self._set_ready(True)
        self.show_history(self.bridge.history())
        if not _is_text_entry(QApplication.focusWidget()):
            self.chat.setFocus()  # so the hold key works at once

    def _on_state(self, event: StateChanged) -> None:
        state = event.state
        self.state.set_state(state.value)
        busy = state in BUSY_STATES
        self.stop.setEnabled(busy)
        self.app_actions.stop.setEnabled(busy)
        if state == AssistantState.LOADING:
            self._set_ready(False)

    def _on_transcript(self, event: TranscriptReady) -> None:
        self.chat.show_transcript(event.turn_id, event.transcript.text)

    def _on_emotion(self, event: EmotionReady) -> None:
        self.chat.show_emotion(event.turn_id, event.emotion)

    def _on_delta(self, event: ReplyDelta) -> None:
        self.chat.append_reply(event.turn_id, event.text)

    def _on_notice(self, event: Notice) -> None:
        self.chat.add_notice(event.message)
        self.show_status_message(event.message, 15000)

    def _on_scheduler(self, event: SchedulerEvent) -> None:
        """Tell the user what the scheduler did to their models (downshift, revoked lease, MoE off)."""
        message = scheduler_message(event)
        if message:
            self.show_status_message(message, 15000)

    def _on_failed(self, event: TurnFailed) -> None:
        self.chat.drop_empty_reply(event.turn_id)
        self.chat.add_error(event.message, event.hint or "")

    def _on_finished(self, event: TurnFinished) -> None:
        result = event.result
        self.chat.finish_reply(result.turn_id, interrupted=result.interrupted, final_text=result.reply_text)

    def _on_error(self, error: SovaError) -> None:
        self.banner.show_error(error.message, error.hint or "")

    def _on_recording(self, recording: bool) -> None:
        self.talk.set_recording(recording)
        self.level.setVisible(recording)
        if recording:
            self.level.set_level(0.0)
            self._level_timer.start()
        else:
            self._level_timer.stop()

    def _poll_level(self) -> None:
        self.level.set_level(self.bridge.level())

    def _on_status(self, status: EngineStatus) -> None:
        self._status = status
        self._render_status()

    def _render_status(self) -> None:
        s = self._status
        if not s.llm:
            self.models.set_full_text(self.tr("Models: loading…"))
            self.scheduler.setText("")
            return
        voices = ", ".join(f"{lang} {voice}" for lang, voice in s.voices)
        self.models.set_full_text(
            self.tr("STT: {stt} · LLM: {llm} (light: {light}) · TTS: {voices}").format(
                stt=s.stt, llm=s.llm, light=s.lightweight, voices=voices
            )
        )
        downshift = self.tr("no")
        if s.downshifted:
            downshift = self.tr("yes") + (f" ({s.downshift_reason})" if s.downshift_reason else "")
        # the scheduler hook: EngineStatus carries its state (ui/status.py)
        self.scheduler.setText(self.tr("downshifted: {down}").format(down=downshift))
        self.scheduler.setToolTip(self.tr("Loaded models: {ids}").format(ids=", ".join(s.loaded)))

    # -- the hold key ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Handle the hold key, while this window is active and no text field has the focus."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or self._hold_key is None:
            return False
        if not isinstance(event, QKeyEvent) or event.key() != self._hold_key:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self:
            return False
        if _is_text_entry(watched):  # key events go to the focused widget: typing a space stays a space
            return False
        if event.isAutoRepeat():
            return True
        if kind == QEvent.Type.KeyPress and not self._key_held:
            self._key_held = self.bridge.begin_recording()
        elif kind == QEvent.Type.KeyRelease and self._key_held:
            self._key_held = False
            self.bridge.end_recording()
        return True

    # -- Qt ----------------------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Texts in the current language."""
        self.setWindowTitle(self.tr("Sova"))
        self.menu.setTitle(self.tr("&Sova"))
        self.input.setPlaceholderText(self.tr("Type a question and press Enter"))
        self.language_switch.setItemText(0, self.tr("Auto"))
        self.language_switch.setToolTip(
            self.tr("The language of your next questions (Auto: as in the settings, detected by default)")
        )
        self.send.setText(self.tr("Send"))
        self.stop.setText(self.tr("Stop"))
        self.stop.setToolTip(self.tr("Stop the reply (Esc)"))
        self._render_status()

    def changeEvent(self, event: QEvent) -> None:
        """Retranslate on a language change; a held key is released when the window loses focus."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow() and self._key_held:
            self._key_held = False
            self.bridge.end_recording()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Let the app decide (hide to the tray, or quit)."""
        event.ignore()
        self.close_requested.emit()

    def dispose(self) -> None:
        """Stop watching the application's key events (before the window goes away)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
