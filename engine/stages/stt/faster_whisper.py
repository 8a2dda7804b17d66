"""Speech recognition with faster-whisper (CTranslate2), restricted to Russian and English.

Settings measured on this project's machines (STACK.md): a single temperature of 0 (the default
fallback ladder turned short clips into slow garbage), our own VAD (Whisper's is off), no
conditioning on previous text, and the language either given or chosen between ru and en only.
When the detector is unsure, `decide_language` prefers a language the caller knows (the previous
turn's, else the interface's) over Whisper's guess: on short Russian clips Whisper leans to English.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from engine.audio.resample import to_whisper_input
from engine.audio.types import Audio
from engine.errors import AudioInputError, ErrorCode, ModelUnavailableError, SovaError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.base import SpokenLanguage, Transcript
from engine.stages.options import STTOptions, options_for
from engine.stages.stt.cache import TranscriptCache

log = logging.getLogger(__name__)

# en first: on a tie (neither listed) max() keeps the first
_LANGUAGES: tuple[SpokenLanguage, ...] = ("en", "ru")


#: why a language was chosen: given by the caller, detected, or the fallback of an unsure detection
LanguageReason = Literal["chosen", "detected", "previous", "interface"]

#: below this margin between P(ru) and P(en) the detector is unsure. Measured with Whisper base on real
#: speech (docs/benchmarks.md, "Speech recognition on real speech"): whole utterances, all detected right,
#: clear it (the lowest margin was 0.82); on only the first second of 120 Russian sentences it flags 8 of
#: the 10 wrong guesses (and 16 of the 110 right ones); the next wrong one sits at 0.57, where 38 would be
UNSURE_MARGIN = 0.25
#: Whisper hears a Russian speaker as Ukrainian or Belarusian at times: that is no vote for English
_HEARD_AS_RUSSIAN = ("ru", "uk", "be")

#: Whisper tokens per second of speech that no real speaker exceeds (Russian runs ~8, English ~5)
MAX_TOKENS_PER_S = 15


def max_tokens_for(duration_s: float) -> int:
    """A cap on the transcript of `duration_s` seconds (one 30 s window at most: Whisper's own limit)."""
    return min(440, 16 + int(MAX_TOKENS_PER_S * min(duration_s, 30.0)))


def resolve_device(device: str, cuda_devices: int) -> str:
    """'auto' -> 'cuda' when a CUDA device exists, else 'cpu'; explicit choices are kept."""
    if device == "auto":
        return "cuda" if cuda_devices > 0 else "cpu"
    return device


def resolve_compute_type(compute_type: str, device: str) -> str:
    """'auto' -> float16 on CUDA, int8 on the CPU; explicit choices are kept."""
    if compute_type == "auto":
        return "float16" if device == "cuda" else "int8"
    return compute_type


def pick_language(probabilities: Mapping[str, float]) -> tuple[SpokenLanguage, float]:
    """The more likely of ru and en, with its probability (en when neither is listed)."""
    best: SpokenLanguage = max(_LANGUAGES, key=lambda lang: probabilities.get(lang, 0.0))
    return best, float(probabilities.get(best, 0.0))


def russian_and_english(probabilities: Mapping[str, float]) -> tuple[float, float]:
    """P(ru) (with P(uk) and P(be) counted as Russian) and P(en), from Whisper's `probabilities`."""
    return sum(probabilities.get(lang, 0.0) for lang in _HEARD_AS_RUSSIAN), probabilities.get("en", 0.0)


def decide_language(
    probabilities: Mapping[str, float],
    previous: SpokenLanguage | None,
    fallback: SpokenLanguage | None,
    threshold: float = UNSURE_MARGIN,
) -> tuple[SpokenLanguage, LanguageReason]:
    """Russian or English, and why, from the detector's `probabilities` (Whisper's, all languages).

    Sure (P(ru) and P(en) differ by `threshold` or more; P(uk) and P(be) count as Russian): the likelier.
    Unsure: the `previous` turn's language, else `fallback` (the interface's), else the likelier.
    """
    p_ru, p_en = russian_and_english(probabilities)
    best: SpokenLanguage = "ru" if p_ru > p_en else "en"
    if abs(p_ru - p_en) >= threshold - 1e-9:  # 0.6 - 0.35 is 0.2499...
        return best, "detected"
    if previous is not None:
        return previous, "previous"
    if fallback is not None:
        return fallback, "interface"
    return best, "detected"


class WhisperRecognizer:
    """A loaded Whisper model; `transcribe` blocks (run it in an executor lane)."""

    def __init__(
        self,
        model: Any,
        *,
        model_id: str,
        english_only: bool,
        beam_size: int = 1,
        max_audio_seconds: float | None = None,
        cache: TranscriptCache | None = None,
    ) -> None:
        self._model = model
        self.model_id = model_id
        self.english_only = english_only
        self.beam_size = beam_size
        self.max_audio_seconds = max_audio_seconds
        self.cache = cache

    def language_probabilities(self, audio: Audio) -> dict[str, float]:
        """Whisper's probability of each language for the first 30 s of `audio` (pass the speech only)."""
        if self.english_only:
            return {"en": 1.0}
        samples = to_whisper_input(audio).samples
        if len(samples) == 0:
            return {}
        try:
            _, _, all_probs = self._model.detect_language(audio=samples)
        except Exception as exc:
            raise StageError("stt", f"language detection failed: {exc}") from exc
        return {str(lang): float(p) for lang, p in all_probs}

    def detect_language(self, audio: Audio) -> tuple[SpokenLanguage, float]:
        """The likelier of ru and en for `audio`, with Whisper's probability for it."""
        return pick_language(self.language_probabilities(audio))

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        """Text of `audio` in `language` (None: the likelier of ru/en); "" when nothing was said."""
        if self.max_audio_seconds is not None and audio.duration_s > self.max_audio_seconds:
            raise AudioInputError(
                f"the recording is {audio.duration_s:.1f} s long; the limit is {self.max_audio_seconds:g} s",
                code=ErrorCode.AUDIO_TOO_LONG,
                hint="speak in shorter turns, or raise `[audio.stt] max_audio_seconds` in your config.toml",
            )
        pcm = to_whisper_input(audio)
        if self.english_only:
            if language not in (None, "en"):
                log.warning("%s understands English only; transcribing as English", self.model_id)
            language = "en"
        if self.cache is not None:
            hit = self.cache.get(self.model_id, language, pcm)
            if hit is not None:
                return hit
        if len(pcm.samples) == 0:
            return Transcript("", language or "en", 0.0, 0.0, self.model_id)
        try:
            result = self._run(pcm, language)
        except SovaError:
            raise
        except Exception as exc:
            raise StageError("stt", f"recognition failed: {exc}") from exc
        if self.cache is not None:
            self.cache.put(language, pcm, result)
        return result

    def _run(self, pcm: Audio, language: SpokenLanguage | None) -> Transcript:
        if language is None:
            chosen, probability = self.detect_language(pcm)
        else:
            chosen, probability = language, 1.0
        segments, _info = self._model.transcribe(
            np.ascontiguousarray(pcm.samples),
            language=chosen,
            task="transcribe",
            beam_size=self.beam_size,
            temperature=0.0,
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=True,
            # with one temperature there is no fallback: a decoder caught in a loop ("и веще, и веще, ...")
            # would run to Whisper's 448-token limit; no one says more than this many tokens a second
            max_new_tokens=max_tokens_for(pcm.duration_s),
        )
        # the generator is lazy: decoding happens here, inside the caller's executor lane
        text = "".join(segment.text for segment in segments).strip()
        return Transcript(text, chosen, probability, pcm.duration_s, self.model_id)

    def close(self) -> None:
        """Release the model (and the cache's database)."""
        self._model = None
        if self.cache is not None:
            self.cache.close()


def load_model(provider: ModelProvider, options: STTOptions | None = None) -> WhisperRecognizer:
    """Load the CTranslate2 model folder at `provider.path` with `options` (see `STTOptions`; None: defaults)."""
    opts = options_for(STTOptions, options, provider.manifest.id)
    import ctranslate2
    from faster_whisper import WhisperModel

    device = resolve_device(str(opts.device), ctranslate2.get_cuda_device_count())
    compute_type = resolve_compute_type(str(opts.compute_type), device)
    try:
        model = WhisperModel(
            str(provider.path),
            device=device,
            compute_type=compute_type,
            cpu_threads=int(opts.threads),
            local_files_only=True,
        )
    except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError for bad files and devices
        hint = (
            'set `[audio.stt] device = "cpu"` in your config.toml'
            if device == "cuda"
            else "reinstall it with `sova models install-defaults` or `sova models verify`"
        )
        raise ModelUnavailableError(
            f"cannot load {provider.manifest.id} from {provider.path} ({device}, {compute_type}): {exc}", hint=hint
        ) from exc
    english_only = list(provider.manifest.languages) == ["en"] or not model.model.is_multilingual
    max_seconds = opts.max_audio_seconds
    cache = opts.cache
    if not isinstance(cache, TranscriptCache):
        cache = TranscriptCache(Path(opts.cache_dir)) if opts.cache_dir else None
    return WhisperRecognizer(
        model,
        model_id=provider.manifest.id,
        english_only=english_only,
        beam_size=int(opts.beam_size),
        max_audio_seconds=float(max_seconds) if max_seconds is not None else None,
        cache=cache,
    )
