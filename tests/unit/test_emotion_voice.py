"""Voice cues (engine/stages/emotion/voice.py) on synthetic signals."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from engine.audio.types import Audio
from engine.stages.emotion.voice import MAX_VOICE_CONFIDENCE, VoiceFeatures, voice_arousal, voice_features


def voiced_tone(freq_hz: npt.NDArray[np.float64] | float, amplitude: float, seconds: float, rate: int) -> Audio:
    """A harmonic tone (like a voiced vowel) whose pitch follows `freq_hz` (Hz per sample, or constant)."""
    n = int(seconds * rate)
    freq = np.broadcast_to(np.asarray(freq_hz, dtype=np.float64), (n,))
    phase = 2 * np.pi * np.cumsum(freq) / rate
    wave = (np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)) / 1.75
    return Audio((amplitude * wave).astype(np.float32), rate)


def gliding(rate: int, amplitude: float = 0.6, seconds: float = 2.0) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return voiced_tone(170 + 80 * np.sin(2 * np.pi * 1.5 * t), amplitude, seconds, rate)


@pytest.mark.parametrize("rate", [16000, 22050])
@pytest.mark.parametrize("pitch", [80.0, 110.0, 200.0, 300.0])
def test_pitch_of_a_steady_tone(rate: int, pitch: float) -> None:
    f = voice_features(voiced_tone(pitch, 0.1, 1.0, rate), None)
    assert f.pitch_hz_median == pytest.approx(pitch, rel=0.02)
    assert f.pitch_std_semitones is not None and f.pitch_std_semitones < 0.2
    assert f.voiced_fraction > 0.9


@pytest.mark.parametrize("rate", [16000, 22050])
def test_loud_gliding_tone_is_more_aroused_than_quiet_flat_tone(rate: int) -> None:
    loud = voice_features(gliding(rate), words=7)
    quiet = voice_features(voiced_tone(120.0, 0.02, 2.0, rate), words=3)
    assert loud.rms_db > quiet.rms_db + 20
    assert loud.pitch_std_semitones is not None and quiet.pitch_std_semitones is not None
    assert loud.pitch_std_semitones > 3.0 > quiet.pitch_std_semitones
    assert loud.speaking_rate_wps is not None and quiet.speaking_rate_wps is not None
    assert loud.speaking_rate_wps > quiet.speaking_rate_wps
    loud_arousal, loud_conf = voice_arousal(loud)
    quiet_arousal, quiet_conf = voice_arousal(quiet)
    assert loud_arousal > 0.5
    assert quiet_arousal < -0.5
    assert loud_conf > 0.5 and quiet_conf > 0.5


@pytest.mark.parametrize(
    "samples",
    [
        np.zeros(16000, dtype=np.float32),  # digital silence
        np.zeros(10, dtype=np.float32),  # shorter than one frame
        np.zeros(0, dtype=np.float32),  # nothing at all
        (0.05 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32),  # hiss, unvoiced
    ],
)
def test_no_voice_gives_no_confidence(samples: npt.NDArray[np.float32]) -> None:
    f = voice_features(Audio(samples, 16000), words=4)
    assert f.pitch_hz_median is None
    assert f.voiced_fraction < 0.05
    assert voice_arousal(f) == (0.0, 0.0)


def test_speaking_rate_counts_active_speech_only() -> None:
    rate = 16000
    speech = voiced_tone(150.0, 0.2, 2.0, rate).samples
    padded = np.concatenate([np.zeros(rate, np.float32), speech, np.zeros(rate, np.float32)])
    f = voice_features(Audio(padded, rate), words=6)
    assert f.speaking_rate_wps == pytest.approx(3.0, rel=0.05)  # 6 words over 2 s, silence excluded
    assert voice_features(Audio(padded, rate), words=None).speaking_rate_wps is None


def test_short_voice_is_trusted_less() -> None:
    _, short_conf = voice_arousal(voice_features(gliding(16000, seconds=0.4), words=1))
    _, long_conf = voice_arousal(voice_features(gliding(16000, seconds=2.0), words=5))
    assert 0 < short_conf < long_conf <= MAX_VOICE_CONFIDENCE


@pytest.mark.parametrize(
    ("features", "low", "high"),
    [
        # typical level, pitch movement and rate: close to neutral
        (VoiceFeatures(-26.0, 150.0, 2.5, 2.5, 0.6, 2.0), -0.1, 0.1),
        # shouting, lively, fast
        (VoiceFeatures(-10.0, 220.0, 6.0, 4.0, 0.7, 2.0), 0.9, 1.0),
        # quiet, monotone, slow
        (VoiceFeatures(-40.0, 110.0, 0.5, 1.2, 0.5, 2.0), -1.0, -0.9),
        # loud but monotone and slow: mixed cues stay moderate
        (VoiceFeatures(-14.0, 120.0, 0.8, 1.5, 0.5, 2.0), -0.3, 0.3),
    ],
)
def test_voice_arousal_table(features: VoiceFeatures, low: float, high: float) -> None:
    arousal, confidence = voice_arousal(features)
    assert low <= arousal <= high
    assert confidence == pytest.approx(MAX_VOICE_CONFIDENCE)


def test_unknown_rate_lowers_confidence() -> None:
    with_rate = VoiceFeatures(-20.0, 150.0, 3.0, 3.0, 0.6, 2.0)
    without = VoiceFeatures(-20.0, 150.0, 3.0, None, 0.6, 2.0)
    assert voice_arousal(without)[1] < voice_arousal(with_rate)[1]
