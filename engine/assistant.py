"""The engine's one entry point for the UI, the terminal and the tests.

`Assistant` owns the bus, the lanes, the scheduler, the loaded stages and the history. It runs one
turn at a time and supports barge-in: a new turn or `interrupt()` ends the current one at once, as
interrupted. Every event (turn, scheduler, notices) reaches `assistant.bus`; the state shown to the
user (idle, listening, transcribing, thinking, speaking, loading) comes from here. `close()` shuts
down in phases.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from engine.audio.sinks import AudioSink
from engine.bus import EventBus
from engine.cancel import CancelToken
from engine.config import SovaConfig
from engine.errors import ErrorCode, SovaError
from engine.events import (
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
from engine.memory import session_state
from engine.memory.history import HistoryStore, StoredMessage
from engine.memory.service import MemoryService
from engine.memory.session_state import InFlight, PendingTask, SessionState
from engine.metrics import Metrics, SchedulerSnapshot
from engine.pipeline import features, remote, warmup
from engine.pipeline.confirm import ConfirmationBroker
from engine.pipeline.features import Features
from engine.pipeline.inputs import AudioInput, TextInput, TurnInput
from engine.pipeline.listening import Listening
from engine.pipeline.prompt import Prompts
from engine.pipeline.recognise import language_hint
from engine.pipeline.stages import ModelsInUse, Stages, build_stages, models_in_use
from engine.pipeline.turn import TurnRunner
from engine.registry.manifest import Role
from engine.registry.registry import Registry
from engine.scheduler import shutdown
from engine.scheduler.lanes import Lanes
from engine.scheduler.moe import MoE
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, LanguageModel, SpokenLanguage
from engine.stages.vad.segmenter import VadParams
from engine.tools.reminder_store import Reminder

log = logging.getLogger(__name__)

#: builds the stages from the config and the registry (blocking); tests hand in fakes
StageBuilder = Callable[[SovaConfig, Registry, Path | None], Stages]
#: how tools that change things are answered: the window asks the user; a one-shot command allows
#: (`--yes`) or refuses
ToolConsent = Literal["ask", "allow", "refuse"]
#: the history's state key of the memory writes a shutdown cut short
PENDING_MEMORY_KEY = "memory_pending"


class Assistant:
    """Loads the pipeline once, then answers turns."""

    def __init__(
        self,
        config: SovaConfig,
        registry: Registry,
        data_dir: Path,
        resources: Path,
        *,
        stage_builder: StageBuilder = build_stages,
        tool_consent: ToolConsent = "refuse",
    ) -> None:
        self.config = config
        self.registry = registry
        self.data_dir = data_dir
        self.bus = EventBus()
        self.lanes = Lanes()
        self.metrics = Metrics()
        self.scheduler = Scheduler(config, self.lanes, self.bus, metrics=self.metrics)
        self.moe: MoE | None = None
        self.history = HistoryStore(data_dir / "history.sqlite3")
        self.prompts = Prompts.from_resources(config.app.persona, resources)
        self._stage_builder = stage_builder
        self._turn_ids = itertools.count(1)
        self._turn_lock = asyncio.Lock()
        self._cancel: CancelToken | None = None
        self._sink: AudioSink | None = None
        self._listening: Listening | None = None
        self._runner: TurnRunner | None = None
        self.stages: Stages | None = None
        self.state = AssistantState.IDLE
        self.closing = False
        #: what the last session saved at shutdown (emotion, incomplete chains), or None
        self.restored: SessionState | None = None
        self.shutdown_report: list[shutdown.PhaseOutcome] = []
        self._inflight: InFlight | None = None
        self.confirmations = ConfirmationBroker(
            self.bus.publish, interactive=tool_consent == "ask", auto_allow=tool_consent == "allow"
        )
        #: long-term memory, tools, reminders and MCP servers (started with the stages)
        self.features = Features()
        #: where a due reminder is spoken (the window or the terminal sets it; None: shown only)
        self.announce_sink: Callable[[], AudioSink] | None = None
        self.bus.subscribe(self._follow)

    @property
    def metrics_file(self) -> Path:
        """Where the metrics of the session are written (`sova metrics` prints it)."""
        return self.data_dir / "metrics.prom"

    @property
    def scheduler_state(self) -> SchedulerSnapshot:
        """The device holder, queue, downshift, loaded models and budget (for the status bar)."""
        return self.scheduler.snapshot()

    def models_in_use(self) -> ModelsInUse | None:
        """The loaded model of each stage; None before `start()` has loaded them."""
        return models_in_use(self.stages) if self.stages is not None else None

    def conversation(self) -> list[StoredMessage]:
        """The messages of the current conversation, oldest first."""
        return self.history.messages()

    def new_conversation(self) -> None:
        """Stop the reply being spoken and start a fresh conversation (the old one stays on disk).

        Long-term memory carries over: only the earlier turns leave the context.
        """
        self.interrupt()
        ended, messages = self.history.conversation_id, [m.as_chat() for m in self.history.messages()]
        self.history.new_conversation()
        memory, step = self.features.memory, self.features.memory_step
        if memory is not None and step is not None and self.moe is not None and messages:
            language = self._runner.last_language if self._runner is not None else None
            step.summarise_later(
                features.summary_job(memory, self.moe, self.lanes, messages, ended, language or "en")
            )

    # -- the features' surface (the window's memory panel, reminders, confirmations) ---------------

    @property
    def memory(self) -> MemoryService | None:
        """The long-term memory, or None when it is off or could not open (see `memory_problem`)."""
        return self.features.memory

    @property
    def memory_problem(self) -> str:
        """Why memory is off although enabled ("" when it works)."""
        return self.features.memory_problem

    async def flush_memory(self) -> None:
        """Finish the memory writes queued by the turns so far (before a one-shot command exits)."""
        if self.features.memory_step is not None:
            await self.features.memory_step.flush()

    def grant_consent(self, endpoint: str) -> None:
        """The user consents to sending scrubbed requests to `endpoint` (from the next request)."""
        remote.grant(self.data_dir, endpoint)

    def sent_to_remote(self, turn_id: int) -> tuple[ChatMessage, ...]:
        """What a remotely answered turn sent, after scrubbing (empty for a local turn)."""
        return self._runner.sent_to_remote.get(turn_id, ()) if self._runner is not None else ()

    def resolve_confirmation(self, request_id: int, allowed: bool) -> None:
        """The user's answer to a `ConfirmationRequested`."""
        self.confirmations.resolve(request_id, allowed)

    def reminders(self) -> list[Reminder]:
        """Every reminder, pending and fired (empty with tools off)."""
        tools = self.features.tools
        return tools.reminders.all() if tools is not None else []

    async def _say(self, text: str, language: SpokenLanguage) -> None:
        """Speak `text` outside a turn (a due reminder) when a sink is set: after the turn in progress, not over it."""
        if self.announce_sink is not None and self.stages is not None and not self.closing:
            async with self._turn_lock:
                await features.say(self.stages, self.lanes, self.announce_sink, text, language)

    # -- events ----------------------------------------------------------------------------------

    def _follow(self, event: Event) -> None:
        """Keep the state and the turn in progress (the first listener on the bus)."""
        if isinstance(event, StateChanged):
            self.state = event.state
        elif isinstance(event, TurnStarted):
            self._inflight = InFlight(event.turn_id, event.source)
        elif self._inflight is None:
            return
        elif isinstance(event, TranscriptReady):
            self._inflight.user_text = event.transcript.text
        elif isinstance(event, ReplyDelta):
            self._inflight.partial_reply += event.text
        elif isinstance(event, TurnFinished | TurnFailed):
            # a turn cut off by the shutdown stays: it is an incomplete chain to save
            cut_off = isinstance(event, TurnFailed) or event.result.interrupted
            if not (self.closing and cut_off):
                self._inflight = None

    def _rest_state(self) -> AssistantState:
        """The state between turns: still listening while push-to-talk is held."""
        return AssistantState.LISTENING if self._listening is not None else AssistantState.IDLE

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load and warm every stage (in a worker: the loop stays responsive)."""
        self.bus.bind(asyncio.get_running_loop())
        self.bus.publish(StateChanged(AssistantState.LOADING))
        cache = self.data_dir / "cache"
        builder = self._stage_builder
        if builder is build_stages:  # a remote model's fallback notices reach the bus from its thread
            builder = functools.partial(build_stages, notice=lambda m: self.bus.publish_threadsafe(Notice(m)))
        stages = await self.lanes.run("aux", builder, self.config, self.registry, cache)
        self.stages = stages
        remote.attach(stages, self.scheduler)
        for notice in [*stages.notices, *self.scheduler.register_loaded(self.registry)]:  # rule 2: loaded at start
            self.bus.publish(Notice(notice))
        self._runner = TurnRunner(
            stages, self.config, self.history, self.prompts, self.lanes, self.scheduler, self.bus.publish
        )
        # when the MoE cannot run, the primary stands in (seed 19: it does that work "temporarily")
        stand_ins: dict[Role, LanguageModel] = {"lightweight": stages.lightweight.model}
        if stages.llm.role == "primary":
            stand_ins["primary"] = stages.llm.model
        self.moe = MoE(self.scheduler, self.registry, self.config.scheduler.moe, stand_ins)
        # seed 12: what the last session saved at shutdown is offered to the first prompt, once
        self.restored = session_state.take(self.history)
        self._runner.carry_over = session_state.resume_note(self.restored)
        await self._start_features(stages, self._runner)
        await self.scheduler.start()
        await self._warm_up(stages)
        remote.announce_consent(self.config, self.data_dir, self.bus.publish)
        self.features.requeue(self.history.load_state(PENDING_MEMORY_KEY, []))
        self.history.save_state(PENDING_MEMORY_KEY, [])
        self.bus.publish(StateChanged(self._rest_state()))

    async def _start_features(self, stages: Stages, runner: TurnRunner) -> None:
        self.features = await features.start_features(
            self.config, self.registry, stages, self.data_dir, self.lanes, self.scheduler, self.bus.publish,
            self.confirmations, self._say, lambda: self.history.conversation_id, self.moe,
        )  # fmt: skip
        runner.memory, runner.tools = self.features.memory_step, self.features.tool_step

    async def _warm_up(self, stages: Stages) -> None:
        """First calls into every backend now, not in the user's first turn (see engine/pipeline/warmup.py)."""
        language: SpokenLanguage = "ru" if self.config.app.language == "ru" else "en"
        vad = VadParams.from_config(self.config.audio.vad)
        await asyncio.gather(  # STT and the LLM take the device in turn, as in any turn; the voices meanwhile
            self.scheduler.run("stt", "stt", warmup.warm_recognition, stages, vad),
            self._prime(stages, language),
            self.lanes.run("tts", warmup.warm_voices, stages),
            self.lanes.run("aux", remote.warm_scrubber, self.config),
        )

    async def _prime(self, stages: Stages, language: SpokenLanguage) -> None:
        local = remote.warm_model(stages.llm.model)  # never a request to a remote server
        if local is not None:
            await self.scheduler.run("llm", "llm", warmup.prime_llm, local, self.prompts, language)

    async def close(self) -> None:
        """Shut down in phases, each with a time limit: input, processing, state, output (seed 12)."""
        if self.closing:
            return
        self.closing = True
        limit = self.config.scheduler.shutdown_phase_timeout_s

        async def stop_input() -> None:
            if self._listening is not None:
                self.stop_listening(self._listening)
            self.interrupt()  # no new words in, the reply being spoken stops

        async def finish_processing() -> None:
            self.confirmations.refuse_all()
            async with self._turn_lock:  # the turn in progress ends (interrupted) and writes its history
                pass
            if self._runner is not None and self._runner.background:  # e.g. an emotion refinement
                await asyncio.gather(*self._runner.background, return_exceptions=True)
            await self.flush_memory()  # what the turns said is remembered (the phase's limit bounds it)

        async def save_state() -> None:
            inflight = self._inflight
            cut_off = (inflight.cut_off(),) if inflight is not None and inflight.user_text else ()
            pending = tuple(PendingTask(t.NAME, t.subject) for t in self.moe.pending()) if self.moe else ()
            emotion = session_state.emotion_from_json(self.history.load_state("emotion"))
            session_state.save(self.history, SessionState(time.time(), emotion, cut_off, pending))
            self.history.save_state(PENDING_MEMORY_KEY, self.features.pending_writes())  # done at the next start

        async def stop_output() -> None:
            if self.features.memory_step is not None:
                self.features.memory_step.stop()  # a write in flight stops at its next token
            # a model is never freed under a thread still running it: wait for the lanes, or keep it
            drained = all([await self.lanes.drained(lane, limit) for lane in ("llm", "aux", "tts")])
            await self.features.close(close_memory=drained)
            await self.scheduler.close()
            await asyncio.to_thread(self.metrics.write_snapshot, self.metrics_file)
            # through the providers: they drop their cached instance, so a later load is a fresh one
            for provider in self.registry if drained else ():
                if provider.loaded:
                    await self.lanes.run("aux", provider.unload)
            if not drained:
                log.warning("a background job did not stop within %.0f s: the models are left loaded", limit)

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

    # -- listening -------------------------------------------------------------------------------

    def listen(self, language: str | None = None) -> Listening:
        """Push-to-talk pressed: transcribe the audio fed to the returned object while it is recorded.

        Pass it in `AudioInput` at release, or give it to `stop_listening` when the press is abandoned.
        """
        stages = self._require_stages()
        wanted = language or self.config.app.language
        forced: SpokenLanguage | None = wanted if wanted in ("ru", "en") else None  # type: ignore[assignment]
        hint = language_hint(self.config, self._runner.last_language if self._runner else None)
        params = VadParams.from_config(self.config.audio.vad)
        run_stt = functools.partial(self.scheduler.run, "stt", "stt")  # under the device lease, like any STT
        if self._listening is not None:
            self._listening.cancel()
        loop = asyncio.get_running_loop()
        self._listening = Listening(stages.vad, stages.stt, params, run_stt, loop, forced, hint=hint)
        self.bus.publish(StateChanged(AssistantState.LISTENING))
        return self._listening

    def stop_listening(self, listening: Listening) -> None:
        """Push-to-talk abandoned (no microphone, no turn follows): stop transcribing, drop the audio."""
        listening.cancel()
        if self._listening is listening:
            self._listening = None
            if self._cancel is None:  # between turns: back to idle (a running turn reports its own state)
                self.bus.publish(StateChanged(AssistantState.IDLE))

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

    def _require_stages(self) -> Stages:
        if self.stages is None:
            raise SovaError("the assistant is not started", code=ErrorCode.NOT_STARTED,
                            hint="await Assistant.start() first")
        return self.stages

    async def _turn(self, turn_input: TurnInput, sink: AudioSink, language: str | None) -> TurnResult:
        self._require_stages()
        runner = self._runner
        assert runner is not None  # set with the stages
        if self.closing:
            raise SovaError("the assistant is shutting down", code=ErrorCode.CLOSING)
        if isinstance(turn_input, AudioInput) and turn_input.listening is self._listening:
            self._listening = None  # the recording is handed over: this turn answers it
        self.interrupt()  # barge-in over a reply still playing
        async with self._turn_lock:
            cancel = CancelToken()
            self._cancel, self._sink = cancel, sink
            try:
                result = await runner.run(next(self._turn_ids), turn_input, sink, cancel, language=language)
            finally:
                self._cancel, self._sink = None, None
                self.bus.publish(StateChanged(self._rest_state()))
            self.metrics.observe_turn(result.timings_ms)
            try:
                await asyncio.to_thread(self.metrics.write_snapshot, self.metrics_file)
            except OSError as exc:  # metrics are a convenience: never fail a turn over them
                log.warning("cannot write %s: %s", self.metrics_file, exc)
            return result
