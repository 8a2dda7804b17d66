"""What a session leaves for the next one at shutdown (seed 12).

The emotional state and the incomplete chains (a turn cut off mid-reply, a MoE task in progress) are
saved once in the history's state table under `STATE_KEY`; the next start takes it (read and clear)
and offers `resume_note` to its first prompt. The JSON on disk keeps one shape across versions:
`{"at", "emotion", "incomplete_chains": [{"kind": "turn" | "moe", ...}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from engine.memory.history import HistoryStore
from engine.stages.base import EmotionResult
from engine.stages.emotion.describe import describe_emotion

STATE_KEY = "shutdown"
_NOTE_QUOTE_CHARS = 300


@dataclass(frozen=True)
class CutOffTurn:
    """A turn the shutdown cut off: the user's words and what had been written of the reply."""

    user_text: str
    partial_reply: str = ""


@dataclass
class InFlight:
    """The turn in progress, kept for the shutdown snapshot (an incomplete chain)."""

    turn_id: int
    source: str
    user_text: str = ""
    partial_reply: str = ""

    def cut_off(self) -> CutOffTurn:
        """The turn as a chain the shutdown cut off."""
        return CutOffTurn(self.user_text, self.partial_reply)


@dataclass(frozen=True)
class PendingTask:
    """An on-demand MoE task in progress at shutdown: its trigger ("Plan.Generate"...) and its subject."""

    trigger: str
    subject: str


@dataclass(frozen=True)
class SessionState:
    """What is saved at shutdown (`at`: wall-clock seconds)."""

    at: float
    emotion: EmotionResult | None = None
    cut_off: tuple[CutOffTurn, ...] = ()
    pending: tuple[PendingTask, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready form stored in the history's state table."""
        chains: list[dict[str, Any]] = [{"kind": "turn", **asdict(t)} for t in self.cut_off]
        chains += [{"kind": "moe", **asdict(p)} for p in self.pending]
        return {"at": self.at, "emotion": asdict(self.emotion) if self.emotion else None, "incomplete_chains": chains}

    @classmethod
    def from_json(cls, data: object) -> SessionState | None:
        """Read a saved record; None when there is none. Malformed parts are skipped, never fatal."""
        if not isinstance(data, Mapping):
            return None
        turns: list[CutOffTurn] = []
        tasks: list[PendingTask] = []
        chains = data.get("incomplete_chains")
        for chain in chains if isinstance(chains, list) else []:
            if not isinstance(chain, Mapping):
                continue
            if chain.get("kind") == "turn" and str(chain.get("user_text", "")).strip():
                turns.append(CutOffTurn(str(chain["user_text"]), str(chain.get("partial_reply", ""))))
            elif chain.get("kind") == "moe":
                tasks.append(PendingTask(str(chain.get("trigger", "")), str(chain.get("subject", ""))))
        at = data.get("at")
        return cls(float(at) if isinstance(at, int | float) else 0.0, emotion_from_json(data.get("emotion")),
                   tuple(turns), tuple(tasks))


def emotion_from_json(data: object) -> EmotionResult | None:
    """An `EmotionResult` from its stored dict (the history's "emotion" state); None when malformed."""
    if not isinstance(data, Mapping):
        return None
    try:
        return EmotionResult(
            str(data["label"]), float(data["valence"]), float(data["arousal"]), float(data["confidence"]),
            str(data.get("source", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def save(history: HistoryStore, state: SessionState) -> None:
    """Store the state for the next start."""
    history.save_state(STATE_KEY, state.to_json())


def take(history: HistoryStore) -> SessionState | None:
    """The state the last session saved, removed from the store so it is offered once."""
    state = SessionState.from_json(history.load_state(STATE_KEY))
    if state is not None:
        history.save_state(STATE_KEY, None)
    return state


def resume_note(state: SessionState | None) -> str:
    """The note the first prompt of the next session gets ("" when nothing worth saying was saved)."""
    if state is None:
        return ""
    parts = []
    if state.emotion is not None:
        parts.append(
            f"when the last session ended, the user seemed {state.emotion.label} ({describe_emotion(state.emotion)})"
        )
    if state.cut_off:
        question = state.cut_off[-1].user_text.strip()[:_NOTE_QUOTE_CHARS]
        parts.append(f'their last question was cut off before a full answer: "{question}"')
    return "; ".join(parts) + "." if parts else ""
