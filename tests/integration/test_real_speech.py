"""`language = "auto"` and Whisper base on real human speech that Debian ships (no synthetic voices).

Russian: 20 of festvox-ru's 620 read sentences (of the shorter ones). English: pocketsphinx-testdata's
5 LibriVox sentences (transcribed), its card phrases and commands, and ALSA's speaker-test words
(detection). tests/harness/real_speech.py provides them (installed, or fetched once into .cache/).

Bounds, from `python -m engine.bench.speech` (docs/benchmarks.md, "Speech recognition on real speech"):
detection was right on every whole recording measured (62 of 62), so >= 95% leaves one miss in 20; the
Russian WER of these 20 sentences measured 12% (18% over sentences of all lengths), bounded at 25%; the
LibriVox WER 5.6%, bounded at 15%.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.audio.types import Audio
from engine.bench import real_speech
from engine.bench.speech import speech_of
from engine.bench.wer import corpus_word_error_rate
from engine.pipeline.listening import LanguageHint, transcribe_speech
from engine.stages.base import SpokenLanguage
from engine.stages.stt.faster_whisper import WhisperRecognizer, decide_language
from engine.stages.vad.segmenter import VadParams
from engine.stages.vad.silero import SileroVAD

pytestmark = [pytest.mark.models, pytest.mark.slow]

RU_COUNT = 20
#: the test takes the shorter read sentences (a third of them; 5-7 s): closer to a spoken question, and
#: quicker to transcribe (the benchmark spreads over all of them)
RU_MAX_WORDS = 12
#: the start of each Russian recording, detected alone: a short question, where Whisper leans to English
SHORT_S = 1.0


@dataclass(frozen=True)
class Result:
    id: str
    language: SpokenLanguage
    detected: SpokenLanguage
    reference: str | None
    text: str  # in the true language


def transcribed(recording: real_speech.Recording) -> bool:
    """Whether the test transcribes it (the WER's recordings); the others are for detection only."""
    return recording.text is not None and (recording.language == "ru" or recording.id.startswith("librivox/"))


def hear(recording: real_speech.Recording, vad: SileroVAD, stt: WhisperRecognizer) -> Result:
    """What a spoken turn with `auto` does (VAD, detection on the speech kept, STT); the text in the true language."""
    speech = speech_of(recording.audio(), vad, VadParams())
    if not transcribed(recording):
        detected, _ = decide_language(stt.language_probabilities(speech), None, None)
        return Result(recording.id, recording.language, detected, None, "")
    assert recording.text is not None
    transcript, _reason = transcribe_speech(stt, speech, None, LanguageHint())
    text = transcript.text
    if transcript.language != recording.language:  # the WER is measured with the language known
        text = stt.transcribe(speech, recording.language).text
    return Result(recording.id, recording.language, transcript.language, recording.text, text)


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[real_speech.Recording, ...]]:
    try:
        return {
            "ru": real_speech.spread(
                tuple(r for r in real_speech.russian() if len((r.text or "").split()) <= RU_MAX_WORDS), RU_COUNT
            ),
            "en": real_speech.english() + real_speech.english_untranscribed(),
        }
    except real_speech.RealSpeechUnavailable as exc:
        pytest.fail(f"the real speech recordings are missing and cannot be fetched: {exc}")


@pytest.fixture(scope="module")
def results(
    corpus: dict[str, tuple[real_speech.Recording, ...]], vad: SileroVAD, base: WhisperRecognizer
) -> dict[str, list[Result]]:
    return {language: [hear(r, vad, base) for r in recordings] for language, recordings in corpus.items()}


def misses(results: list[Result]) -> list[str]:
    return [f"{r.id} heard as {r.detected}" for r in results if r.detected != r.language]


def test_the_corpus_is_real_and_large_enough(corpus: dict[str, tuple[real_speech.Recording, ...]]) -> None:
    assert len(corpus["ru"]) == RU_COUNT and len({r.id for r in corpus["ru"]}) == RU_COUNT
    assert all(r.text for r in corpus["ru"])
    librivox = [r for r in corpus["en"] if r.id.startswith("librivox/")]
    assert len(librivox) == 5 and all(r.text for r in librivox)
    assert len(corpus["en"]) >= 20


