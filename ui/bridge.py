"""The one bridge between the engine and the widgets.

`EngineBridge` registers as the assistant's listener and re-emits each engine event as a typed Qt
signal; widgets connect to those signals with `Qt.QueuedConnection` (see `connect_queued`) and call
only the bridge's commands (ask, record, interrupt, mute...). The engine runs on the asyncio loop
that qasync drives from the Qt event loop, and its blocking work runs in the engine's executor
lanes, so nothing here ever blocks the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from engine.assistant import Assistant
from engine.audio.sinks import AudioSink
from engine.audio.sources import AudioSource, MicrophoneSource
from engine.config import SovaConfig
from engine.errors import SovaError
from engine.memory.history import StoredMessage
from engine.pipeline.events import (
    AssistantState,
    EmotionReady,
    Event,
    Notice,
    ReplyDelta,
    SentenceSpoken,
    StateChanged,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from engine.pipeline.listening import Listening
from engine.pipeline.turn import AudioInput
from ui.audio import SinkChoice, open_sink
from ui.status import EngineStatus, engine_status

log = logging.getLogger(__name__)

#: state shown while the models load (not an engine state)
LOADING = "loading"

#: a running request: its result is the turn's, or None when it failed (the failure was signalled)
Request = asyncio.Task[TurnResult | None]
SinkFactory = Callable[[SovaConfig, bool], SinkChoice]
SourceFactory = Callable[[SovaConfig], AudioSource]


def microphone_source(config: SovaConfig) -> AudioSource:
    """Open the configured microphone (raises AudioDeviceError with the fix when there is none)."""
    return MicrophoneSource(config.audio.devices.input or None)


def connect_queued(signal: SignalInstance, slot: Callable[..., Any]) -> None:
    """Connect with a queued connection: the slot runs from the Qt event queue, never inside the engine's call."""
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)


class _Relay:
    """The listener the assistant holds: forwards to the bridge until detached (Assistant has no remove_listener)."""

    def __init__(self, bridge: EngineBridge) -> None:
        self.bridge: EngineBridge | None = bridge

    def __call__(self, event: Event) -> None:
        bridge = self.bridge
        if bridge is not None:
            bridge.on_event(event)


