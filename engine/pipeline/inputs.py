"""What a turn starts from: a typed question, or a recording (with its hold-time transcription)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.audio.types import Audio
from engine.events import TurnSource
from engine.pipeline.listening import Listening


@dataclass(frozen=True)
class TextInput:
    """A typed question."""

    text: str
    started_at: float = field(default_factory=time.perf_counter)

    @property
    def source(self) -> TurnSource:
        """Where the question came from."""
        return "text"


@dataclass(frozen=True)
class AudioInput:
    """A spoken question; `started_at` is when the user stopped (key release), perf_counter seconds.

    `listening` is the transcription that ran while the key was held (`Assistant.listen()`), if any.
    """

    audio: Audio
    started_at: float = field(default_factory=time.perf_counter)
    listening: Listening | None = None

    @property
    def source(self) -> TurnSource:
        """Where the question came from."""
        return "audio"


TurnInput = TextInput | AudioInput
