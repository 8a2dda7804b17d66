"""The turn's middle stage: the prompt, fitted to the model's context, and the reply as an async stream.

`Responder.prepare` picks the model (the scheduler may downshift), builds the prompt (persona, notes,
emotion, history, the question) and fits it into the context. `ReplyStream` runs the LLM in its
lane, under the device lease per chunk of tokens, and hands the pieces to the loop as an async
iterator. Leaving the iteration for any reason (the end, an error elsewhere, a cancelled task)
stops the producer thread at its next token.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Sequence
from contextlib import suppress
from dataclasses import dataclass

from engine.cancel import CancelToken
from engine.events import Notice
from engine.pipeline.context import fit_messages
from engine.pipeline.prompt import Prompts
from engine.scheduler.lanes import Lanes
from engine.scheduler.policy import Decision
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, EmotionResult, SamplingParams, SpokenLanguage
from engine.stages.llm.loaded import LoadedLLM
from engine.stages.llm.openai_compat import is_remote

#: the template version recorded with a fixed reply (no prompt template made it)
FIXED_TEMPLATE = "fixed"


@dataclass(frozen=True)
class PreparedReply:
    """Everything the LLM needs for one reply, and what the turn reports about it."""

    llm: LoadedLLM
    messages: tuple[ChatMessage, ...]
    params: SamplingParams
    template_version: str
    decision: Decision | None
    notices: tuple[Notice, ...]
    #: a reply said as it is, without the model (`messages` is empty then)
    fixed_text: str = ""

    @property
    def downshift_reason(self) -> str:
        """Why a lesser model answers ("" when the chosen one does)."""
        return self.decision.reason if self.decision is not None and self.decision.downshifted else ""


class Responder:
    """Prepares replies and opens their streams."""

    def __init__(self, prompts: Prompts, scheduler: Scheduler, lanes: Lanes) -> None:
        self.prompts = prompts
        self.scheduler = scheduler
        self.lanes = lanes

    def choose(
        self, primary: LoadedLLM, lightweight: LoadedLLM, forced: LoadedLLM | None = None
    ) -> tuple[LoadedLLM, Decision | None]:
        """The model for this reply: `forced`, or the scheduler's choice now (it may downshift).

        Call it as the request arrives (seed 3.1/12): a transcription running now counts as busy,
        while a later step that waits for the device would only see it finished.
        """
        if forced is not None:
            return forced, None
        if is_remote(primary.model):  # a remote model does not compete with recognition: no downshift
            return primary, None
        return self.scheduler.choose_dialog(primary, lightweight)

    def prepare(
        self,
        llm: LoadedLLM,
        decision: Decision | None,
        history: Sequence[ChatMessage],
        question: str,
        language: SpokenLanguage,
        *,
        notes: str = "",
        emotion: EmotionResult | None = None,
        tools_transcript: str = "",
    ) -> PreparedReply:
        """The prompt for `llm`, fitted to its context (shorter when the decision says so)."""
        recent_replies = [m.content for m in history if m.role == "assistant"][-3:]
        prompt = self.prompts.build(
            history,
            question,
            memory_summary=notes,
            emotion=emotion,
            language=language,
            tools_transcript=tools_transcript,
            recent_replies=recent_replies,
        )
        settings = llm.settings
        context = llm.model.context_length
        if decision is not None:
            context = min(context, decision.context_length)  # e.g. a shorter context while STT runs
        fitted = fit_messages(prompt.messages, llm.model.count_tokens, context - settings.max_output_tokens)
        notices = []
        if fitted.dropped_turns:
            notices.append(
                Notice(
                    "the conversation is longer than the model's context: "
                    f"left out the {fitted.dropped_turns} oldest turn(s)"
                )
            )
        if fitted.truncated:
            notices.append(Notice("the question was too long for the model's context and was shortened"))
        params = SamplingParams(
            temperature=settings.temperature, top_p=settings.top_p, max_tokens=settings.max_output_tokens
        )
        return PreparedReply(llm, fitted.messages, params, prompt.template_version, decision, tuple(notices))

    def fixed(self, llm: LoadedLLM, decision: Decision | None, text: str) -> PreparedReply:
        """A reply that is `text` as it is: no prompt, no model runs (`llm` is what would have answered)."""
        settings = llm.settings
        params = SamplingParams(temperature=settings.temperature, top_p=settings.top_p, max_tokens=0)
        return PreparedReply(llm, (), params, FIXED_TEMPLATE, decision, (), fixed_text=text)

    def stream(self, reply: PreparedReply, cancel: CancelToken) -> ReplyStream | FixedStream:
        """The reply's pieces; generation stops when `cancel` is set."""
        if reply.fixed_text:
            return FixedStream(reply.fixed_text)
        return ReplyStream(reply, self.scheduler, self.lanes, cancel)


