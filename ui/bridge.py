"""The one bridge between the engine and the widgets.

`EngineBridge` subscribes to the assistant's event bus and re-emits each engine event, the object
itself, on a Qt signal: `engine_event` carries every one, and a signal per kind carries the same objects
for widgets that want only some. Widgets connect with `Qt.QueuedConnection` (see `connect_queued`)
and call only the bridge's commands (ask, record, interrupt, mute...). The engine runs on the asyncio
loop that qasync drives from the Qt event loop, and its blocking work runs in the engine's executor
lanes, so nothing here ever blocks the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from engine.assistant import Assistant
from engine.audio.sinks import AudioSink
from engine.audio.sources import AudioSource, MicrophoneSource
from engine.config import SovaConfig
from engine.errors import SovaError
from engine.events import (
    AssistantState,
    ConfirmationRequested,
    ConsentRequired,
    DownshiftChanged,
    EmotionReady,
    Event,
    LeaseRevoked,
    MemoryUpdated,
    ModelLoaded,
    ModelUnloaded,
    MoEDisabled,
    Notice,
    ReminderDue,
    ReplyDelta,
    SentenceSpoken,
    StateChanged,
    ToolCalled,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from engine.memory.history import StoredMessage
from engine.pipeline.inputs import AudioInput
from engine.pipeline.listening import Listening
from ui.audio import SinkChoice, open_sink
from ui.engine_api import call_if_present
from ui.status import EngineStatus, engine_status

log = logging.getLogger(__name__)
T = TypeVar("T")

#: a running request: its result is the turn's, or None when it failed (the failure was signalled)
Request = asyncio.Task[TurnResult | None]
SinkFactory = Callable[[SovaConfig, bool], SinkChoice]
SourceFactory = Callable[[SovaConfig], AudioSource]
#: scheduler events the window tells the user about
SCHEDULER_EVENTS = (DownshiftChanged, LeaseRevoked, MoEDisabled, ModelLoaded, ModelUnloaded)


def microphone_source(config: SovaConfig) -> AudioSource:
    """Open the configured microphone (raises AudioDeviceError with the fix when there is none)."""
    return MicrophoneSource(config.audio.devices.input or None)


def connect_queued(signal: SignalInstance, slot: Callable[..., Any]) -> None:
    """Connect with a queued connection: the slot runs from the Qt event queue, never inside the engine's call."""
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)


