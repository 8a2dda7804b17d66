"""Voices measured by round trip: synthesise fixed sentences, hear them back with Whisper base, score the words.

For each installed voice of the languages asked for, every sentence of that language's list is
synthesised (the time it takes is the time to first audio: Sova speaks a reply sentence by sentence),
then transcribed by faster-whisper base (language forced, temperature 0), and the word error rate is
taken over all the sentences together. The voice `[audio.tts] <language> = "auto"` picks is marked as
the default and checked against issue 13's targets.

    python -m engine.bench.voices                         # the Russian voices
    python -m engine.bench.voices --languages en,ru --json /tmp/voices.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

import numpy as np

from engine.audio.resample import WHISPER_RATE, to_whisper_input
from engine.audio.types import Audio
from engine.bench.stats import machine, summarize
from engine.bench.wer import edit_distance
from engine.errors import SovaError
from engine.registry.registry import Registry
from engine.stages.base import SpeechRecognizer, SpeechSynthesizer, SpokenLanguage

ROOT = Path(__file__).resolve().parents[2]

#: issue 13's targets for the default Russian voice
TARGET_WER = 0.25
TARGET_FIRST_AUDIO_MS = 300.0

#: everyday sentences, numbers written as words (the text normaliser's work is not measured here),
#: no em dashes; fixed, so runs compare
SENTENCES: dict[SpokenLanguage, tuple[str, ...]] = {
    "ru": (
        "Сегодня на улице тепло и солнечно.",
        "Напомни мне позвонить маме в семь часов вечера.",
        "Какая погода будет завтра утром?",
        "Я купил два килограмма яблок и батон хлеба.",
        "Поезд отправляется в девять тридцать с третьей платформы.",
        "Включи, пожалуйста, спокойную музыку.",
        "До конца рабочего дня осталось три часа.",
        "Мой брат живёт в Петербурге уже пять лет.",
        "Сколько стоит билет до Москвы?",
        "Поставь будильник на шесть утра.",
        "В нашем доме двенадцать этажей и два лифта.",
        "Спасибо, всё было очень вкусно.",
        "Завтра у меня важная встреча с клиентом.",
        "Переведи это предложение на английский язык.",
        "Кошка спит на диване рядом с окном.",
        "Магазин открывается в восемь часов утра.",
        "Давай встретимся у входа в парк через двадцать минут.",
        "Я прочитал эту книгу за одну неделю.",
        "Температура воздуха сегодня плюс восемнадцать градусов.",
        "Не забудь купить молоко по дороге домой.",
        "Как называется столица Франции?",
        "Мы поедем в отпуск в конце июля.",
        "В холодильнике осталось четыре яйца.",
        "Расскажи мне короткую смешную историю.",
    ),
    "en": (
        "The weather is warm and sunny today.",
        "Remind me to call my mother at seven in the evening.",
        "What will the weather be like tomorrow morning?",
        "I bought two kilograms of apples and a loaf of bread.",
        "The train leaves at nine thirty from platform three.",
        "Please play some quiet music.",
        "There are three hours left until the end of the working day.",
        "My brother has lived in London for five years.",
        "How much is a ticket to Manchester?",
        "Set an alarm for six in the morning.",
        "Our building has twelve floors and two lifts.",
        "Thank you, everything was delicious.",
        "Tomorrow I have an important meeting with a client.",
        "Translate this sentence into Russian.",
        "The cat is sleeping on the sofa next to the window.",
        "The shop opens at eight in the morning.",
        "Let's meet at the park entrance in twenty minutes.",
        "I read this book in one week.",
        "The air temperature today is eighteen degrees.",
        "Don't forget to buy milk on the way home.",
        "What is the capital of France?",
    ),
}


def _spelled(token: str, language: str | None) -> list[str]:
    if language is None or not token.isdigit():
        return [token]
    from num2words import num2words  # type: ignore[import-untyped]

    return re.findall(r"\w+", num2words(int(token), lang=language))


def words(text: str, language: str | None = None) -> list[str]:
    """Lower-cased words without punctuation; "ё" counts as "е" (Whisper writes either).

    With `language`, a number in digits counts as its words: Whisper writes "7 часов" for "семь часов",
    which is no fault of the voice (the cardinal's plain form, so "1 неделю" for "одну неделю" stays
    an error).
    """
    tokens = re.findall(r"\w+(?:'\w+)?", text.lower().replace("ё", "е"))
    return [w for t in tokens for w in _spelled(t, language)]


def word_errors(reference: str, hypothesis: str, language: str | None = None) -> int:
    """Word edit distance (substitutions, deletions, insertions) between two texts split by `words`."""
    return edit_distance(words(reference, language), words(hypothesis, language))


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str], language: str | None = None) -> float:
    """Word errors over all pairs divided by the reference words (0 for no reference words)."""
    if len(references) != len(hypotheses):
        raise ValueError("one hypothesis per reference")
    total = sum(len(words(r, language)) for r in references)
    errors = sum(word_errors(r, h, language) for r, h in zip(references, hypotheses, strict=True))
    return errors / total if total else 0.0


@dataclass(frozen=True)
class Heard:
    """One sentence: said, heard back, and how long the voice took."""

    text: str
    heard: str
    synth_ms: float
    audio_s: float


@dataclass(frozen=True)
class VoiceResult:
    """One voice's round trip over its language's sentences."""

    model_id: str
    language: str
    default: bool  # the voice `auto` picks for the language
    sentences: int
    wer: float  # numbers Whisper wrote in digits count as their words
    wer_raw: float  # digits count as errors
    first_audio_ms_median: float
    first_audio_ms_q1: float
    first_audio_ms_q3: float
    first_audio_ms_max: float
    real_time_factor: float  # synthesis time / audio time
    samples: tuple[Heard, ...]


def measure_voice(
    voice: SpeechSynthesizer, language: SpokenLanguage, sentences: Sequence[str], stt: SpeechRecognizer, default: bool
) -> VoiceResult:
    """Synthesise every sentence (timed), then transcribe each with `language` forced."""
    voice.synthesize(sentences[0])  # warm-up: first calls allocate
    spoken: list[tuple[str, Audio, float]] = []
    for text in sentences:
        start = time.perf_counter()
        audio = voice.synthesize(text)
        spoken.append((text, audio, (time.perf_counter() - start) * 1000))
    samples = []
    for text, audio, ms in spoken:
        pcm = to_whisper_input(audio)
        # a little silence first, as a microphone would give: Whisper misses a word that starts at once
        padded = Audio(np.concatenate([np.zeros(WHISPER_RATE // 4, np.float32), pcm.samples]), WHISPER_RATE)
        samples.append(Heard(text, stt.transcribe(padded, language).text, ms, audio.duration_s))
    times = summarize([s.synth_ms for s in samples])
    return VoiceResult(
        model_id=voice.model_id,
        language=language,
        default=default,
        sentences=len(samples),
        wer=word_error_rate([s.text for s in samples], [s.heard for s in samples], language),
        wer_raw=word_error_rate([s.text for s in samples], [s.heard for s in samples]),
        first_audio_ms_median=times.median,
        first_audio_ms_q1=times.q1,
        first_audio_ms_q3=times.q3,
        first_audio_ms_max=times.max,
        real_time_factor=sum(s.synth_ms for s in samples) / 1000 / max(1e-9, sum(s.audio_s for s in samples)),
        samples=tuple(samples),
    )


def _report(result: VoiceResult) -> str:
    mark = " (default)" if result.default else ""
    line = (
        f"{result.language} {result.model_id + mark:26} WER {result.wer:6.1%} (digits as errors {result.wer_raw:.1%}) "
        f"over {result.sentences} sentences; "
        f"first audio median {result.first_audio_ms_median:5.0f} ms (q1 {result.first_audio_ms_q1:.0f}, "
        f"q3 {result.first_audio_ms_q3:.0f}, max {result.first_audio_ms_max:.0f}); RTF {result.real_time_factor:.3f}"
    )
    if result.default and result.language == "ru":
        met = result.wer <= TARGET_WER and result.first_audio_ms_median <= TARGET_FIRST_AUDIO_MS
        line += f"\n   targets (WER <= {TARGET_WER:.0%}, first audio <= {TARGET_FIRST_AUDIO_MS:.0f} ms): "
        line += "met" if met else "MISSED"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every installed voice of the languages asked for; print one line each (and JSON when asked)."""
    from engine.pipeline.stages import auto_voice, voice_options
    from engine.stages.options import STTOptions, TTSOptions
    from engine.stages.stt.faster_whisper import load_model as load_whisper

    parser = argparse.ArgumentParser(prog="python -m engine.bench.voices", description=__doc__.split("\n")[0])
    parser.add_argument("--languages", default="ru", help="comma-separated: ru, en")
    parser.add_argument("--voices", default="", help="only these voice ids (comma-separated)")
    parser.add_argument("--stt", default="faster-whisper-base", help="the recogniser that hears the voices")
    parser.add_argument("--show", action="store_true", help="print every sentence and what was heard")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    asked = [lang for lang in args.languages.split(",") if lang]
    unknown = [lang for lang in asked if lang not in SENTENCES]
    if unknown or not asked:
        parser.error(f"--languages: give some of {', '.join(SENTENCES)} (not {', '.join(unknown) or 'nothing'})")
    languages = [cast(SpokenLanguage, lang) for lang in asked]
    only = {v for v in args.voices.split(",") if v}

    state = Path(tempfile.mkdtemp(prefix="sova-bench-state-"))
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", state)
    stt = load_whisper(registry.get(args.stt), STTOptions(device="cpu", threads=os.cpu_count() or 1))
    env = machine()
    results: list[VoiceResult] = []
    for lang in languages:
        default = auto_voice(lang, voice_options(registry, lang)).model_id
        for provider in registry.select(kind="tts", language=lang):
            model_id = provider.manifest.id
            if (only and model_id not in only) or not provider.status().installed:
                continue
            try:
                voice = provider.load(TTSOptions())
            except SovaError as exc:
                print(f"{lang} {model_id}: cannot load: {exc}", file=sys.stderr)
                continue
            try:
                result = measure_voice(voice, lang, SENTENCES[lang], stt, default=model_id == default)
            finally:
                provider.unload()
            results.append(result)
            print(_report(result), flush=True)
            if args.show:
                for s in result.samples:
                    print(f"    {s.synth_ms:5.0f} ms  {s.text}\n             -> {s.heard}")
    if args.json:
        data: dict[str, object] = {
            "command": "python -m engine.bench.voices " + " ".join(argv or sys.argv[1:]),
            "environment": env,
            "stt": args.stt,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
