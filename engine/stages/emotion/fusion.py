"""Fusing the text's emotion with the voice's arousal (seed 5): a pure decision, tested by tables."""

from __future__ import annotations

from dataclasses import replace

from engine.stages.base import EmotionResult

#: below this text confidence the voice may overrule the label...
LOW_TEXT_CONFIDENCE = 0.35
#: ...when the voice is at least this sure...
STRONG_VOICE_CONFIDENCE = 0.4
#: ...and at least this far from neutral arousal
STRONG_VOICE_AROUSAL = 0.5
#: valence beyond which the text's polarity picks the voice-driven label
VALENCE_SIDE = 0.2


def prefer_llm(text: EmotionResult, llm: EmotionResult | None) -> EmotionResult:
    """Combine an unsure text result with the LLM's label (seed 5's fallback).

    The LLM's label wins; valence and arousal average the two, keeping the nuance of the text's
    probability-weighted values. When both agree, the agreement earns the higher of the two confidences.
    """
    if llm is None:
        return text
    confidence = max(text.confidence, llm.confidence) if llm.label == text.label else llm.confidence
    return EmotionResult(
        label=llm.label,
        valence=(text.valence + llm.valence) / 2,
        arousal=(text.arousal + llm.arousal) / 2,
        confidence=confidence,
        source=llm.source,
    )


def _voice_label(valence: float, arousal: float) -> str:
    """Pick the basic label a strongly aroused (or calm) voice suggests, given the text's valence."""
    if arousal > 0:
        if valence <= -VALENCE_SIDE:
            return "anger"
        return "joy" if valence >= VALENCE_SIDE else "surprise"
    return "sadness" if valence <= -VALENCE_SIDE else "neutral"


def fuse(text: EmotionResult, voice: tuple[float, float] | None) -> EmotionResult:
    """Mix the voice's (arousal, confidence) into `text`.

    Arousal is the confidence-weighted mean of both; valence stays the text's (the voice cues say
    how activated the speaker is, not whether the feeling is good or bad). The label stays the
    text's unless the text is unsure and the voice is clearly aroused or calm. Without voice
    evidence the text result comes back unchanged.
    """
    if voice is None or voice[1] <= 0.0:
        return text
    voice_arousal, voice_conf = max(-1.0, min(1.0, voice[0])), min(1.0, voice[1])
    source = "text+voice" if text.source == "text" else f"{text.source}+voice"
    weight = text.confidence + voice_conf
    arousal = (text.confidence * text.arousal + voice_conf * voice_arousal) / weight
    label, confidence = text.label, text.confidence
    if (
        text.confidence < LOW_TEXT_CONFIDENCE
        and voice_conf >= STRONG_VOICE_CONFIDENCE
        and abs(voice_arousal) >= STRONG_VOICE_AROUSAL
    ):
        suggested = _voice_label(text.valence, voice_arousal)
        if suggested != text.label:
            label = suggested
            # as sure as the voice is, scaled by how clear its cue is; never above the threshold it beat
            confidence = min(LOW_TEXT_CONFIDENCE, voice_conf * abs(voice_arousal))
    return replace(text, label=label, arousal=max(-1.0, min(1.0, arousal)), confidence=confidence, source=source)