class EngineBridge(QObject):
    """Engine events as Qt signals carrying the event objects, and the commands the widgets may give."""

    # -- engine events: the objects of engine.events --------------------------------------------------
    engine_event = Signal(object)  # every Event
    state_changed = Signal(object)  # StateChanged
    turn_started = Signal(object)  # TurnStarted (`origin_of(turn_id)` says which window asked)
    transcript_ready = Signal(object)  # TranscriptReady
    emotion_ready = Signal(object)  # EmotionReady
    reply_delta = Signal(object)  # ReplyDelta
    sentence_spoken = Signal(object)  # SentenceSpoken
    notice = Signal(object)  # Notice
    turn_failed = Signal(object)  # TurnFailed
    turn_finished = Signal(object)  # TurnFinished
    scheduler_event = Signal(object)  # DownshiftChanged | LeaseRevoked | MoEDisabled | ModelLoaded | ModelUnloaded
    tool_called = Signal(object)  # ToolCalled
    confirmation_requested = Signal(object)  # ConfirmationRequested
    reminder_due = Signal(object)  # ReminderDue
    memory_updated = Signal(object)  # MemoryUpdated
    consent_required = Signal(object)  # ConsentRequired
    # -- the app's own -------------------------------------------------------------------------------
    engine_ready = Signal()
    status_changed = Signal(object)  # EngineStatus
    error = Signal(object)  # SovaError: failures outside a turn (no microphone, no speaker...)
    recording_changed = Signal(bool)
    muted_changed = Signal(bool)

    def __init__(
        self,
        config: SovaConfig,
        *,
        sink_factory: SinkFactory = open_sink,
        source_factory: SourceFactory = microphone_source,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.assistant: Assistant | None = None
        self._sink_factory = sink_factory
        self._source_factory = source_factory
        self._source: AudioSource | None = None
        self._listening: Listening | None = None
        self._muted = False
        self._language_choice = "auto"  # the window's switch: "auto" (the config's language), "ru", "en"
        self._origin = "window"
        self._turn_origin: dict[int, str] = {}
        self._turn_emitted = False
        self._request_lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._downshift: DownshiftChanged | None = None
        self._told_no_speaker = False
        self._unsubscribe: Callable[[], None] | None = None
        self._per_kind: tuple[tuple[type | tuple[type, ...], SignalInstance], ...] = (
            (StateChanged, self.state_changed),
            (TurnStarted, self.turn_started),
            (TranscriptReady, self.transcript_ready),
            (EmotionReady, self.emotion_ready),
            (ReplyDelta, self.reply_delta),
            (SentenceSpoken, self.sentence_spoken),
            (Notice, self.notice),
            (TurnFailed, self.turn_failed),
            (TurnFinished, self.turn_finished),
            (SCHEDULER_EVENTS, self.scheduler_event),
            (ToolCalled, self.tool_called),
            (ConfirmationRequested, self.confirmation_requested),
            (ReminderDue, self.reminder_due),
            (MemoryUpdated, self.memory_updated),
            (ConsentRequired, self.consent_required),
        )

    # -- events ----------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Re-emit an engine event (the bus's listener, on the loop thread)."""
        if isinstance(event, TurnStarted):
            self._turn_emitted = True
            self._turn_origin[event.turn_id] = self._origin
        elif isinstance(event, DownshiftChanged):
            self._downshift = event
        self.engine_event.emit(event)
        for kind, signal in self._per_kind:
            if isinstance(event, kind):
                signal.emit(event)
        if isinstance(event, TurnFinished | DownshiftChanged):
            self.status_changed.emit(self.status())

    def origin_of(self, turn_id: int) -> str:
        """Which part of the app asked turn `turn_id` ("window" or "quick")."""
        return self._turn_origin.get(turn_id, "window")

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self, assistant: Assistant) -> None:
        """Load the models of `assistant` and make it the one the commands use (raises SovaError)."""
        self._subscribe(assistant)
        # a due reminder is spoken like a reply (silently while muted)
        assistant.announce_sink = lambda: self._sink_factory(self.config, not self._muted).sink
        try:
            await assistant.start()
        except BaseException:
            self._unsubscribe_bus()
            raise
        self._use(assistant)

    def attach(self, assistant: Assistant) -> None:
        """Use an assistant that is already started (tests share one across windows)."""
        self._subscribe(assistant)
        self._use(assistant)

    def detach(self) -> None:
        """Stop forwarding the assistant's events and forget it (without closing it)."""
        self._unsubscribe_bus()
        self.assistant = None

    def _subscribe(self, assistant: Assistant) -> None:
        self._unsubscribe_bus()
        self._unsubscribe = assistant.bus.subscribe(self.on_event)

    def _unsubscribe_bus(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _use(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.state_changed.emit(StateChanged(assistant.state))
        self.engine_ready.emit()
        self.status_changed.emit(self.status())

    async def restart(self, assistant: Assistant) -> None:
        """Replace the running assistant by `assistant` (new models), then load it."""
        await self.close()
        await self.start(assistant)

    async def close(self, *, close_assistant: bool = True) -> None:
        """Stop recording and the current turn, wait for pending requests, release the models."""
        if self._source is not None:
            self._source.stop()
            self._source = None
            self.recording_changed.emit(False)
        listening, self._listening = self._listening, None
        if listening is not None and self.assistant is not None:
            self.assistant.stop_listening(listening)
        assistant, self.assistant = self.assistant, None
        if assistant is not None:
            assistant.interrupt()
        if self._tasks:
            # the interrupt ends a reply within a token or a sentence; a recognition still running gets
            # a few seconds before its request is cancelled
            _, pending = await asyncio.wait(list(self._tasks), timeout=10.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._unsubscribe_bus()
        if assistant is not None and close_assistant:
            await assistant.close()

    @property
    def ready(self) -> bool:
        """Whether the models are loaded."""
        return self.assistant is not None

    def status(self) -> EngineStatus:
        """Models in use and the scheduler's state, for the status bar."""
        return engine_status(self.assistant.models_in_use() if self.assistant else None, self._downshift)

    def history(self) -> list[StoredMessage]:
        """Return the current conversation so far."""
        return self.assistant.conversation() if self.assistant else []

    # -- commands --------------------------------------------------------------------------------------

    @property
    def muted(self) -> bool:
        """Whether replies are shown without being spoken."""
        return self._muted

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute speech output (a reply playing now is stopped when muting)."""
        if muted == self._muted:
            return
        self._muted = muted
        if muted and self.assistant is not None and self.assistant.state == AssistantState.SPEAKING:
            self.assistant.interrupt()
        self.muted_changed.emit(muted)

    @property
    def language(self) -> str:
        """The language the next turn is asked in: the switch's "ru"/"en", else `[app] language`."""
        return self._language_choice if self._language_choice in ("ru", "en") else self.config.app.language

    def set_language(self, choice: str) -> None:
        """Ask the next turns in `choice`: "ru", "en", or "auto" (the config's language, often detection)."""
        if choice not in ("auto", "ru", "en"):
            raise ValueError(f"unknown language choice {choice!r}")
        self._language_choice = choice

    def interrupt(self) -> None:
        """Stop the current reply (generation and speech) at once."""
        if self.assistant is not None:
            self.assistant.interrupt()

    def new_conversation(self) -> None:
        """Start a fresh conversation (the old one stays in the history file)."""
        if self.assistant is not None:
            self.assistant.new_conversation()

    def resolve_confirmation(self, request_id: int, allowed: bool) -> None:
        """Answer a tool's `ConfirmationRequested` (the engine refuses it when no answer comes)."""
        if self.assistant is None or not call_if_present(self.assistant, "resolve_confirmation", request_id, allowed):
            log.warning("no engine to answer confirmation %d", request_id)

    def grant_consent(self, endpoint: str) -> None:
        """The user agreed to send scrubbed text to `endpoint`."""
        if self.assistant is None or not call_if_present(self.assistant, "grant_consent", endpoint):
            log.warning("no engine to record consent for %s", endpoint)

    def run_blocking(self, call: Callable[[], T]) -> asyncio.Task[T]:
        """Run a blocking engine call (memory, reminders: SQLite) in a worker thread, never on the GUI thread."""
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def ask_text(self, text: str, *, origin: str = "window", speak: bool = True) -> Request | None:
        """Answer a typed question; None when the engine is not ready or the text is blank."""
        if self.assistant is None or not text.strip():
            return None
        assistant = self.assistant
        self.interrupt()  # barge-in: a new question stops the reply being spoken
        language = self.language
        return self._spawn(origin, speak, lambda sink: assistant.ask_text(text, sink, language=language))

    @property
    def recording(self) -> bool:
        """Whether push-to-talk is held."""
        return self._source is not None

    def level(self) -> float:
        """Return the input level while recording (0..1)."""
        return self._source.level if self._source is not None else 0.0

    def begin_recording(self) -> bool:
        """Push-to-talk pressed: stop any reply and record; False (and `error`) when no microphone."""
        if self.assistant is None or self._source is not None:
            return False
        self.interrupt()
        # finished phrases are transcribed while the key is still held: at release only the tail is left
        listening = self.assistant.listen(self.language)
        try:
            source = self._source_factory(self.config)
            source.on_chunk = listening.feed
            source.start()
        except SovaError as exc:
            self.assistant.stop_listening(listening)
            self.error.emit(exc)
            return False
        self._source, self._listening = source, listening
        self.recording_changed.emit(True)
        return True

    def end_recording(self, *, origin: str = "window") -> Request | None:
        """Push-to-talk released: answer what was recorded."""
        source, self._source = self._source, None
        listening, self._listening = self._listening, None
        if source is None:
            return None
        ended_at = time.perf_counter()
        audio = source.stop()
        self.recording_changed.emit(False)
        assistant = self.assistant
        if assistant is None:
            return None
        turn = AudioInput(audio, ended_at, listening)
        language = self.language
        return self._spawn(origin, True, lambda sink: assistant.ask_audio(turn, sink, language=language))

    # -- running requests -----------------------------------------------------------------------------

    def _spawn(self, origin: str, speak: bool, ask: Callable[[AudioSink], Coroutine[Any, Any, TurnResult]]) -> Request:
        task = asyncio.get_running_loop().create_task(self._request(origin, speak, ask))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _request(
        self, origin: str, speak: bool, ask: Callable[[AudioSink], Coroutine[Any, Any, TurnResult]]
    ) -> TurnResult | None:
        # one request at a time, so every event of a turn is tagged with the origin that asked it
        if self._request_lock is None:
            self._request_lock = asyncio.Lock()
        async with self._request_lock:
            self._origin, self._turn_emitted = origin, False
            choice = self._sink_factory(self.config, speak and not self._muted)
            if choice.problem is not None:
                self.error.emit(choice.problem)
            elif choice.no_speaker and not self._told_no_speaker:
                self._told_no_speaker = True
                self.notice.emit(Notice(self.tr("No speaker was found: replies are shown but not spoken.")))
            try:
                return await ask(choice.sink)
            except SovaError as exc:
                if not self._turn_emitted:  # the assistant reports failures of started turns itself
                    self.error.emit(exc)
                return None
            finally:
                choice.sink.close()
