"""One voice per sentence: the sentence's script picks the language, the language picks the voice."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from engine.audio.types import Audio
from engine.errors import StageError
from engine.stages.base import SpeechSynthesizer, SpokenLanguage
from engine.stages.tts.language import detect_language

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceChoice:
    """Which voice speaks a sentence, and whether it is a stand-in for a missing language."""

    requested: SpokenLanguage  # the sentence's language (detected, else the default)
    language: SpokenLanguage  # the language of the voice that speaks it
    synthesizer: SpeechSynthesizer

    @property
    def fallback(self) -> bool:
        """True when no voice for `requested` exists and another language's voice stands in."""
        return self.requested != self.language


class VoiceRouter:
    """Routes each text to the voice of its language; audio keeps that voice's own sample rate."""

    def __init__(self, voices: Mapping[SpokenLanguage, SpeechSynthesizer]) -> None:
        if not voices:
            raise StageError("tts", "no voice is configured", hint="set [audio.tts] en and/or ru in config.toml")
        self._voices = dict(voices)

    @property
    def voices(self) -> Mapping[SpokenLanguage, SpeechSynthesizer]:
        """The voices by language."""
        return dict(self._voices)

    def choose(self, text: str, default_language: SpokenLanguage) -> VoiceChoice:
        """Pick the voice for `text`: by its script, else `default_language`; another if that one is missing."""
        requested = detect_language(text) or default_language
        voice = self._voices.get(requested)
        if voice is not None:
            return VoiceChoice(requested, requested, voice)
        # Prefer the default language's voice as the stand-in, then any voice (in mapping order).
        language = default_language if default_language in self._voices else next(iter(self._voices))
        choice = VoiceChoice(requested, language, self._voices[language])
        _LOG.warning("no %s voice: %s (%s) speaks it instead", requested, choice.synthesizer.model_id, language)
        return choice

    def voice_for(self, text: str, default_language: SpokenLanguage) -> tuple[SpokenLanguage, SpeechSynthesizer]:
        """(language of the voice that will speak `text`, that voice), so callers can record the model."""
        choice = self.choose(text, default_language)
        return choice.language, choice.synthesizer

    def synthesize(self, text: str, default_language: SpokenLanguage) -> Audio:
        """Speak `text` with the chosen voice, at that voice's sample rate (no resampling)."""
        return self.choose(text, default_language).synthesizer.synthesize(text)

    def synthesize_stream(self, text: str, default_language: SpokenLanguage) -> Iterator[Audio]:
        """Chunks of `text` from the chosen voice: per sentence where the voice streams, else whole."""
        voice = self.choose(text, default_language).synthesizer
        stream = getattr(voice, "synthesize_stream", None)
        if callable(stream):
            yield from stream(text)
            return
        audio = voice.synthesize(text)
        if len(audio.samples):
            yield audio
