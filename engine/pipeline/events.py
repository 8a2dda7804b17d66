"""Typed, frozen events for everything that moves through a turn, and the turn's result.

The UI bridge, the terminal and the tests all consume these; nothing passes dicts or magic strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from engine.stages.base import EmotionResult, Transcript


class AssistantState(StrEnum):
    """What the assistant is doing (the UI's state indicator)."""

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
    """A turn began; `source` is "audio" or "text"."""

    turn_id: int
    source: str


@dataclass(frozen=True)
class TranscriptReady:
    """The user's words are known (from STT, or typed)."""

    turn_id: int
    transcript: Transcript


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
    """The turn stopped on an error; the message says what to do."""

    turn_id: int
    code: str
    message: str
    hint: str | None = None


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


@dataclass(frozen=True)
class TurnFinished:
    """The turn ended (normally or interrupted)."""

    result: TurnResult


Event = (
    StateChanged
    | TurnStarted
    | TranscriptReady
    | EmotionReady
    | ReplyDelta
    | SentenceReady
    | SentenceSpoken
    | Notice
    | TurnFailed
    | TurnFinished
)
