"""An `Assistant` over scripted stages, driven on its own loop, recording every event of its bus."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from app.paths import RESOURCES_DIR
from engine.assistant import Assistant
from engine.config import SovaConfig
from engine.events import Event
from engine.pipeline.stages import Stages
from engine.registry.registry import Registry
from engine.stages.llm.loaded import LoadedLLM
from engine.stages.tts.router import VoiceRouter
from tests.harness.fakes import DEADLINE_S, ScriptedLLM, ScriptedSTT, ScriptedVAD, ScriptedVoice

T = TypeVar("T")


def scripted_stages(config: SovaConfig, llm: ScriptedLLM, voice: ScriptedVoice, stt: ScriptedSTT) -> Stages:
    """Stages made of the fakes (no emotion stage: it has its own tests)."""
    loaded = LoadedLLM(llm, "primary", config.llm.primary)
    return Stages(
        vad=ScriptedVAD(),  # type: ignore[arg-type]
        stt=stt,
        llm=loaded,
        lightweight=loaded,
        tts=VoiceRouter({"en": voice}),
        emotion=None,
    )


def scripted_assistant(
    data_dir: Path, config: SovaConfig, llm: ScriptedLLM, voice: ScriptedVoice, stt: ScriptedSTT
) -> Assistant:
    """A real `Assistant` (not started) whose stages are the fakes: it starts in milliseconds."""
    registry = Registry.from_dirs([], data_dir / "models", data_dir / "state")
    stages = scripted_stages(config, llm, voice, stt)
    return Assistant(config, registry, data_dir, RESOURCES_DIR, stage_builder=lambda *_: stages)


class Harness:
    """A started assistant over fakes; `events` holds everything its bus carried, in order."""

    def __init__(
        self,
        data_dir: Path,
        config: SovaConfig,
        *,
        llm: ScriptedLLM,
        voice: ScriptedVoice | None = None,
        stt: ScriptedSTT | None = None,
    ) -> None:
        self.llm, self.voice, self.stt = llm, voice or ScriptedVoice(), stt or ScriptedSTT()
        self.loop = asyncio.new_event_loop()
        self.assistant = scripted_assistant(data_dir, config, self.llm, self.voice, self.stt)
        self.events: list[Event] = []
        self.assistant.bus.subscribe(self.events.append)
        self.run(self.assistant.start())
        self.events.clear()

    def run(self, awaitable: Awaitable[T], timeout_s: float = DEADLINE_S) -> T:
        """Run on the assistant's loop, failing (not hanging) past the deadline."""
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout_s))

    def on(self, kind: type, action: Callable[[Any], None]) -> None:
        """Call `action(event)` at the first event of `kind` (e.g. barge in at the first spoken sentence)."""
        done = False

        def listener(event: Event) -> None:
            nonlocal done
            if not done and isinstance(event, kind):
                done = True
                action(event)

        self.assistant.bus.subscribe(listener)

    def kinds(self, *skip: type) -> list[str]:
        """The event class names in order, without the kinds in `skip`."""
        return [type(e).__name__ for e in self.events if not isinstance(e, skip)]

    def of(self, kind: type[T]) -> list[T]:
        """The events of `kind`, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    def close(self) -> None:
        """Shut the assistant down and close its loop."""
        try:
            self.run(self.assistant.close())
        finally:
            self.loop.close()


class WindowParts:
    """The assistant's memory, reminders, confirmations, consent and remote record, as the window uses them.

    `install(assistant)` gives one assistant instance these parts (through a subclass made for it, so a real
    implementation on `Assistant` is shadowed only for that instance); every answer the window gives is recorded.
    """

    def __init__(
        self,
        *,
        memory: Any = None,
        memory_problem: str = "",
        reminders: list[Any] | None = None,
        reminder_source: Callable[[], list[Any]] | None = None,
    ) -> None:
        self.memory = memory
        self.memory_problem = memory_problem
        self.reminder_list: list[Any] = list(reminders or [])
        #: where reminders come from, when not the list (a real ReminderStore's `all`)
        self.reminder_source = reminder_source
        self.resolved: list[tuple[int, bool]] = []
        self.granted: list[str] = []
        self.sent: dict[int, tuple[Any, ...]] = {}

    def install(self, assistant: Assistant) -> Assistant:
        """Give `assistant` these parts (through a subclass of its own, so they win over the class's own)."""
        parts = self
        namespace = {
            "memory": property(lambda _self: parts.memory),
            "memory_problem": property(lambda _self: parts.memory_problem),
            "reminders": lambda _self: parts.reminder_source() if parts.reminder_source else list(parts.reminder_list),
            "resolve_confirmation": lambda _self, request_id, allowed: parts.resolved.append((request_id, allowed)),
            "grant_consent": lambda _self, endpoint: parts.granted.append(endpoint),
            "sent_to_remote": lambda _self, turn_id: parts.sent.get(turn_id, ()),
        }
        assistant.__class__ = type("AssistantWithWindowParts", (type(assistant),), namespace)
        return assistant
