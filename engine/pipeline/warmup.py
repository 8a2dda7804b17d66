"""Warming the models at start, so the first turn is as fast as the later ones.

The first call into each backend allocates its buffers and compiles its kernels (and the first
sentence with a number would import the Russian text normaliser), and the LLM's
first prompt has to read the whole system message. Doing that once at start (with the real system
prompt of the likely reply language) leaves the KV cache holding that prefix, exactly as a previous
turn would have: the first question then pays only for its own words.
"""

from __future__ import annotations

import numpy as np

from engine.audio.types import Audio
from engine.pipeline.prompt import Prompts
from engine.pipeline.stages import Stages
from engine.stages.base import LanguageModel, SamplingParams, SpokenLanguage
from engine.stages.tts import normalise
from engine.stages.vad.segmenter import VadParams

_SILENCE = Audio(np.zeros(16000, np.float32), 16000)


def prime_llm(llm: LanguageModel, prompts: Prompts, language: SpokenLanguage) -> None:
    """Leave `llm`'s cache holding the system prompt of `language` (one generated token)."""
    prompt = prompts.build((), "Hi.", language=language)
    for _ in llm.stream_chat(prompt.messages, SamplingParams(temperature=0.0, max_tokens=1)):
        pass


def warm_recognition(stages: Stages, params: VadParams) -> None:
    """One pass of the VAD and of Whisper over a second of silence (the result is thrown away)."""
    stages.vad.speech_segments(_SILENCE, params)
    stages.stt.transcribe(_SILENCE, "en")


def warm_voices(stages: Stages) -> None:
    """Each voice speaks one short word; with a Russian voice, the Russian text normaliser is imported first.

    (ru-normalizr takes about a third of a second to import: the first sentence with a number would pay it.)
    """
    if "ru" in stages.tts.voices:
        normalise.prepare()
    for language, voice in stages.tts.voices.items():
        voice.synthesize("Да." if language == "ru" else "Yes.")
