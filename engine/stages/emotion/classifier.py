"""The emotion stage (seed 5): text classifier, LLM fallback when unsure, voice cues, fused."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from engine.audio.types import Audio
from engine.config import EmotionSection
from engine.errors import ModelUnavailableError, SovaError
from engine.registry.registry import Registry
from engine.stages.base import Embedder, EmotionClassifier, EmotionResult, LanguageModel
from engine.stages.emotion.fusion import fuse, prefer_llm
from engine.stages.emotion.llm_fallback import classify_with_llm
from engine.stages.emotion.prototypes import PrototypeEmotionClassifier
from engine.stages.emotion.voice import voice_arousal, voice_features
from engine.stages.options import ClassifierOptions

log = logging.getLogger(__name__)

PROTOTYPES = "prototypes"


class EmotionStage:
    """An `EmotionClassifier`: text first, the lightweight LLM below `min_confidence`, then the voice."""

    def __init__(
        self,
        text_classifier: EmotionClassifier,
        *,
        llm: LanguageModel | None = None,
        min_confidence: float = 0.35,
        use_voice: bool = True,
        label_values: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.text_classifier = text_classifier
        self.llm = llm
        self.min_confidence = min_confidence
        self.use_voice = use_voice
        if label_values is None and isinstance(text_classifier, PrototypeEmotionClassifier):
            label_values = {n: (lab.valence, lab.arousal) for n, lab in text_classifier.labels.items()}
        self._label_values = label_values

    def classify(
        self,
        text: str,
        audio: Audio | None = None,
        words: int | None = None,
        cancel: threading.Event | None = None,
        *,
        use_llm: bool = True,
    ) -> EmotionResult:
        """Classify an utterance: `text` is its transcript, `audio` its recording (optional).

        `words` is the transcript's word count for the speaking rate (default: counted from `text`).
        `use_llm=False` skips the LLM fallback (the turn's latency-critical first pass).
        """
        result = self.text_classifier.classify(text)
        if use_llm and self.llm is not None and self.wants_llm(result, text):
            result = prefer_llm(result, self._ask_llm(self.llm, text, cancel))
        if self.use_voice and audio is not None and len(audio.samples) > 0:
            count = words if words is not None else len(text.split())
            result = fuse(result, voice_arousal(voice_features(audio, count or None)))
        return result

    def wants_llm(self, result: EmotionResult, text: str) -> bool:
        """Whether `result` is unsure enough for the lightweight LLM's opinion (seed 5's fallback)."""
        return result.confidence < self.min_confidence and self.llm is not None and bool(text.strip())

    def _ask_llm(self, llm: LanguageModel, text: str, cancel: threading.Event | None) -> EmotionResult | None:
        try:
            return classify_with_llm(llm, text, self._label_values, cancel)
        except SovaError as exc:
            # the emotion only tunes the reply's tone: a failed fallback must not fail the turn
            log.warning("emotion: LLM fallback failed, keeping the text result: %s", exc)
            return None


def build_emotion_stage(
    section: EmotionSection,
    registry: Registry,
    *,
    embedder: Embedder | None = None,
    llm: LanguageModel | None = None,
    options: ClassifierOptions | None = None,
) -> EmotionStage:
    """Build the stage `[classification.emotion]` asks for: the built-in prototypes or a classifier.

    `embedder` is required for the prototypes; `llm` (the lightweight model) enables the fallback;
    `options` go to a classifier model's loader (None: its defaults).
    """
    text_classifier: EmotionClassifier
    if section.model == PROTOTYPES:
        if embedder is None:
            raise ModelUnavailableError(
                "the built-in emotion prototypes need the embeddings model, which is not loaded",
                hint="install it with `sova models install-defaults`, or set [classification.emotion] model",
            )
        text_classifier = PrototypeEmotionClassifier(embedder)
    else:
        provider = registry.get(section.model)
        if provider.manifest.kind != "classifier":
            raise ModelUnavailableError(
                f"[classification.emotion] model {section.model!r} is a {provider.manifest.kind} model, "
                "not a classifier",
                hint=f"use {PROTOTYPES!r} or the id of a manifest with kind: classifier",
            )
        text_classifier = provider.load(options)
    return EmotionStage(text_classifier, llm=llm, min_confidence=section.min_confidence)
