"""Long-term memory in the turn: recall before the reply, the write after it, never in between.

Recall runs on the aux lane (an embedding of the question plus a scan: tens of milliseconds) and its
note goes into the prompt. The write (fact extraction by an LLM: seconds on a small CPU) waits in a
queue and runs after the reply, on the LLM lane under the device lease. A new turn pre-empts it: the
extraction in flight is stopped at its next token and re-queued, so the user's next question never
waits behind the memory of the last one. `flush()` finishes the queue (shutdown, a one-shot `sova ask`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Protocol

from engine.cancel import CancelToken
from engine.errors import SovaError
from engine.events import Event, MemoryUpdated, Notice
from engine.memory.types import Exchange, Recall
from engine.scheduler.lanes import Lanes
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, LanguageModel, SamplingParams

log = logging.getLogger(__name__)

NO_RECALL = Recall((), "")


class MemoryPort(Protocol):
    """What the turn needs of the memory service."""

    def recall(self, question: str, language: str) -> Recall:
        """Memories for `question` and the prompt's note (blocking)."""
        ...

    def remember(self, exchange: Exchange) -> object:
        """Extract and store what `exchange` tells about the user (blocking, uses the LLM)."""
        ...


class Interruptible:
    """A `LanguageModel` whose generations also stop when `token` is set (the next turn pre-empts)."""

    def __init__(self, model: LanguageModel) -> None:
        self._model = model
        self.model_id = model.model_id
        self.token = CancelToken()

    @property
    def context_length(self) -> int:
        """The wrapped model's context."""
        return self._model.context_length

    def count_tokens(self, text: str) -> int:
        """The wrapped model's token count."""
        return self._model.count_tokens(text)

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """The wrapped model's stream, stopped by `cancel` or by `token`."""
        for piece in self._model.stream_chat(messages, params, cancel or self.token):
            if self.token.is_set():
                return
            yield piece

    def close(self) -> None:
        """The wrapped model belongs to the stages: nothing to free here."""


class MemoryStep:
    """Recall and the queued write for one assistant."""

    def __init__(
        self,
        service: MemoryPort,
        extractor_llm: Interruptible | None,
        scheduler: Scheduler,
        lanes: Lanes,
        emit: Callable[[Event], None],
    ) -> None:
        self.service = service
        self._llm = extractor_llm
        self._scheduler = scheduler
        self._lanes = lanes
        self._emit = emit
        self._queue: deque[Exchange] = deque()
        #: finished conversations waiting for their summary (seed 4's reflections)
        self._conversations: deque[Callable[[], Awaitable[object]]] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._turn_running = False
        self._told_failure = False
        #: the loop the worker runs on (a caller outside it, e.g. `new_conversation()` from a test, may queue)
        self._loop = asyncio.get_running_loop()
        #: the turns whose memories were written (or dropped), newest last: "забудь это" forgets these
        self.written_turns: deque[tuple[int, int]] = deque(maxlen=8)

    async def recall(self, question: str, language: str) -> Recall:
        """The memories for this question; a failure is a notice and no memories, never a failed turn."""
        try:
            return await self._lanes.run("aux", self.service.recall, question, language)
        except SovaError as exc:
            self._tell(f"long-term memory could not be searched: {exc.message}")
            return NO_RECALL

    def turn_starting(self) -> None:
        """A turn begins: an extraction in flight stops now and is tried again after the turn."""
        self._turn_running = True
        if self._llm is not None:
            self._llm.token.set()

    def turn_ended(self) -> None:
        """The turn's reply is out: queued writes may run."""
        self._turn_running = False
        self._kick()

    def summarise_later(self, job: Callable[[], Awaitable[object]]) -> None:
        """Queue the summary of a finished conversation (it runs after the queued facts)."""
        self._conversations.append(job)
        self._kick()

    def remember_later(self, exchange: Exchange) -> None:
        """Queue the write of a finished turn."""
        self._queue.append(exchange)
        self._kick()

    def drop_turn(self, conversation_id: int, turn_id: int) -> None:
        """Forget a turn before its memory is written ("forget that" right after saying it)."""
        self._queue = deque(e for e in self._queue if (e.conversation_id, e.turn_id) != (conversation_id, turn_id))

    def pending(self) -> list[Exchange]:
        """The writes not done yet (saved at shutdown, queued again at the next start)."""
        return list(self._queue)

    def stop(self) -> None:
        """Shutdown: the extraction in flight stops at its next token; the queue stays for `pending()`."""
        self._turn_running = True
        if self._llm is not None:
            self._llm.token.set()

    async def flush(self) -> None:
        """Finish every queued write (shutdown, `sova ask` before it exits)."""
        self._turn_running = False
        while self._queue or self._conversations or (self._worker is not None and not self._worker.done()):
            self._kick()
            if self._worker is not None:
                await asyncio.shield(self._worker)

    def _kick(self) -> None:
        waiting = self._queue or self._conversations
        if waiting and not self._turn_running and (self._worker is None or self._worker.done()):
            self._worker = self._loop.create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue and not self._turn_running:
            exchange = self._queue[0]
            if self._llm is not None:
                self._llm.token = CancelToken()
            try:
                report = await self._scheduler.run("llm", "memory", self.service.remember, exchange)
            except SovaError as exc:
                self._discard(exchange)
                self._tell(f"a memory could not be saved: {exc.message}")
                continue
            if self._llm is not None and self._llm.token.is_set():
                continue  # pre-empted by a new turn: the same exchange again after it
            self._discard(exchange)
            self.written_turns.append((exchange.conversation_id, exchange.turn_id))
            added = tuple(getattr(report, "added", ()))
            superseded = tuple(old for old, _ in getattr(report, "superseded", ()))
            if added or superseded:
                self._emit(MemoryUpdated(exchange.turn_id, added, superseded))
        while self._conversations and not self._queue and not self._turn_running:
            job = self._conversations.popleft()
            try:
                report = await job()
            except SovaError as exc:
                self._tell(f"a conversation's summary could not be saved: {exc.message}")
                continue
            if getattr(report, "added", ()):
                self._emit(MemoryUpdated(None, tuple(getattr(report, "added", ()))))

    def _discard(self, exchange: Exchange) -> None:
        if exchange in self._queue:  # `drop_turn` may have taken it out meanwhile
            self._queue.remove(exchange)

    def _tell(self, message: str) -> None:
        log.warning("%s", message)
        if not self._told_failure:  # once a session: a broken memory should not flood the window
            self._told_failure = True
            self._emit(Notice(message))