@pytest.mark.parametrize("language", ["ru", "en"])
def test_auto_detects_the_language_of_real_speech(results: dict[str, list[Result]], language: str) -> None:
    heard = results[language]
    right = sum(r.detected == r.language for r in heard)
    assert right / len(heard) >= 0.95, misses(heard)


def test_russian_wer_with_the_language_known(results: dict[str, list[Result]]) -> None:
    pairs = [(r.reference, r.text) for r in results["ru"] if r.reference is not None]
    wer = corpus_word_error_rate(pairs)
    assert len(pairs) == RU_COUNT
    assert wer <= 0.25, pairs


def test_english_wer_with_the_language_known(results: dict[str, list[Result]]) -> None:
    pairs = [(r.reference, r.text) for r in results["en"] if r.reference is not None]
    assert len(pairs) == 5
    assert corpus_word_error_rate(pairs) <= 0.15, pairs


def test_the_previous_turns_language_rescues_short_russian_clips(
    corpus: dict[str, tuple[real_speech.Recording, ...]], vad: SileroVAD, base: WhisperRecognizer
) -> None:
    # the first second of a Russian sentence, as if the question were that short: Whisper alone leans to
    # English on some; after a Russian turn, the unsure ones stay Russian
    alone = with_previous = 0
    clips = corpus["ru"][::2]
    for recording in clips:
        speech = speech_of(recording.audio(), vad, VadParams())
        start = Audio(speech.samples[: int(SHORT_S * speech.sample_rate)], speech.sample_rate)
        probabilities = base.language_probabilities(start)
        alone += decide_language(probabilities, None, None)[0] == "ru"
        with_previous += decide_language(probabilities, "ru", "en")[0] == "ru"
    assert with_previous >= alone
    assert with_previous >= len(clips) - 1, (alone, with_previous, len(clips))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('( ru_0002 "Прядь вол+ос за ухо." )', {"ru_0002": "Прядь волос за ухо."}),  # no stress marks
        ('(ru_0003 "Со спокойным мужеством, - она читала." )', {"ru_0003": "Со спокойным мужеством, - она читала."}),
        ("not a line", {}),
    ],
)
def test_parse_festvox(line: str, expected: dict[str, str]) -> None:
    assert real_speech.parse_festvox(line) == expected


def test_parse_sphinx() -> None:
    text = "<s> he was not an ill disposed young man </s> (austen-0880)\n<s> ten of clubs  </s> (001)\n\n"
    expected = {"austen-0880": "he was not an ill disposed young man", "001": "ten of clubs"}
    assert real_speech.parse_sphinx(text) == expected


def test_the_benchmark_summary_counts_what_it_says() -> None:
    from engine.bench.speech import Heard, summarise, wer_by_source

    def h(
        uid: str,
        lang: SpokenLanguage,
        detected: SpokenLanguage,
        margin: float,
        short: SpokenLanguage | None,
        short_margin: float | None,
        errors: int,
        words: int,
        reference: str | None = "x",
    ) -> Heard:
        return Heard(uid, lang, detected, margin, short, short_margin, reference, "", errors, words, 2.0, 1.0)

    heard = [
        h("ru_1", "ru", "ru", 0.9, "en", 0.1, 1, 10),  # first second wrong but unsure: caught
        h("ru_2", "ru", "ru", 0.2, "en", 0.6, 3, 10),  # unsure overall; first second wrong and sure
        h("ru_3", "ru", "en", 0.8, None, None, 0, 0, reference=None),  # detection only, wrong
        h("alsa/x", "en", "en", 0.9, "en", 0.9, 0, 2),
    ]
    ru = summarise(heard, "ru")
    assert (ru.recordings, ru.detected_right, ru.unsure, ru.transcribed, ru.wer) == (3, 2, 1, 2, 0.2)
    assert (ru.short_recordings, ru.short_right, ru.short_unsure, ru.short_wrong_and_sure) == (2, 0, 1, 1)
    assert ru.rtf == 0.5 and ru.detection_rate == pytest.approx(2 / 3)
    assert wer_by_source(heard) == {"festvox": (0.2, 2), "alsa": (0.0, 1)}
