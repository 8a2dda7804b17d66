"""Every event of the engine, as typed frozen dataclasses in one union, carried by one bus.

Turn events (state, words, reply, sentences, the end of a turn), scheduler events (downshift,
loads and unloads, revoked leases, the MoE's results) and notices all go through `engine.bus.EventBus`.
The UI bridge, the terminal and the tests consume these objects themselves: nothing passes dicts,
flattened strings or magic markers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from engine.errors import ErrorCode
from engine.stages.base import EmotionResult, Transcript

#: where a turn's question came from
TurnSource = Literal["audio", "text"]


class AssistantState(StrEnum):
    """What the assistant is doing (the UI's state indicator)."""

    LOADING = "loading"
    IDLE = "idle"
    LISTENING = "listening"
    TRANSCRIBING = "transcribing"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class StateChanged:
    """The assistant moved to another state."""

    state: AssistantState


@dataclass(frozen=True)
class TurnStarted:
    """A turn began."""

    turn_id: int
    source: TurnSource


@dataclass(frozen=True)
class TranscriptReady:
    """The user's words are known (from STT, or typed)."""

    turn_id: int
    transcript: Transcript
    source: TurnSource
    #: how its language was chosen: "chosen" (given), "detected", or an unsure detection's fallback
    #: ("previous": the last turn's, "interface": the window's); "" when not told
    language_reason: str = ""


@dataclass(frozen=True)
class EmotionReady:
    """The user's emotion for this turn."""

    turn_id: int
    emotion: EmotionResult


@dataclass(frozen=True)
class ReplyDelta:
    """More reply text, as the LLM writes it."""

    turn_id: int
    text: str


@dataclass(frozen=True)
class SentenceReady:
    """The splitter completed a reply sentence; it goes to speech synthesis now."""

    turn_id: int
    text: str


@dataclass(frozen=True)
class SentenceSpoken:
    """A reply sentence was handed to the speaker."""

    turn_id: int
    text: str
    language: str
    voice_id: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error (a fallback model, a trimmed history)."""

    message: str


@dataclass(frozen=True)
class TurnFailed:
    """The turn stopped on an error; the message says what to do (history keeps the user's words)."""

    turn_id: int
    code: ErrorCode
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call of a turn, as stored with it and printed by `sova ask --json` (`tools`)."""

    name: str
    args: dict[str, Any]
    ok: bool
    result: str


@dataclass(frozen=True)
class ExternalUse:
    """A turn answered by a model off this machine: where, and which kinds of personal data were scrubbed."""

    endpoint: str
    scrubbed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TurnResult:
    """Everything about a finished (or interrupted) turn; `sova ask --json` prints this."""

    turn_id: int
    transcript: str
    language: str
    emotion: EmotionResult | None
    reply_text: str
    spoken_text: str
    interrupted: bool
    models: dict[str, str]
    timings_ms: dict[str, float]
    template_version: str
    downshifted: bool = False
    downshift_reason: str = ""
    notices: tuple[str, ...] = ()
    reply_audio: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    #: the tools called for this turn, in order
    tools: tuple[ToolCallRecord, ...] = ()
    #: set when a remote model answered
    external: ExternalUse | None = None
    #: ids of the long-term memories put into this turn's prompt
    memories: tuple[int, ...] = ()


@dataclass(frozen=True)
class TurnFinished:
    """The turn ended: answered, or interrupted (barge-in at any moment; `result.interrupted`)."""

    result: TurnResult


@dataclass(frozen=True)
class DownshiftChanged:
    """Dialog moved to a lesser model (`downshifted`) or came back to the primary."""

    downshifted: bool
    reason: str
    role: str
    model_id: str


@dataclass(frozen=True)
class ModelLoaded:
    """An on-demand model was loaded (`mb` of the budget)."""

    model_id: str
    mb: int


@dataclass(frozen=True)
class ModelUnloaded:
    """A model was unloaded; `reason` is "idle", "shutdown" or "budget"."""

    model_id: str
    reason: str


@dataclass(frozen=True)
class LeaseRevoked:
    """A task ran past its time limit and lost the device."""

    holder: str
    held_s: float


@dataclass(frozen=True)
class JudgeResult:
    """Judge.Result (seed 19): which answer is better, from the MoE or its stand-in."""

    NAME = "Judge.Result"

    winner: str  # "a", "b" or "tie"
    reason: str
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""
    agrees: bool | None = None  # with the reference verdict, when one was given


@dataclass(frozen=True)
class PlanResult:
    """Plan.Result (seed 19): the steps of a structured plan."""

    NAME = "Plan.Result"

    steps: tuple[str, ...]
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""


@dataclass(frozen=True)
class ToolPlanResult:
    """Plan.Result of a tool turn: the planner's text, in the format it was asked for."""

    NAME = "Plan.Result"

    text: str
    native_format: str | None  # "harmony" when the MoE planned in its own function calling; None: the JSON plan
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""


@dataclass(frozen=True)
class ReflectionResult:
    """The answer to Reflection.LongContext: a summary of a long text."""

    NAME = "Reflection.Result"

    summary: str
    model_id: str
    latency_ms: float
    downshifted: bool = False
    downshift_reason: str = ""


@dataclass(frozen=True)
class MoEDisabled:
    """The MoE was switched off (its p95 latency broke the SLA), until the next start."""

    reason: str
    p95_ms: float


@dataclass(frozen=True)
class ToolCalled:
    """A tool ran for a turn (or was refused); shown in the chat as it happens."""

    turn_id: int
    call: ToolCallRecord


@dataclass(frozen=True)
class ConfirmationRequested:
    """A tool that changes things wants to run: answer with `Assistant.resolve_confirmation(request_id, ...)`."""

    request_id: int
    tool: str
    args: dict[str, Any]
    #: what it will do, in the user's language
    description: str


@dataclass(frozen=True)
class ReminderDue:
    """A timer or reminder fell due (`late`: it fell due while Sova was closed)."""

    reminder_id: int
    text: str
    due_at: float
    late: bool


@dataclass(frozen=True)
class MemoryUpdated:
    """Long-term memory changed: written after a turn, edited or forgotten."""

    turn_id: int | None = None
    added: tuple[int, ...] = ()
    superseded: tuple[int, ...] = ()
    forgotten: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConsentRequired:
    """A configured remote endpoint is not used until the user consents to it (window dialog or CLI)."""

    endpoint: str
    role: str


TurnEvent = (
    StateChanged
    | TurnStarted
    | TranscriptReady
    | EmotionReady
    | ReplyDelta
    | SentenceReady
    | SentenceSpoken
    | TurnFailed
    | TurnFinished
    | ToolCalled
    | ConfirmationRequested
)
SchedulerEvent = (
    DownshiftChanged
    | ModelLoaded
    | ModelUnloaded
    | LeaseRevoked
    | JudgeResult
    | PlanResult
    | ToolPlanResult
    | ReflectionResult
    | MoEDisabled
)
#: what happens outside a turn: reminders, memory changes, consent
AssistantEvent = ReminderDue | MemoryUpdated | ConsentRequired
Event = TurnEvent | SchedulerEvent | AssistantEvent | Notice
"""Everything the bus carries."""
