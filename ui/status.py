"""What the status bar shows: the active model of each role and the scheduler's state.

The downshift comes from the scheduler's latest `DownshiftChanged` event on the bus.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from engine.events import DownshiftChanged, LeaseRevoked, MoEDisabled, SchedulerEvent
from engine.pipeline.stages import ModelsInUse


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


def engine_status(models: ModelsInUse | None, downshift: DownshiftChanged | None = None) -> EngineStatus:
    """The models in use (None: still loading), and the scheduler's latest downshift, if any."""
    if models is None:
        return EngineStatus()
    return EngineStatus(
        stt=models.stt,
        llm=models.llm,
        lightweight=models.lightweight,
        voices=models.voices,
        downshifted=bool(downshift and downshift.downshifted),
        downshift_reason=downshift.reason if downshift and downshift.downshifted else "",
    )

def scheduler_message(event: SchedulerEvent) -> str:
    """What the status bar says about a scheduler event ("" for the ones the user need not see)."""

    def tr(text: str) -> str:
        return QCoreApplication.translate("SchedulerStatus", text)

    if isinstance(event, DownshiftChanged):
        if event.downshifted:
            return tr("Answering with the lighter model {model}: {reason}").format(
                model=event.model_id, reason=event.reason
            )
        return tr("Back to the main model {model}").format(model=event.model_id)
    if isinstance(event, LeaseRevoked):
        return tr("{holder} ran for {seconds:.0f} s, past its time limit, and was stopped").format(
            holder=event.holder, seconds=event.held_s
        )
    if isinstance(event, MoEDisabled):
        return tr("The large model is switched off until restart: {reason}").format(reason=event.reason)
    return ""
