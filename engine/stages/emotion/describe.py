"""An emotion in words, for prompts and notes: pure, no model (seed 5's valence/arousal)."""

from __future__ import annotations

from collections.abc import Mapping

from engine.stages.base import EmotionResult, SpokenLanguage

#: emotion labels and tone words as a Russian prompt says them
RU_WORDS: Mapping[str, str] = {
    "joy": "радость",
    "sadness": "грусть",
    "anger": "злость",
    "fear": "страх",
    "surprise": "удивление",
    "neutral": "спокойствие",
    "positive": "хорошее",
    "negative": "плохое",
    "high": "высокая",
    "low": "низкая",
    "moderate": "умеренная",
}


def describe_emotion(emotion: EmotionResult, language: SpokenLanguage = "en") -> str:
    """Valence and arousal in words, e.g. 'negative mood, high energy' ('настроение плохое, ...' in Russian)."""
    mood = "positive" if emotion.valence > 0.3 else "negative" if emotion.valence < -0.3 else "neutral"
    energy = "high" if emotion.arousal > 0.3 else "low" if emotion.arousal < -0.3 else "moderate"
    if language == "ru":
        ru_mood = "ровное" if mood == "neutral" else RU_WORDS[mood]
        return f"настроение {ru_mood}, энергия {RU_WORDS[energy]}"
    return f"{mood} mood, {energy} energy"
