"""What the status bar shows: the active model of each role and the scheduler's state.

The scheduler hook: `EngineStatus.downshifted`/`downshift_reason` come from the latest
`TurnResult` today; when the scheduler publishes its own state, fill them from there in
`engine_status` (one place) and the status bar follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.pipeline.events import TurnResult
from engine.pipeline.stages import Stages


@dataclass(frozen=True)
class EngineStatus:
    """Models in use per role, and the scheduler's state."""

    stt: str = ""
    llm: str = ""
    lightweight: str = ""
    voices: tuple[tuple[str, str], ...] = ()  # (language, voice id)
    downshifted: bool = False
    downshift_reason: str = ""

    @property
    def loaded(self) -> tuple[str, ...]:
        """Every distinct loaded model id."""
        ids = [self.stt, self.llm, self.lightweight, *(v for _, v in self.voices)]
        return tuple(dict.fromkeys(i for i in ids if i))


def engine_status(stages: Stages | None, last: TurnResult | None = None) -> EngineStatus:
    """Summarise loaded `stages`; the downshift state of the `last` turn, if any."""
    if stages is None:
        return EngineStatus()
    voices = tuple(sorted((lang, voice.model_id) for lang, voice in stages.tts.voices.items()))
    return EngineStatus(
        stt=stages.stt.model_id,
        llm=stages.llm.model.model_id,
        lightweight=stages.lightweight.model.model_id,
        voices=voices,
        downshifted=bool(last and last.downshifted),
        downshift_reason=last.downshift_reason if last else "",
    )