class EngineBridge(QObject):
    """Engine events as Qt signals, and the commands the widgets may give."""

    # -- engine events, one signal each -------------------------------------------------------------
    state_changed = Signal(str)  # an AssistantState value, or LOADING
    turn_started = Signal(int, str, str)  # turn id, source ("audio"/"text"), origin ("window"/"quick")
    transcript_ready = Signal(int, str, str)  # turn id, text, language
    emotion_ready = Signal(int, object)  # turn id, EmotionResult
    reply_delta = Signal(int, str)  # turn id, more reply text
    sentence_spoken = Signal(int, str, str, str)  # turn id, sentence, language, voice id
    notice = Signal(str)
    turn_failed = Signal(int, str, str, str)  # turn id, code, message, hint ("" when none)
    turn_finished = Signal(object)  # TurnResult
    # -- the app's own -------------------------------------------------------------------------------
    engine_ready = Signal()
    status_changed = Signal(object)  # EngineStatus
    error = Signal(str, str, str)  # code, message, hint: failures outside a turn (no microphone...)
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
        self._origin = "window"
        self._turn_origin: dict[int, str] = {}
        self._turn_emitted = False
        self._request_lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_result: TurnResult | None = None
        self._told_no_speaker = False
        self._relay: _Relay | None = None

    # -- events ----------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Re-emit an engine event as its signal (the assistant's listener, on the loop thread)."""
        if isinstance(event, StateChanged):
            # a turn that ends (interrupted) while push-to-talk is held: the user is still being heard
            listening = event.state == AssistantState.IDLE and self._source is not None
            self.state_changed.emit(AssistantState.LISTENING.value if listening else event.state.value)
        elif isinstance(event, TurnStarted):
            self._turn_emitted = True
            self._turn_origin[event.turn_id] = self._origin
            self.turn_started.emit(event.turn_id, event.source, self._origin)
        elif isinstance(event, TranscriptReady):
            self.transcript_ready.emit(event.turn_id, event.transcript.text, event.transcript.language)
        elif isinstance(event, EmotionReady):
            self.emotion_ready.emit(event.turn_id, event.emotion)
        elif isinstance(event, ReplyDelta):
            self.reply_delta.emit(event.turn_id, event.text)
        elif isinstance(event, SentenceSpoken):
            self.sentence_spoken.emit(event.turn_id, event.text, event.language, event.voice_id)
        elif isinstance(event, Notice):
            self.notice.emit(event.message)
        elif isinstance(event, TurnFailed):
            self.turn_failed.emit(event.turn_id, event.code, event.message, event.hint or "")
        elif isinstance(event, TurnFinished):
            self._last_result = event.result
            self.turn_finished.emit(event.result)
            self.status_changed.emit(self.status())

    def origin_of(self, turn_id: int) -> str:
        """Which part of the app asked turn `turn_id` ("window" or "quick")."""
        return self._turn_origin.get(turn_id, "window")

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self, assistant: Assistant) -> None:
        """Load the models of `assistant` and make it the one the commands use (raises SovaError)."""
        self.state_changed.emit(LOADING)
        relay = self._listen(assistant)
        try:
            await assistant.start()
        except BaseException:
            relay.bridge = None
            raise
        self._use(assistant)

    def attach(self, assistant: Assistant) -> None:
        """Use an assistant that is already started (tests share one across windows)."""
        self._listen(assistant)
        self._use(assistant)

    def detach(self) -> None:
        """Stop forwarding the assistant's events and forget it (without closing it)."""
        if self._relay is not None:
            self._relay.bridge = None
            self._relay = None
        self.assistant = None

    def _listen(self, assistant: Assistant) -> _Relay:
        if self._relay is not None:
            self._relay.bridge = None
        self._relay = _Relay(self)
        assistant.add_listener(self._relay)
        return self._relay

    def _use(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.state_changed.emit(assistant.state.value)
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
        if self._listening is not None:
            self._listening.cancel()
            self._listening = None
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
        if self._relay is not None:
            self._relay.bridge = None
            self._relay = None
        if assistant is not None and close_assistant:
            await assistant.close()

    @property
    def ready(self) -> bool:
        """Whether the models are loaded."""
        return self.assistant is not None

    def status(self) -> EngineStatus:
        """Models in use and the scheduler's state, for the status bar."""
        return engine_status(self.assistant.stages if self.assistant else None, self._last_result)

    def history(self) -> list[StoredMessage]:
        """Return the current conversation so far."""
        return self.assistant.history.messages() if self.assistant else []

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

    def interrupt(self) -> None:
        """Stop the current reply (generation and speech) at once."""
        if self.assistant is not None:
            self.assistant.interrupt()

    def new_conversation(self) -> None:
        """Start a fresh conversation (the old one stays in the history file)."""
        if self.assistant is not None:
            self.interrupt()
            self.assistant.history.new_conversation()

    def ask_text(self, text: str, *, origin: str = "window", speak: bool = True) -> Request | None:
        """Answer a typed question; None when the engine is not ready or the text is blank."""
        if self.assistant is None or not text.strip():
            return None
        assistant = self.assistant
        self.interrupt()  # barge-in: a new question stops the reply being spoken
        language = self.config.app.language
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
        listening = self.assistant.listen(self.config.app.language)
        try:
            source = self._source_factory(self.config)
            source.on_chunk = listening.feed
            source.start()
        except SovaError as exc:
            listening.cancel()
            self.error.emit(exc.code, exc.message, exc.hint or "")
            return False
        self._source, self._listening = source, listening
        self.recording_changed.emit(True)
        self.state_changed.emit(AssistantState.LISTENING.value)
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
            if listening is not None:
                listening.cancel()
            return None
        turn = AudioInput(audio, ended_at, listening)
        language = self.config.app.language
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
                self.error.emit(choice.problem.code, choice.problem.message, choice.problem.hint or "")
            elif choice.no_speaker and not self._told_no_speaker:
                self._told_no_speaker = True
                self.notice.emit(self.tr("No speaker was found: replies are shown but not spoken."))
            try:
                return await ask(choice.sink)
            except SovaError as exc:
                if not self._turn_emitted:  # the assistant reports failures of started turns itself
                    self.error.emit(exc.code, exc.message, exc.hint or "")
                return None
            finally:
                choice.sink.close()
