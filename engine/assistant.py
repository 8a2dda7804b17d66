"""The engine's one entry point for the UI, the terminal and the tests.

`Assistant` owns the lanes, the scheduler, the loaded stages and the history; it runs one turn at
a time, turns every error into a `TurnFailed` event at exactly this boundary, and supports barge-in:
a new turn or `interrupt()` stops the current reply at once. Scheduler events (downshift, MoE
results, idle unloads) reach `assistant.scheduler.add_listener`; `close()` shuts down in phases.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.audio.sinks import AudioSink
from engine.config import SovaConfig
from engine.errors import SovaError, StageError
from engine.memory.history import HistoryStore
from engine.metrics import Metrics, SchedulerSnapshot
from engine.pipeline import warmup
from engine.pipeline.events import (
    AssistantState,
    Event,
    Notice,
    ReplyDelta,
    StateChanged,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from engine.pipeline.listening import Listening
from engine.pipeline.prompt import Prompts
from engine.pipeline.stages import Stages, build_stages
from engine.pipeline.turn import AudioInput, TextInput, TurnInput, TurnRunner
from engine.registry.registry import Registry
from engine.scheduler import shutdown
from engine.scheduler.lanes import Lanes
from engine.scheduler.moe import MoE
from engine.scheduler.policy import ModelRole
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import LanguageModel, SpokenLanguage
from engine.stages.vad.segmenter import VadParams

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
        self.metrics = Metrics()
        self.scheduler = Scheduler(config, self.lanes, metrics=self.metrics)
        self.moe: MoE | None = None
        self.history = HistoryStore(data_dir / "history.sqlite3")
        self.prompts = Prompts.from_resources(config.app.persona, resources)
        self._listeners: list[Listener] = []
        self._turn_ids = itertools.count(1)
        self._turn_lock = asyncio.Lock()
        self._cancel: threading.Event | None = None
        self._sink: AudioSink | None = None
        self._runner: TurnRunner | None = None
        self.stages: Stages | None = None
        self.state = AssistantState.IDLE
        self.closing = False
        #: what the last session saved at shutdown (emotion, incomplete chains), or None
        self.restored: dict[str, Any] | None = None
        self.shutdown_report: list[shutdown.PhaseOutcome] = []
        self._inflight: dict[str, Any] | None = None  # the turn in progress, for the shutdown snapshot

    @property
    def metrics_file(self) -> Path:
        """Where the metrics of the session are written (`sova metrics` prints it)."""
        return self.data_dir / "metrics.prom"

    @property
    def scheduler_state(self) -> SchedulerSnapshot:
        """The device holder, queue, downshift, loaded models and budget (for the status bar)."""
        return self.scheduler.snapshot()

    # -- events ----------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(event)` for every event, on the event loop's thread."""
        self._listeners.append(listener)

    def _track(self, event: Event) -> None:
        """Follow the turn in progress: what the user asked and what was written so far."""
        if isinstance(event, TurnStarted):
            self._inflight = {
                "kind": "turn",
                "turn_id": event.turn_id,
                "source": event.source,
                "user_text": "",
                "partial_reply": "",
            }
        elif self._inflight is None:
            return
        elif isinstance(event, TranscriptReady):
            self._inflight["user_text"] = event.transcript.text
        elif isinstance(event, ReplyDelta):
            self._inflight["partial_reply"] += event.text
        elif isinstance(event, TurnFinished | TurnFailed):
            # a turn cut off by the shutdown stays: it is an incomplete chain to save
            cut_off = isinstance(event, TurnFailed) or event.result.interrupted
            if not (self.closing and cut_off):
                self._inflight = None

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener` (no error if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            self.state = event.state
        self._track(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the turn
                log.exception("event listener failed on %r", event)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load and warm every stage (in a worker: the loop stays responsive)."""
        self.stages = await self.lanes.run("aux", build_stages, self.config, self.registry, self.data_dir / "cache")
        notices = [*self.stages.notices, *self.scheduler.register_loaded(self.registry)]  # rule 2: loaded at start
        for notice in notices:
            self._emit(Notice(notice))
        self._runner = TurnRunner(
            self.stages, self.config, self.history, self.prompts, self.lanes, self._emit, scheduler=self.scheduler
        )
        # when the MoE cannot run, the primary stands in (seed 19: it does that work "temporarily")
        stand_ins: dict[ModelRole, LanguageModel] = {"lightweight": self.stages.lightweight.model}
        if self.stages.llm.role == "primary":
            stand_ins["primary"] = self.stages.llm.model
        self.moe = MoE(self.scheduler, self.registry, self.config.scheduler.moe, stand_ins)
        # seed 12: what the last session saved at shutdown is offered to the first prompt, once
        saved = self.history.load_state(shutdown.STATE_KEY)
        if isinstance(saved, dict):
            self.restored = saved
            self._runner.carry_over = shutdown.resume_note(saved)
            self.history.save_state(shutdown.STATE_KEY, None)
        await self.scheduler.start()
        await self._warm_up(self.stages)

    async def _warm_up(self, stages: Stages) -> None:
        """First calls into every backend now, not in the user's first turn (see engine/pipeline/warmup.py)."""
        language: SpokenLanguage = "ru" if self.config.app.language == "ru" else "en"
        vad = VadParams.from_config(self.config.audio.vad)
        await asyncio.gather(  # STT and the LLM take the device in turn, as in any turn; the voices meanwhile
            self.scheduler.run("stt", "stt", warmup.warm_recognition, stages, vad),
            self.scheduler.run("llm", "llm", warmup.prime_llm, stages.llm.model, self.prompts, language),
            self.lanes.run("tts", warmup.warm_voices, stages),
        )

    async def close(self) -> None:
        """Shut down in phases, each with a time limit: input, processing, state, output (seed 12)."""
        if self.closing:
            return
        self.closing = True
        limit = self.config.scheduler.shutdown_phase_timeout_s

        async def stop_input() -> None:
            self.interrupt()  # no new words in, the reply being spoken stops

        async def finish_processing() -> None:
            async with self._turn_lock:  # the turn in progress ends (cancelled) and writes its history
                pass
            if self._runner is not None and self._runner.background:  # e.g. an emotion refinement
                await asyncio.gather(*self._runner.background, return_exceptions=True)

        async def save_state() -> None:
            chains = [self._inflight] if self._inflight and self._inflight.get("user_text") else []
            if self.moe is not None:
                chains += self.moe.pending()
            emotion = self.history.load_state("emotion")
            self.history.save_state(shutdown.STATE_KEY, shutdown.snapshot(emotion, chains, time.time()))

        async def stop_output() -> None:
            await self.scheduler.close()
            await asyncio.to_thread(self.metrics.write_snapshot, self.metrics_file)
            # through the providers: they drop their cached instance, so a later load is a fresh one
            for provider in self.registry:
                if provider.loaded:
                    await self.lanes.run("aux", provider.unload)

        self.shutdown_report = await shutdown.run_phases(
            [
                shutdown.Phase("input", stop_input, limit),
                shutdown.Phase("processing", finish_processing, limit),
                shutdown.Phase("state", save_state, limit),
                shutdown.Phase("output", stop_output, limit),
            ]
        )
        self.lanes.shutdown(wait=False)
        self.history.close()

    # -- turns -----------------------------------------------------------------------------------

    def listen(self, language: str | None = None) -> Listening:
        """Start transcribing push-to-talk audio as it is recorded; feed it chunks, then pass it in `AudioInput`."""
        if self.stages is None:
            raise SovaError("the assistant is not started", hint="await Assistant.start() first")
        wanted = language or self.config.app.language
        forced: SpokenLanguage | None = wanted if wanted in ("ru", "en") else None  # type: ignore[assignment]
        params = VadParams.from_config(self.config.audio.vad)
        run_stt = functools.partial(self.scheduler.run, "stt", "stt")  # under the device lease, like any STT
        return Listening(self.stages.vad, self.stages.stt, params, run_stt, asyncio.get_running_loop(), forced)

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
        if self.closing:
            raise SovaError("the assistant is shutting down", code="closing")
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
            self.metrics.observe_turn(result.timings_ms)
            self._emit(TurnFinished(result))
            try:
                await asyncio.to_thread(self.metrics.write_snapshot, self.metrics_file)
            except OSError as exc:  # metrics are a convenience: never fail a turn over them
                log.warning("cannot write %s: %s", self.metrics_file, exc)
            return result
