"""One turn: the user's audio or text in, a spoken reply out, streamed sentence by sentence.

LLM pieces -> sentence splitter -> TTS per sentence -> audio sink as soon as the first sentence is
ready, while the LLM keeps writing. An interrupt (barge-in) stops generation and playback at once,
and the history keeps only what was actually heard.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from engine.audio.resample import to_whisper_input
from engine.audio.sinks import AudioSink
from engine.audio.types import Audio
from engine.config import SovaConfig
from engine.errors import AudioInputError, NoSpeechError, SovaError, TurnCancelled
from engine.memory.history import HistoryStore
from engine.pipeline.context import fit_messages
from engine.pipeline.events import (
    AssistantState,
    EmotionReady,
    Event,
    Notice,
    ReplyDelta,
    SentenceReady,
    SentenceSpoken,
    StateChanged,
    TranscriptReady,
    TurnResult,
)
from engine.pipeline.listening import Listening
from engine.pipeline.prompt import Prompts
from engine.pipeline.splitter import SentenceSplitter
from engine.pipeline.stages import LoadedLLM, Stages
from engine.scheduler.lanes import Lanes
from engine.scheduler.policy import Decision
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import EmotionResult, SamplingParams, SpokenLanguage, Transcript
from engine.stages.tts.language import detect_language
from engine.stages.vad.segmenter import VadParams

log = logging.getLogger(__name__)

MIN_AUDIO_S = 0.3
#: a first sentence longer than this is spoken from its first comma on: the user hears the answer
#: begin while the LLM is still writing the rest of that sentence
FIRST_CLAUSE_CHARS = 40
HISTORY_MESSAGES = 20
_END = object()  # end of the LLM stream in the piece queue


@dataclass(frozen=True)
class TextInput:
    """A typed question."""

    text: str


@dataclass(frozen=True)
class AudioInput:
    """A spoken question; `ended_at` is when the user stopped (key release), perf_counter seconds.

    `listening` is the transcription that ran while the key was held (`Assistant.listen()`), if any.
    """

    audio: Audio
    ended_at: float = field(default_factory=time.perf_counter)
    listening: Listening | None = None


TurnInput = TextInput | AudioInput


@dataclass
class _Spoken:
    """Sentences handed to the sink, with their audio length, to tell what was heard."""

    sentences: list[tuple[str, float]] = field(default_factory=list)

    def heard(self, seconds_played: float) -> str:
        out, total = [], 0.0
        for text, duration in self.sentences:
            total += duration
            if total > seconds_played + 0.05:
                break
            out.append(text)
        return " ".join(out)


class TurnRunner:
    """Runs turns against loaded stages; emits events through `emit` (called on the loop thread)."""

    def __init__(
        self,
        stages: Stages,
        config: SovaConfig,
        history: HistoryStore,
        prompts: Prompts,
        lanes: Lanes,
        emit: Callable[[Event], None],
        scheduler: Scheduler | None = None,
    ) -> None:
        self.stages = stages
        self.config = config
        self.history = history
        self.prompts = prompts
        self.lanes = lanes
        self.emit = emit
        #: shares the device (leases) and picks the dialog model (downshift); None: lanes only
        self.scheduler = scheduler
        #: a note for the next prompt only (e.g. the state saved at the last shutdown)
        self.carry_over = ""
        #: work that follows a turn (the emotion's LLM fallback); awaited at shutdown
        self.background: set[asyncio.Task[None]] = set()

    # -- recognition -----------------------------------------------------------------------------

    def _check_audio(self, audio: Audio) -> Audio:
        if audio.samples.size == 0:
            raise AudioInputError("the recording is empty", hint="hold the key while you speak")
        if audio.duration_s < MIN_AUDIO_S:
            raise AudioInputError(
                f"the recording is too short ({audio.duration_s:.2f} s)",
                hint="hold the key a little longer while you speak",
            )
        cap = self.config.audio.stt.max_audio_seconds
        if audio.duration_s > cap:
            raise AudioInputError(
                f"the recording is {audio.duration_s:.0f} s long; the limit is {cap:.0f} s",
                hint="speak a shorter question, or raise [audio.stt] max_audio_seconds in your config",
            )
        return to_whisper_input(audio)

    def _recognize(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        """VAD then STT (runs on the stt lane)."""
        segments = self.stages.vad.speech_segments(audio, VadParams.from_config(self.config.audio.vad))
        if not segments:
            raise NoSpeechError(
                "no speech was found in the recording", hint="check the microphone and speak closer to it"
            )
        start = int(segments[0].start_s * audio.sample_rate)
        end = int(segments[-1].end_s * audio.sample_rate)
        speech = Audio(audio.samples[start:end], audio.sample_rate)
        transcript = self.stages.stt.transcribe(speech, language)
        if not transcript.text.strip():
            raise NoSpeechError("no words could be recognised", hint="speak more clearly, or type the question")
        return transcript

    def _language(self, override: str | None, detected: str | None) -> SpokenLanguage | None:
        wanted = override or self.config.app.language
        if wanted in ("ru", "en"):
            return wanted  # type: ignore[return-value]
        return detected if detected in ("ru", "en") else None  # type: ignore[return-value]

    # -- the turn --------------------------------------------------------------------------------

    async def run(
        self,
        turn_id: int,
        turn_input: TurnInput,
        sink: AudioSink,
        cancel: threading.Event,
        *,
        language: str | None = None,
        llm: LoadedLLM | None = None,
    ) -> TurnResult:
        """Run one turn to the end (or to the interrupt); the caller turns errors into events.

        `llm` forces a model; without it the scheduler's policy picks one (and may downshift).
        """
        timings: dict[str, float] = {}
        notices: list[str] = []
        models: dict[str, str] = {}
        audio: Audio | None = None

        if isinstance(turn_input, AudioInput):
            t0 = turn_input.ended_at
            self.emit(StateChanged(AssistantState.TRANSCRIBING))
            try:
                audio = self._check_audio(turn_input.audio)
            except AudioInputError:
                if turn_input.listening is not None:  # its background transcription is of no use now
                    turn_input.listening.cancel()
                raise
            forced = self._language(language, None)
            t = time.perf_counter()
            if turn_input.listening is not None:  # only the tail is left to transcribe
                transcript = await turn_input.listening.finish(audio)
                if not transcript.text.strip():
                    raise NoSpeechError("no words could be recognised", hint="speak more clearly, or type the question")
            elif self.scheduler is not None:  # the device lease: STT and the LLM never overlap on it
                transcript = await self.scheduler.run("stt", "stt", self._recognize, audio, forced, cancel=cancel)
            else:
                transcript = await self.lanes.run("stt", self._recognize, audio, forced)
            timings["stt_ms"] = _ms(time.perf_counter() - t)
            models["stt"] = transcript.model_id
        else:
            t0 = time.perf_counter()
            text = turn_input.text.strip()
            if not text:
                raise AudioInputError("the question is empty", hint="type a question, or hold the key and speak")
            lang = self._language(language, detect_language(text)) or "en"
            transcript = Transcript(text, lang, 1.0, 0.0, "typed")
        self.emit(TranscriptReady(turn_id, transcript))
        # seed 3.1 / 12: the model is chosen as the request arrives (its words known), so a transcription
        # running now is seen as busy; later steps wait for the device and would only see it finished
        decision: Decision | None = None
        if llm is None and self.scheduler is not None:
            llm, decision = self.scheduler.choose_dialog(self.stages.llm, self.stages.lightweight)
        llm = llm or self.stages.llm
        lang = self._language(language, transcript.language) or transcript.language
        if cancel.is_set():
            raise TurnCancelled("interrupted")

        # the user's words are on disk before anything else can fail
        history = self.history.chat_history(HISTORY_MESSAGES)
        recent_replies = [m.content for m in history if m.role == "assistant"][-3:]
        user_msg_meta: dict[str, object] = {"turn": turn_id, "language": lang}
        self.history.add("user", transcript.text, meta=user_msg_meta)

        self.emit(StateChanged(AssistantState.THINKING))
        emotion = await self._emotion(transcript.text, audio, timings)
        if emotion is not None:
            self.emit(EmotionReady(turn_id, emotion))
            self.history.save_state("emotion", asdict(emotion))

        carry_over, self.carry_over = self.carry_over, ""
        prompt = self.prompts.build(
            history,
            transcript.text,
            memory_summary=carry_over,
            emotion=emotion,
            language=lang,
            recent_replies=recent_replies,
        )
        settings = llm.settings
        context = llm.model.context_length
        if decision is not None:
            context = min(context, decision.context_length)  # e.g. a shorter context while STT runs
        budget = context - settings.max_output_tokens
        fitted = fit_messages(prompt.messages, llm.model.count_tokens, budget)
        if fitted.dropped_turns:
            notices.append(
                "the conversation is longer than the model's context: "
                f"left out the {fitted.dropped_turns} oldest turn(s)"
            )
        if fitted.truncated:
            notices.append("the question was too long for the model's context and was shortened")
        for n in notices:
            self.emit(Notice(n))
        models["llm"] = llm.model.model_id
        params = SamplingParams(
            temperature=settings.temperature, top_p=settings.top_p, max_tokens=settings.max_output_tokens
        )

        reply, spoken, voices, interrupted = await self._generate_and_speak(
            turn_id, fitted.messages, params, lang, sink, cancel, t0, timings, llm
        )
        models["tts"] = ",".join(dict.fromkeys(voices)) if voices else ""
        timings["total_ms"] = _ms(time.perf_counter() - t0)
        heard = spoken.heard(sink.seconds_played) if interrupted else reply
        self.history.add(
            "assistant",
            heard,
            complete=not interrupted,
            meta={"turn": turn_id, "models": models, "template_version": prompt.template_version, "full_reply": reply},
        )
        self.refine_emotion_later(turn_id, transcript.text, audio, emotion)
        return TurnResult(
            turn_id=turn_id,
            transcript=transcript.text,
            language=lang,
            emotion=emotion,
            reply_text=reply,
            spoken_text=heard,
            interrupted=interrupted,
            models=models,
            timings_ms=timings,
            template_version=prompt.template_version,
            downshifted=bool(decision and decision.downshifted),
            downshift_reason=decision.reason if decision and decision.downshifted else "",
            notices=tuple(notices),
        )

    async def _run_emotion(self, classify: Callable[[], EmotionResult]) -> EmotionResult:
        # the LLM lane: the fallback asks the lightweight LLM, which only that lane may use
        if self.scheduler is not None:
            return await self.scheduler.run("llm", "embeddings", classify)
        return await self.lanes.run("llm", classify)

    async def _emotion(self, text: str, audio: Audio | None, timings: dict[str, float]) -> EmotionResult | None:
        """The fast pass (text and voice, no LLM): it sits on the path to the first reply sound."""
        classifier = self.stages.emotion
        if classifier is None:
            return None
        t = time.perf_counter()
        result = await self._run_emotion(functools.partial(classifier.classify, text, audio, use_llm=False))
        timings["emotion_ms"] = _ms(time.perf_counter() - t)
        return result

    def refine_emotion_later(self, turn_id: int, text: str, audio: Audio | None, first: EmotionResult | None) -> None:
        """Seed 5's LLM fallback for an unsure result, after the reply: it updates the shown and saved state.

        Asking the lightweight LLM takes seconds on a small CPU; waiting for it before the reply would
        put those seconds between the user's last word and the first sound of the answer.
        """
        classifier = self.stages.emotion
        if classifier is None or first is None or not classifier.wants_llm(first, text):
            return

        async def refine() -> None:
            full = functools.partial(classifier.classify, text, audio)
            try:
                result = await self._run_emotion(full)
            except SovaError as exc:  # the emotion only tunes the tone: never a failure of the turn
                log.warning("emotion refinement failed: %s", exc)
                return
            if result != first:
                self.emit(EmotionReady(turn_id, result))
                self.history.save_state("emotion", asdict(result))

        task = asyncio.get_running_loop().create_task(refine())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _generate_and_speak(
        self,
        turn_id: int,
        messages: tuple[object, ...] | list[object],
        params: SamplingParams,
        lang: SpokenLanguage,
        sink: AudioSink,
        cancel: threading.Event,
        t0: float,
        timings: dict[str, float],
        llm: LoadedLLM,
    ) -> tuple[str, _Spoken, list[str], bool]:
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[object] = asyncio.Queue()
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        spoken = _Spoken()
        voices: list[str] = []
        t_llm = time.perf_counter()
        # While the first sentence is synthesised the LLM waits: on a small CPU the two would share
        # the cores and the first sound (what the user waits for) would come later. Later sentences
        # are synthesised while the LLM writes: playback of the first one leaves time for that.
        llm_may_run = threading.Event()
        llm_may_run.set()

        def produce() -> None:
            try:
                stream = llm.model.stream_chat(messages, params, cancel)  # type: ignore[arg-type]
                if self.scheduler is not None:  # a lease per chunk of tokens: a waiting STT runs in between
                    stream = self.scheduler.stream("llm", stream, cancel)
                for piece in stream:
                    loop.call_soon_threadsafe(pieces.put_nowait, piece)
                    llm_may_run.wait()
            except BaseException as exc:  # handed to the loop, raised there
                loop.call_soon_threadsafe(pieces.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(pieces.put_nowait, _END)

        async def speak() -> None:
            first = True
            while (sentence := await sentences.get()) is not None:
                if cancel.is_set():
                    llm_may_run.set()
                    continue
                t = time.perf_counter()
                voice_lang, voice = self.stages.tts.voice_for(sentence, lang)
                try:
                    audio = await self.lanes.run("tts", voice.synthesize, sentence)
                finally:
                    llm_may_run.set()
                if first:
                    timings["tts_first_audio_ms"] = _ms(time.perf_counter() - t)
                if cancel.is_set() or audio.samples.size == 0:
                    continue
                if first:
                    self.emit(StateChanged(AssistantState.SPEAKING))
                    first = False
                sink.play(audio)
                spoken.sentences.append((sentence, audio.duration_s))
                voices.append(voice.model_id)
                self.emit(SentenceSpoken(turn_id, sentence, voice_lang, voice.model_id))

        speaker = asyncio.create_task(speak())
        producer = self.lanes.submit("llm", produce)
        splitter = SentenceSplitter(first_soft_limit=FIRST_CLAUSE_CHARS)
        reply_parts: list[str] = []
        error: BaseException | None = None
        try:
            while (item := await pieces.get()) is not _END:
                if isinstance(item, BaseException):
                    error = item
                    continue
                piece = str(item)
                if not reply_parts:
                    timings["llm_first_token_ms"] = _ms(time.perf_counter() - t_llm)
                reply_parts.append(piece)
                self.emit(ReplyDelta(turn_id, piece))
                for sentence in splitter.push(piece):
                    if "first_sentence_ms" not in timings:
                        timings["first_sentence_ms"] = _ms(time.perf_counter() - t0)
                        llm_may_run.clear()
                    self.emit(SentenceReady(turn_id, sentence))
                    sentences.put_nowait(sentence)
            rest = splitter.flush()
            if rest:
                timings.setdefault("first_sentence_ms", _ms(time.perf_counter() - t0))
                self.emit(SentenceReady(turn_id, rest))
                sentences.put_nowait(rest)
            timings["llm_ms"] = _ms(time.perf_counter() - t_llm)
        finally:
            llm_may_run.set()
            sentences.put_nowait(None)
            await producer
            await speaker
        if error is not None:
            raise error
        if not cancel.is_set():
            await asyncio.to_thread(sink.drain)
        if sink.first_audio_at is not None:
            timings["v2v_ms"] = _ms(sink.first_audio_at - t0)
        interrupted = cancel.is_set()
        if interrupted:
            sink.stop()
        return "".join(reply_parts).strip(), spoken, voices, interrupted


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)
