"""One turn as small stages in a line: recognise -> feel -> respond -> speak, then record.

`TurnRunner.run` is the one place where a turn's errors become events: every turn emits
`TurnStarted`, then ends with exactly one `TurnFinished` (answered, or interrupted) or `TurnFailed`.
Cancellation has one meaning: barge-in at any moment, or a cancelled task, ends the turn as
interrupted, with the history holding what was actually heard. An error in any stage stops the
others at once. Where the next features plug in is marked in `_answer`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from engine.audio.sinks import AudioSink
from engine.audio.types import Audio
from engine.cancel import CancelToken
from engine.config import SovaConfig
from engine.errors import SovaError, StageError, TurnCancelled
from engine.events import (
    AssistantState,
    EmotionReady,
    Event,
    ExternalUse,
    StateChanged,
    ToolCallRecord,
    TranscriptReady,
    TurnFailed,
    TurnFinished,
    TurnResult,
    TurnStarted,
)
from engine.memory.history import HistoryStore
from engine.memory.types import Exchange, Recall
from engine.memory.unknown import dont_know, told_before
from engine.pipeline import remote
from engine.pipeline.inputs import AudioInput, TurnInput
from engine.pipeline.prompt import Prompts
from engine.pipeline.recognise import Recognised, Recogniser, choose_language
from engine.pipeline.remember import NO_RECALL, MemoryStep
from engine.pipeline.respond import PreparedReply, Responder
from engine.pipeline.speak import Speaker, SpeechLog
from engine.pipeline.stages import Stages
from engine.pipeline.tooling import ToolStep, external_use
from engine.scheduler.lanes import Lanes
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, EmotionResult, SpokenLanguage
from engine.stages.llm.loaded import LoadedLLM

log = logging.getLogger(__name__)

HISTORY_MESSAGES = 20


@dataclass
class _Turn:
    """What one turn has learnt so far: enough to record and report it wherever it stops."""

    turn_id: int
    started_at: float
    recognised: Recognised | None = None
    language: SpokenLanguage = "en"
    emotion: EmotionResult | None = None
    reply: PreparedReply | None = None
    speech: SpeechLog = field(default_factory=SpeechLog)
    timings: dict[str, float] = field(default_factory=dict)
    memories: tuple[int, ...] = ()
    tools: tuple[ToolCallRecord, ...] = ()
    external: ExternalUse | None = None


class TurnRunner:
    """Runs turns against loaded stages; every event goes to `emit` (on the loop's thread)."""

    def __init__(
        self,
        stages: Stages,
        config: SovaConfig,
        history: HistoryStore,
        prompts: Prompts,
        lanes: Lanes,
        scheduler: Scheduler,
        emit: Callable[[Event], None],
    ) -> None:
        self.stages = stages
        self.config = config
        self.history = history
        self.scheduler = scheduler
        self.emit = emit
        self.recognise = Recogniser(stages, config, scheduler)
        self.responder = Responder(prompts, scheduler, lanes)
        self.speaker = Speaker(stages.tts, lanes, emit)
        #: a note for the next prompt only (e.g. the state saved at the last shutdown)
        self.carry_over = ""
        #: the language of the last turn: an unsure language detection in the next one takes it
        self.last_language: SpokenLanguage | None = None
        #: work that follows a turn (the emotion's LLM fallback); awaited at shutdown
        self.background: set[asyncio.Task[None]] = set()
        #: long-term memory (issue 10): recall before the reply, the write after it; None when off
        self.memory: MemoryStep | None = None
        #: tools (issue 11): None when off
        self.tools: ToolStep | None = None
        #: the scrubbed messages each remotely answered turn sent (issue 14), by turn id
        self.sent_to_remote: dict[int, tuple[ChatMessage, ...]] = {}

    async def run(
        self,
        turn_id: int,
        turn_input: TurnInput,
        sink: AudioSink,
        cancel: CancelToken,
        *,
        language: str | None = None,
        llm: LoadedLLM | None = None,
    ) -> TurnResult:
        """Run one turn to its end; `cancel` set (barge-in) ends it as interrupted.

        `llm` forces a model; without it the scheduler's policy picks one (and may downshift).
        Raises the SovaError of a failed turn after emitting `TurnFailed`; a cancelled task
        emits `TurnFinished` (interrupted) and is re-raised. The state after the turn (idle, or
        listening) is the caller's to emit.
        """
        turn = _Turn(turn_id, turn_input.started_at)
        self.emit(TurnStarted(turn_id, turn_input.source))
        if self.memory is not None:
            self.memory.turn_starting()
        try:
            await self._answer(turn, turn_input, sink, cancel, language, llm)
        except TurnCancelled:  # barge-in caught a stage before it had anything to give
            cancel.set()
        except asyncio.CancelledError:
            cancel.set()
            sink.stop()
            self._finish(turn, sink, interrupted=True)
            raise
        except Exception as exc:
            cancel.set()  # whatever still runs stops now: the LLM's thread, the speech
            sink.stop()
            error = exc if isinstance(exc, SovaError) else _unexpected(turn_id, exc)
            self._remember(turn, self._record_reply(turn, sink, interrupted=True))
            self.emit(TurnFailed(turn_id, error.code, error.message, error.hint))
            if error is exc:
                raise
            raise error from exc
        finally:
            if self.memory is not None:
                self.memory.turn_ended()
        return self._finish(turn, sink, interrupted=cancel.is_set())

    async def _answer(
        self,
        turn: _Turn,
        turn_input: TurnInput,
        sink: AudioSink,
        cancel: CancelToken,
        language: str | None,
        forced: LoadedLLM | None,
    ) -> None:
        # 1. recognise: the user's words (STT, or typed)
        if isinstance(turn_input, AudioInput):
            self.emit(StateChanged(AssistantState.TRANSCRIBING))
        heard = turn.recognised = await self.recognise(turn_input, language, cancel, self.last_language)
        if heard.stt_ms is not None:
            turn.timings["stt_ms"] = heard.stt_ms
        self.emit(TranscriptReady(turn.turn_id, heard.transcript, heard.source, heard.language_reason))
        llm, decision = self.responder.choose(self.stages.llm, self.stages.lightweight, forced)
        turn.language = choose_language(language, self.config.app.language, heard.transcript.language) or "en"
        self.last_language = turn.language
        history = self.history.chat_history(HISTORY_MESSAGES)
        # the user's words are on disk before anything else can fail
        self.history.add("user", heard.transcript.text, meta={"turn": turn.turn_id, "language": turn.language})
        if cancel.is_set():
            return
        # 2. feel and 3. recall, side by side: the fast emotion pass (text and voice, no LLM) and the
        #    long-term memories for this question; both sit before the first sound
        self.emit(StateChanged(AssistantState.THINKING))
        text = heard.transcript.text
        started = time.perf_counter()
        turn.emotion, recalled = await asyncio.gather(self._emotion(text, heard.audio), self._recall(turn, text))
        if turn.emotion is not None:
            turn.timings["emotion_ms"] = _ms(time.perf_counter() - started)
            self.emit(EmotionReady(turn.turn_id, turn.emotion))
            self.history.save_state("emotion", asdict(turn.emotion))
        notes = "\n".join(n for n in (self.carry_over, recalled.notes) if n)
        self.carry_over = ""
        # 4. respond: tool calls first (a plan, the calls, their transcript), then the prompt for the
        #    model chosen above, fitted to its context; or, for a question about the user that nothing
        #    stored or said answers, the fixed "I don't know" (the small model would invent)
        tools_transcript = await self._use_tools(turn, text, cancel)
        if cancel.is_set():
            return
        if self._unknown(recalled, text, history, tools_transcript):
            reply = turn.reply = self.responder.fixed(llm, decision, dont_know(turn.language))
        else:
            reply = turn.reply = self.responder.prepare(
                llm,
                decision,
                history,
                text,
                turn.language,
                notes=notes,
                emotion=turn.emotion,
                tools_transcript=tools_transcript,
            )
        for notice in reply.notices:
            self.emit(notice)
        if cancel.is_set():
            return
        # 5. speak: the reply streamed into sentences, each synthesised and played as it is ready
        stream = self.responder.stream(reply, cancel)
        await self.speaker.speak(turn.turn_id, stream, turn.language, sink, cancel, turn.speech)
        if stream.first_piece_ms is not None:
            turn.timings["llm_first_token_ms"] = stream.first_piece_ms
        if stream.elapsed_ms is not None:
            turn.timings["llm_ms"] = stream.elapsed_ms
        turn.external = None if reply.fixed_text else external_use(reply.llm.model)
        if turn.external is not None:  # what left the machine, for the window's "what was sent"
            self.sent_to_remote[turn.turn_id] = remote.sent(reply.llm.model)
        # 6. after the turn (in the background, never before the first sound): the emotion refinement;
        #    the memory write is queued by `_finish`
        self.refine_emotion_later(turn.turn_id, heard.transcript.text, heard.audio, turn.emotion)

    def _finish(self, turn: _Turn, sink: AudioSink, *, interrupted: bool) -> TurnResult:
        """Record the reply, emit the end of the turn, return its result."""
        if interrupted:
            sink.stop()
        heard = self._record_reply(turn, sink, interrupted=interrupted)
        self._remember(turn, heard)
        timings = turn.timings
        speech = turn.speech
        if speech.first_sentence_at is not None:
            timings["first_sentence_ms"] = _ms(speech.first_sentence_at - turn.started_at)
        if speech.tts_first_audio_ms is not None:
            timings["tts_first_audio_ms"] = speech.tts_first_audio_ms
        if sink.first_audio_at is not None:
            timings["v2v_ms"] = _ms(sink.first_audio_at - turn.started_at)
        timings["total_ms"] = _ms(time.perf_counter() - turn.started_at)
        recognised, reply = turn.recognised, turn.reply
        result = TurnResult(
            turn_id=turn.turn_id,
            transcript=recognised.transcript.text if recognised else "",
            language=turn.language,
            emotion=turn.emotion,
            reply_text=speech.text,
            spoken_text=heard,
            interrupted=interrupted,
            models=_models(turn),
            timings_ms=timings,
            template_version=reply.template_version if reply else "",
            downshifted=bool(reply and reply.downshift_reason),
            downshift_reason=reply.downshift_reason if reply else "",
            notices=tuple(n.message for n in reply.notices) if reply else (),
            tools=turn.tools,
            external=turn.external,
            memories=turn.memories,
        )
        self.emit(TurnFinished(result))
        return result

    def _record_reply(self, turn: _Turn, sink: AudioSink, *, interrupted: bool) -> str:
        """Write what the user heard of the reply to the history; returns that text."""
        speech = turn.speech
        heard = speech.heard(sink.seconds_played) if interrupted else speech.text
        if turn.recognised is None or turn.reply is None or not (heard or speech.text):
            return heard
        self.history.add(
            "assistant",
            heard,
            complete=not interrupted,
            meta={
                "turn": turn.turn_id,
                "models": _models(turn),
                "template_version": turn.reply.template_version,
                "full_reply": speech.text,
            },
        )
        return heard

    # -- memory and tools ------------------------------------------------------------------------

    async def _recall(self, turn: _Turn, question: str) -> Recall:
        """The memories for `question` and the prompt's note (nothing with memory off)."""
        if self.memory is None:
            return NO_RECALL
        started = time.perf_counter()
        recalled = await self.memory.recall(question, turn.language)
        turn.timings["recall_ms"] = _ms(time.perf_counter() - started)
        turn.memories = tuple(hit.item.id for hit in recalled.hits)
        return recalled

    def _unknown(self, recalled: Recall, question: str, history: list[ChatMessage], tools_transcript: str) -> bool:
        """Whether to answer with the fixed "I don't know" ([memory] fixed_unknown_reply).

        That is, for a personal question that no memory, no tool and nothing said in this conversation answers.
        """
        if not (recalled.unknown and self.config.memory.fixed_unknown_reply) or tools_transcript:
            return False
        return not told_before(question, (m.content for m in history if m.role == "user"))

    def _remember(self, turn: _Turn, heard_reply: str) -> None:
        """Queue the memory write of this turn: the user's words, with what they heard of the reply."""
        if self.memory is None or turn.recognised is None or not turn.recognised.transcript.text.strip():
            return
        self.memory.remember_later(
            Exchange(
                self.history.conversation_id,
                turn.turn_id,
                turn.recognised.transcript.text,
                heard_reply,
                turn.language,
                time.time(),
            )
        )

    async def _use_tools(self, turn: _Turn, question: str, cancel: CancelToken) -> str:
        """Run the tools this question needs; their transcript for the prompt ("" when none)."""
        if self.tools is None:
            return ""
        outcome = await self.tools.run(turn.turn_id, question, turn.language, cancel)
        turn.tools = outcome.calls
        turn.timings.update(outcome.timings_ms)
        return outcome.transcript

    # -- emotion ---------------------------------------------------------------------------------

    async def _run_emotion(self, classify: Callable[[], EmotionResult]) -> EmotionResult:
        # the LLM lane: the fallback asks the lightweight LLM, which only that lane may use
        return await self.scheduler.run("llm", "embeddings", classify)

    async def _emotion(self, text: str, audio: Audio | None) -> EmotionResult | None:
        """The fast pass (text and voice, no LLM): it sits on the path to the first reply sound."""
        classifier = self.stages.emotion
        if classifier is None:
            return None
        return await self._run_emotion(functools.partial(classifier.classify, text, audio, use_llm=False))

    def refine_emotion_later(self, turn_id: int, text: str, audio: Audio | None, first: EmotionResult | None) -> None:
        """Seed 5's LLM fallback for an unsure result, after the reply: it updates the shown and saved state.

        Asking the lightweight LLM takes seconds on a small CPU; waiting for it before the reply would
        put those seconds between the user's last word and the first sound of the answer.
        """
        classifier = self.stages.emotion
        if classifier is None or first is None or not classifier.wants_llm(first, text):
            return

        async def refine() -> None:
            try:
                result = await self._run_emotion(functools.partial(classifier.classify, text, audio))
            except SovaError as exc:  # the emotion only tunes the tone: never a failure of the turn
                log.warning("emotion refinement failed: %s", exc)
                return
            if result != first:
                self.emit(EmotionReady(turn_id, result))
                self.history.save_state("emotion", asdict(result))

        task = asyncio.get_running_loop().create_task(refine())
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def _models(turn: _Turn) -> dict[str, str]:
    models: dict[str, str] = {}
    if turn.recognised is not None and turn.recognised.source == "audio":
        models["stt"] = turn.recognised.transcript.model_id
    if turn.reply is not None:
        if not turn.reply.fixed_text:  # a fixed reply: no model wrote it
            models["llm"] = turn.reply.llm.model.model_id
        models["tts"] = ",".join(dict.fromkeys(turn.speech.voices))
    return models


def _unexpected(turn_id: int, exc: BaseException) -> SovaError:
    """An exception no stage meant: logged with its traceback, told to the user plainly."""
    log.error("turn %d failed", turn_id, exc_info=exc)
    return StageError("turn", f"unexpected failure: {exc!r}", hint="the conversation so far is saved; try again")


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)
