"""What each pipeline stage offers, as Protocols, and the typed results they return.

Backends implement these; the pipeline depends only on them, so a fake for an orchestration
test and a real model are interchangeable. Every method here may block: callers run them in an
executor lane, never on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from engine.audio.types import Audio

SpokenLanguage = Literal["ru", "en"]


@dataclass(frozen=True)
class SpeechSegment:
    """A stretch of speech found by the VAD, in seconds from the start of the audio."""

    start_s: float
    end_s: float


@dataclass(frozen=True)
class Transcript:
    """What the recogniser heard."""

    text: str
    language: SpokenLanguage
    language_probability: float
    audio_duration_s: float
    model_id: str


@dataclass(frozen=True)
class EmotionResult:
    """Seed 5: valence/arousal in [-1, 1] plus a basic label with its confidence in [0, 1]."""

    label: str
    valence: float
    arousal: float
    confidence: float
    source: str  # "text", "voice", "text+voice", "llm", "classifier"


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class SamplingParams:
    """How to sample (seed 3.2 defaults)."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    json_schema: dict[str, object] | None = field(default=None, hash=False)


@runtime_checkable
class VoiceActivityDetector(Protocol):
    """Finds speech in audio."""

    def speech_probabilities(self, audio: Audio) -> npt.NDArray[np.float32]:
        """Speech probability per frame (`frame_s` seconds each) of 16 kHz audio."""
        ...

    @property
    def frame_s(self) -> float:
        """Seconds per probability frame."""
        ...


@runtime_checkable
class SpeechRecognizer(Protocol):
    """Audio to text."""

    model_id: str

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        """Transcribe 16 kHz mono audio; `language` None means detect (ru or en only)."""
        ...


@runtime_checkable
class LanguageModel(Protocol):
    """Streams a chat reply."""

    model_id: str

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model's vocabulary."""
        ...

    @property
    def context_length(self) -> int:
        """Tokens the loaded context holds (prompt + reply)."""
        ...

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Yield text pieces as they are generated; stop early when `cancel` is set."""
        ...


@runtime_checkable
class SpeechSynthesizer(Protocol):
    """Text to audio, for one voice."""

    model_id: str
    sample_rate: int

    def synthesize(self, text: str) -> Audio:
        """Speak `text` (a sentence or a few); returns audio at `sample_rate`."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Text to normalised vectors."""

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        """(len(texts), dim) L2-normalised embeddings."""
        ...


@runtime_checkable
class EmotionClassifier(Protocol):
    """Text (and optionally the voice) to an emotion."""

    def classify(self, text: str, audio: Audio | None = None) -> EmotionResult:
        """The emotion of an utterance."""
        ...