class FixedStream:
    """A fixed reply with `ReplyStream`'s surface: one piece, at once (no LLM timings: no model ran)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.first_piece_ms: float | None = None
        self.elapsed_ms: float | None = None

    def pause(self) -> None:
        """Nothing to hold."""

    def resume(self) -> None:
        """Nothing to let go."""

    async def pieces(self) -> AsyncGenerator[str, None]:
        """The text, as one piece."""
        yield self.text


@dataclass(frozen=True)
class _End:
    """The producer is done; `error` is why it stopped early, if it failed."""

    error: BaseException | None = None


class ReplyStream:
    """The LLM's reply as an async iterator of text pieces (iterate once, with `pieces()`).

    `pause()` holds the producer after its current piece (the first sentence is being synthesised
    and should have the cores); `resume()` lets it go on.
    """

    def __init__(self, reply: PreparedReply, scheduler: Scheduler, lanes: Lanes, cancel: CancelToken) -> None:
        self.reply = reply
        self._scheduler = scheduler
        self._lanes = lanes
        self._cancel = cancel
        self._may_run = threading.Event()
        self._may_run.set()
        #: milliseconds from the start of the stream to the first piece, once it came
        self.first_piece_ms: float | None = None
        self.elapsed_ms: float | None = None

    def pause(self) -> None:
        """Hold generation after the current piece."""
        if not self._cancel.is_set():
            self._may_run.clear()

    def resume(self) -> None:
        """Let generation go on."""
        self._may_run.set()

    def _produce(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | _End]) -> None:
        end = _End()
        try:
            model = self.reply.llm.model
            stream = model.stream_chat(self.reply.messages, self.reply.params, self._cancel)
            # a lease per chunk of tokens: a waiting STT runs in between (a remote model takes none; its
            # local stand-in takes its own, see engine/pipeline/remote.py)
            pieces = stream if is_remote(model) else self._scheduler.stream("llm", stream, self._cancel)
            for piece in pieces:
                loop.call_soon_threadsafe(queue.put_nowait, piece)
                self._may_run.wait()
                if self._cancel.is_set():
                    break
        except BaseException as exc:  # handed to the loop, raised there
            end = _End(exc)
        finally:
            with suppress(RuntimeError):  # the loop is closed: nobody is listening any more
                loop.call_soon_threadsafe(queue.put_nowait, end)

    async def pieces(self) -> AsyncGenerator[str, None]:
        """The pieces as they are generated; raises the LLM's error, if any."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | _End] = asyncio.Queue()
        started = time.perf_counter()
        producer = self._lanes.submit("llm", lambda: self._produce(loop, queue))
        ended = False
        try:
            while not isinstance(item := await queue.get(), _End):
                if self.first_piece_ms is None:
                    self.first_piece_ms = _ms(time.perf_counter() - started)
                yield item
            ended = True
            if item.error is not None:
                raise item.error
            self.elapsed_ms = _ms(time.perf_counter() - started)
        finally:
            if not ended:  # an error elsewhere or a cancelled task: stop the thread at its next token
                self._cancel.set()
                self._may_run.set()
            await asyncio.shield(producer)

def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)
