"""The engine's one entry point for the UI, the terminal and the tests.

`Assistant` owns the lanes, the loaded stages and the history; it runs one turn at a time, turns
every error into a `TurnFailed` event at exactly this boundary, and supports barge-in: a new turn
or `interrupt()` stops the current reply at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from engine.audio.sinks import AudioSink
from engine.config import SovaConfig
from engine.errors import SovaError, StageError
from engine.memory.history import HistoryStore
from engine.pipeline.events import (
    AssistantState,
    Event,
    Notice,
    StateChanged,
    TurnFailed,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from engine.pipeline.prompt import PromptBuilder
from engine.pipeline.stages import Stages, build_stages
from engine.pipeline.turn import AudioInput, TextInput, TurnInput, TurnRunner
from engine.registry.registry import Registry
from engine.scheduler.lanes import Lanes

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parents[1] / "resources"

Listener = Callable[[Event], None]


class Assistant:
    """Loads the pipeline once, then answers turns."""

    def __init__(self, config: SovaConfig, registry: Registry, data_dir: Path, resources: Path = RESOURCES) -> None:
        self.config = config
        self.registry = registry
        self.data_dir = data_dir
        self.lanes = Lanes()
        self.history = HistoryStore(data_dir / "history.sqlite3")
        self.prompts = PromptBuilder.from_resources(config.app.persona, resources)
        self._listeners: list[Listener] = []
        self._turn_ids = itertools.count(1)
        self._turn_lock = asyncio.Lock()
        self._cancel: threading.Event | None = None
        self._sink: AudioSink | None = None
        self._runner: TurnRunner | None = None
        self.stages: Stages | None = None
        self.state = AssistantState.IDLE

    # -- events ----------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(event)` for every event, on the event loop's thread."""
        self._listeners.append(listener)

    def _emit(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            self.state = event.state
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the turn
                log.exception("event listener failed on %r", event)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load and warm every stage (in a worker: the loop stays responsive)."""
        self.stages = await self.lanes.run("aux", build_stages, self.config, self.registry, self.data_dir / "cache")
        for notice in self.stages.notices:
            self._emit(Notice(notice))
        self._runner = TurnRunner(self.stages, self.config, self.history, self.prompts, self.lanes, self._emit)

    async def close(self) -> None:
        """Stop the current turn, release the models and close the history."""
        self.interrupt()
        async with self._turn_lock:
            pass
        if self.stages is not None:
            for model in {
                id(m): m for m in (self.stages.llm.model, self.stages.lightweight.model, self.stages.stt)
            }.values():
                close = getattr(model, "close", None)
                if callable(close):
                    await self.lanes.run("aux", close)
        self.lanes.shutdown(wait=False)
        self.history.close()

    # -- turns -----------------------------------------------------------------------------------

    def interrupt(self) -> None:
        """Barge-in: stop generation and playback of the current turn at once."""
        if self._cancel is not None:
            self._cancel.set()
        if self._sink is not None:
            self._sink.stop()

    async def ask_text(self, text: str, sink: AudioSink, *, language: str | None = None) -> TurnResult:
        """Answer a typed question aloud through `sink`."""
        return await self._turn(TextInput(text), sink, language)

    async def ask_audio(self, turn_input: AudioInput, sink: AudioSink, *, language: str | None = None) -> TurnResult:
        """Answer a spoken question aloud through `sink`."""
        return await self._turn(turn_input, sink, language)

    async def _turn(self, turn_input: TurnInput, sink: AudioSink, language: str | None) -> TurnResult:
        if self._runner is None:
            raise SovaError("the assistant is not started", hint="await Assistant.start() first")
        self.interrupt()  # barge-in over a reply still playing
        async with self._turn_lock:
            turn_id = next(self._turn_ids)
            cancel = threading.Event()
            self._cancel, self._sink = cancel, sink
            self._emit(TurnStarted(turn_id, "text" if isinstance(turn_input, TextInput) else "audio"))
            try:
                result = await self._runner.run(turn_id, turn_input, sink, cancel, language=language)
            except SovaError as exc:  # TurnCancelled included: the UI shows it as "stopped"
                self._emit(TurnFailed(turn_id, exc.code, exc.message, exc.hint))
                raise
            except Exception as exc:  # the one boundary: an unexpected failure becomes a message
                log.exception("turn %d failed", turn_id)
                error = StageError(
                    "turn", f"unexpected failure: {exc!r}", hint="the conversation so far is saved; try again"
                )
                self._emit(TurnFailed(turn_id, error.code, error.message, error.hint))
                raise error from exc
            finally:
                self._cancel, self._sink = None, None
                self._emit(StateChanged(AssistantState.IDLE))
            self._emit(TurnFinished(result))
            return result
