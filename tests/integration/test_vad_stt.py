"""Silero VAD and faster-whisper on the committed fixtures, with the real installed models."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from engine.audio.io import read_audio
from engine.audio.resample import resample
from engine.audio.types import Audio
from engine.errors import AudioInputError
from engine.registry.registry import ModelProvider
from engine.stages.base import SpeechRecognizer, Transcript, VoiceActivityDetector
from engine.stages.options import STTOptions
from engine.stages.stt.cache import TranscriptCache, transcript_key
from engine.stages.stt.faster_whisper import WhisperRecognizer, pick_language, resolve_compute_type, resolve_device
from engine.stages.stt.faster_whisper import load_model as load_whisper
from engine.stages.vad.segmenter import VadParams
from engine.stages.vad.silero import SileroVAD

pytestmark = pytest.mark.models

DATA = Path(__file__).resolve().parents[1] / "data"
Installed = Callable[[str], ModelProvider]

# fixture -> (language, key words of which one must be heard)
QUESTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "en_capital_france": ("en", ("france",)),
    "en_days_week": ("en", ("week",)),
    "ru_capital_france": ("ru", ("франц",)),
    # eSpeak's "неделе" often comes out split ("не дели"); "дней" (days) is heard steadily
    "ru_days_week": ("ru", ("недел", "дней")),
}


def words(text: str) -> str:
    return re.sub(r"[^\w ]+", " ", text.lower())


def fixture(name: str) -> Audio:
    return read_audio(DATA / f"{name}.wav")


@pytest.fixture(scope="module")
def tiny_en(installed: Installed) -> WhisperRecognizer:
    return load_whisper(installed("faster-whisper-tiny-en"), STTOptions(threads=2, device="cpu"))


# --- VAD -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_vad_finds_the_question(vad: SileroVAD, name: str) -> None:
    assert isinstance(vad, VoiceActivityDetector)
    audio = fixture(name)
    probs = vad.speech_probabilities(audio)
    assert probs.dtype == np.float32
    assert len(probs) == int(np.ceil(len(audio.samples) / 512))
    segments = vad.speech_segments(audio, VadParams())
    assert len(segments) == 1
    seg = segments[0]
    # the fixtures have 0.4 s of silence either side of the question
    assert 0.0 <= seg.start_s < 0.45
    assert audio.duration_s - 0.45 < seg.end_s <= audio.duration_s
    assert seg.end_s - seg.start_s > 1.0


def test_vad_finds_nothing_in_silence(vad: SileroVAD) -> None:
    audio = fixture("silence_2s")
    assert vad.speech_probabilities(audio).max() < 0.2
    assert vad.speech_segments(audio, VadParams()) == []
    assert vad.speech_segments(Audio.empty(16000), VadParams()) == []


def test_vad_splits_two_questions_and_resamples(vad: SileroVAD) -> None:
    one, two = fixture("en_capital_france"), fixture("en_days_week")
    gap = np.zeros(16000, np.float32)  # 1 s: longer than min_silence + 2 x pad
    joined = Audio(np.concatenate([one.samples, gap, two.samples]), 16000)
    at_16k = vad.speech_segments(joined, VadParams())
    assert len(at_16k) == 2
    assert at_16k[0].end_s < one.duration_s + 0.5 < at_16k[1].start_s
    at_48k = vad.speech_segments(resample(joined, 48000), VadParams())  # resampled inside, times unchanged
    assert len(at_48k) == 2
    for a, b in zip(at_16k, at_48k, strict=True):
        assert b.start_s == pytest.approx(a.start_s, abs=0.1)
        assert b.end_s == pytest.approx(a.end_s, abs=0.1)


def test_vad_does_not_modify_its_input(vad: SileroVAD) -> None:
    audio = fixture("en_days_week")
    before = audio.samples.copy()
    vad.speech_probabilities(audio)
    assert np.array_equal(audio.samples, before)


# --- STT -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_base_transcribes_with_the_language_given(base: WhisperRecognizer, name: str) -> None:
    assert isinstance(base, SpeechRecognizer)
    language, keys = QUESTIONS[name]
    result = base.transcribe(fixture(name), language)  # type: ignore[arg-type]
    assert result.language == language
    assert result.model_id == "faster-whisper-base"
    assert result.audio_duration_s == pytest.approx(fixture(name).duration_s)
    assert any(k in words(result.text) for k in keys), result.text


@pytest.mark.parametrize("name", list(QUESTIONS))
def test_base_detects_ru_or_en(base: WhisperRecognizer, name: str) -> None:
    language, keys = QUESTIONS[name]
    result = base.transcribe(fixture(name), None)
    assert result.language == language, result
    assert 0.0 < result.language_probability <= 1.0
    assert any(k in words(result.text) for k in keys), result.text


def test_base_hears_nothing_in_silence(base: WhisperRecognizer) -> None:
    assert base.transcribe(fixture("silence_2s"), "en").text == ""
    assert base.transcribe(Audio.empty(16000), "ru").text == ""


@pytest.mark.parametrize("name", ["en_capital_france", "en_days_week"])
def test_tiny_en_transcribes_english(tiny_en: WhisperRecognizer, name: str) -> None:
    _, keys = QUESTIONS[name]
    for language in ("en", None):
        result = tiny_en.transcribe(fixture(name), language)
        assert result.language == "en"
        assert result.model_id == "faster-whisper-tiny-en"
        assert any(k in words(result.text) for k in keys), result.text


def test_english_only_model_ignores_a_russian_request(tiny_en: WhisperRecognizer) -> None:
    assert tiny_en.english_only
    assert tiny_en.transcribe(fixture("en_days_week"), "ru").language == "en"


def test_stereo_44k_input_is_downmixed_and_resampled(base: WhisperRecognizer, tmp_path: Path) -> None:
    mono = fixture("en_capital_france")
    up = resample(mono, 44100).samples
    # the voice in the left channel, a quieter copy in the right: a mono mix still has the words
    sf.write(str(tmp_path / "stereo.wav"), np.stack([up, 0.3 * up], axis=1), 44100, subtype="PCM_16")
    audio = read_audio(tmp_path / "stereo.wav")
    assert audio.sample_rate == 44100
    assert audio.duration_s == pytest.approx(mono.duration_s, abs=0.01)
    assert "france" in words(base.transcribe(audio, "en").text)


def test_cache_answers_the_second_time_without_the_model(
    installed: Installed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recognizer = load_whisper(
        installed("faster-whisper-tiny-en"), STTOptions(threads=2, device="cpu", cache_dir=tmp_path / "transcripts")
    )
    cache = recognizer.cache
    assert cache is not None
    assert stat.S_IMODE((tmp_path / "transcripts").stat().st_mode) == 0o700
    calls: list[Any] = []
    real = recognizer._model.transcribe

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("language"))
        return real(*args, **kwargs)

    monkeypatch.setattr(recognizer._model, "transcribe", counting)
    audio = fixture("en_days_week")
    first = recognizer.transcribe(audio, "en")
    assert calls == ["en"]
    second = recognizer.transcribe(audio, "en")
    assert calls == ["en"]  # answered from the cache
    assert second == first
    assert "week" in words(second.text)
    louder = Audio(audio.samples * 0.5, 16000)  # other samples: another key
    recognizer.transcribe(louder, "en")
    assert len(calls) == 2
    assert len(cache) == 2
    # the values on disk are JSON text, never pickles
    reopened = TranscriptCache(tmp_path / "transcripts")
    assert reopened.get("faster-whisper-tiny-en", "en", audio) == first
    assert reopened.get("faster-whisper-base", "en", audio) is None
    raw = [reopened._cache.get(k) for k in reopened._cache.iterkeys()]
    assert all(isinstance(v, str) and v.startswith("{") for v in raw)
    reopened.close()
    recognizer.close()


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "code", "text"),
    [
        ("empty.wav", b"", "audio_empty", "empty"),
        ("garbage.wav", np.random.default_rng(0).bytes(4000), "audio_unreadable", "not audio"),
        ("question.txt", "Какая столица Франции?".encode(), "audio_unreadable", "not audio"),
    ],
)
def test_bad_input_files(tmp_path: Path, filename: str, content: bytes, code: str, text: str) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(AudioInputError) as err:
        read_audio(path, max_seconds=60)
    assert err.value.code == code
    assert text in err.value.message
    assert err.value.hint


def test_too_long_input_is_refused_by_file_and_by_the_recognizer(tiny_en: WhisperRecognizer) -> None:
    with pytest.raises(AudioInputError, match="limit is 2 s") as err:
        read_audio(DATA / "en_capital_france.wav", max_seconds=2)
    assert "max_audio_seconds" in str(err.value)
    capped = WhisperRecognizer(tiny_en._model, model_id=tiny_en.model_id, english_only=True, max_audio_seconds=2)
    with pytest.raises(AudioInputError) as err2:
        capped.transcribe(fixture("en_capital_france"), "en")
    assert err2.value.code == "audio_too_long"
    assert "max_audio_seconds" in str(err2.value)


# --- pure helpers and the cache's safety (no model needed, kept beside the stage they serve) ----


@pytest.mark.parametrize(
    ("device", "cuda", "compute", "expected"),
    [
        ("auto", 0, "auto", ("cpu", "int8")),
        ("auto", 1, "auto", ("cuda", "float16")),
        ("cpu", 2, "auto", ("cpu", "int8")),
        ("cuda", 0, "auto", ("cuda", "float16")),
        ("auto", 1, "int8_float16", ("cuda", "int8_float16")),
        ("auto", 0, "float32", ("cpu", "float32")),
    ],
)
def test_device_and_compute_type(device: str, cuda: int, compute: str, expected: tuple[str, str]) -> None:
    chosen = resolve_device(device, cuda)
    assert (chosen, resolve_compute_type(compute, chosen)) == expected


@pytest.mark.parametrize(
    ("probs", "expected"),
    [
        ({"en": 0.9, "ru": 0.05}, ("en", 0.9)),
        ({"uk": 0.8, "ru": 0.1, "en": 0.05}, ("ru", 0.1)),  # other languages never win
        ({"de": 0.9, "en": 0.02}, ("en", 0.02)),
        ({"de": 1.0}, ("en", 0.0)),
    ],
)
def test_pick_language(probs: dict[str, float], expected: tuple[str, float]) -> None:
    lang, p = pick_language(probs)
    assert lang == expected[0]
    assert p == pytest.approx(expected[1])


UNPICKLED: list[str] = []


def _record(what: str) -> None:
    UNPICKLED.append(what)


class Planted:
    """What an attacker could write into the cache folder: unpickling it runs code."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_record, ("code ran",))


def test_cache_never_unpickles(tmp_path: Path) -> None:
    import diskcache

    audio = Audio(np.linspace(-0.5, 0.5, 1600, dtype=np.float32), 16000)
    with diskcache.Cache(str(tmp_path / "c")) as plain:  # diskcache's default disk pickles objects
        plain.set(transcript_key("m", "en", audio), Planted())
    cache = TranscriptCache(tmp_path / "c")
    assert cache.get("m", "en", audio) is None
    assert UNPICKLED == []
    with pytest.raises(TypeError):
        cache._cache.set("k", {"not": "a string"})
    good = Transcript("привет", "ru", 0.5, 0.1, "m")
    cache.put("ru", audio, good)
    assert cache.get("m", "ru", audio) == good
    assert cache.get("m", None, audio) is None  # the requested language is part of the key
    cache.close()


def test_cache_tightens_an_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    TranscriptCache(folder).close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
