"""Voice cues for arousal (seed 5): loudness, pitch movement and speaking rate, by plain DSP (numpy only).

These cues say how *activated* the speaker sounds, not whether they are happy or upset, so they only
feed arousal (engine/stages/emotion/fusion.py). They depend on the microphone's gain and the
speaker's own voice, hence the modest confidence `voice_arousal` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.audio.types import Audio

FRAME_S = 0.040  # analysis window: two periods of the lowest pitch (60 Hz) fit in it
HOP_S = 0.010
PITCH_MIN_HZ = 60.0
PITCH_MAX_HZ = 400.0
#: a frame is active when louder than this many dB below the loudest frame...
ACTIVE_RANGE_DB = 35.0
#: ...and louder than this absolute floor (dBFS): digital silence and hiss are never speech
ACTIVE_FLOOR_DB = -55.0
#: a frame is voiced when its normalised autocorrelation peak in the pitch range reaches this
VOICING_THRESHOLD = 0.5

# voice_arousal: each cue is mapped to [-1, 1] as (value - typical) / spread, then averaged by weight.
TYPICAL_RMS_DB = -26.0  # conversational speech at a normal microphone gain (dBFS over active frames)
SPREAD_RMS_DB = 10.0
TYPICAL_PITCH_STD_ST = 2.5  # pitch movement of calm conversational speech, in semitones
SPREAD_PITCH_STD_ST = 2.0
TYPICAL_RATE_WPS = 2.5  # about 150 words a minute
SPREAD_RATE_WPS = 1.0
WEIGHT_LOUDNESS = 0.4
WEIGHT_PITCH = 0.35
WEIGHT_RATE = 0.25
#: voiced seconds after which the cues are as trustworthy as they get
FULL_CONFIDENCE_VOICED_S = 1.5
#: the most confidence voice cues ever get: gain and voice differ between people
MAX_VOICE_CONFIDENCE = 0.7


@dataclass(frozen=True)
class VoiceFeatures:
    """Prosodic measurements of one utterance (None where there was nothing to measure)."""

    rms_db: float  # dBFS over the active (non-silent) frames; ACTIVE_FLOOR_DB when all is silent
    pitch_hz_median: float | None
    pitch_std_semitones: float | None
    speaking_rate_wps: float | None  # words per second of active speech, when the word count is known
    voiced_fraction: float  # voiced frames / all frames
    voiced_s: float = 0.0  # seconds of voiced frames


def _frames(samples: npt.NDArray[np.float64], size: int, hop: int) -> npt.NDArray[np.float64]:
    if len(samples) < size:
        samples = np.pad(samples, (0, size - len(samples)))
    count = 1 + (len(samples) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    framed: npt.NDArray[np.float64] = samples[index]
    return framed


def _frame_pitch(frames: npt.NDArray[np.float64], rate: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per frame: the normalised autocorrelation peak in the pitch range and its frequency (Hz)."""
    size = frames.shape[1]
    centred = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * size, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :size]
    lo = max(1, int(rate / PITCH_MAX_HZ))
    hi = min(size - 2, int(np.ceil(rate / PITCH_MIN_HZ)))
    lags = np.arange(lo, hi + 1)
    # unbiased: a lag-L product sums only size-L terms
    energy = np.maximum(acf[:, :1], 1e-12)
    norm = acf[:, lo : hi + 1] / energy * (size / (size - lags))[None, :]
    rows = np.arange(len(norm))
    peak = norm.max(axis=1)
    # the first local maximum reaching 90% of the best avoids octave-low errors (twice the period
    # correlates as well as the period itself)
    inner = norm[:, 1:-1]
    local = np.zeros_like(norm, dtype=bool)
    local[:, 1:-1] = (inner >= norm[:, :-2]) & (inner > norm[:, 2:])
    candidate = local & (norm >= 0.9 * peak[:, None])
    idx = np.where(candidate.any(axis=1), np.argmax(candidate, axis=1), np.argmax(norm, axis=1))
    # parabolic interpolation around the chosen lag for sub-sample precision
    left = norm[rows, np.clip(idx - 1, 0, len(lags) - 1)]
    mid = norm[rows, idx]
    right = norm[rows, np.clip(idx + 1, 0, len(lags) - 1)]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    lag = lags[idx] + np.clip(shift, -0.5, 0.5)
    return np.minimum(mid, 1.0), rate / lag


def voice_features(audio: Audio, words: int | None) -> VoiceFeatures:
    """Measure loudness, pitch and (given the transcript's word count) speaking rate of `audio`."""
    samples = audio.samples.astype(np.float64)
    rate = audio.sample_rate
    size, hop = max(8, round(FRAME_S * rate)), max(1, round(HOP_S * rate))
    if len(samples) == 0:
        return VoiceFeatures(ACTIVE_FLOOR_DB, None, None, None, 0.0, 0.0)
    frames = _frames(samples, size, hop)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    level_db = 20 * np.log10(np.maximum(rms, 1e-10))
    active = (level_db > level_db.max() - ACTIVE_RANGE_DB) & (level_db > ACTIVE_FLOOR_DB)
    if not active.any():
        return VoiceFeatures(ACTIVE_FLOOR_DB, None, None, None, 0.0, 0.0)
    rms_db = float(20 * np.log10(np.sqrt(np.mean(rms[active] ** 2))))
    strength, pitch = _frame_pitch(frames, rate)
    voiced = active & (strength >= VOICING_THRESHOLD) & (pitch >= PITCH_MIN_HZ) & (pitch <= PITCH_MAX_HZ)
    voiced_s = float(voiced.sum() * HOP_S)
    median: float | None = None
    spread: float | None = None
    if voiced.sum() >= 3:
        median = float(np.median(pitch[voiced]))
        spread = float(np.std(12 * np.log2(pitch[voiced] / median)))
    speech_s = (np.flatnonzero(active)[-1] - np.flatnonzero(active)[0]) * hop / rate + size / rate
    wps = float(words / speech_s) if words is not None and words > 0 and speech_s > 0 else None
    return VoiceFeatures(rms_db, median, spread, wps, float(voiced.mean()), voiced_s)


def _cue(value: float, typical: float, spread: float) -> float:
    return float(np.clip((value - typical) / spread, -1.0, 1.0))


def voice_arousal(features: VoiceFeatures) -> tuple[float, float]:
    """(arousal in [-1, 1], confidence in [0, MAX_VOICE_CONFIDENCE]): louder, livelier, faster -> higher."""
    cues = [(WEIGHT_LOUDNESS, _cue(features.rms_db, TYPICAL_RMS_DB, SPREAD_RMS_DB))]
    if features.pitch_std_semitones is not None:
        cues.append((WEIGHT_PITCH, _cue(features.pitch_std_semitones, TYPICAL_PITCH_STD_ST, SPREAD_PITCH_STD_ST)))
    if features.speaking_rate_wps is not None:
        cues.append((WEIGHT_RATE, _cue(features.speaking_rate_wps, TYPICAL_RATE_WPS, SPREAD_RATE_WPS)))
    if features.voiced_s <= 0:  # no voice to judge, whatever the loudness says
        return 0.0, 0.0
    total = sum(w for w, _ in cues)
    arousal = sum(w * c for w, c in cues) / total
    coverage = min(1.0, features.voiced_s / FULL_CONFIDENCE_VOICED_S)
    cue_share = total / (WEIGHT_LOUDNESS + WEIGHT_PITCH + WEIGHT_RATE)
    return float(np.clip(arousal, -1.0, 1.0)), float(MAX_VOICE_CONFIDENCE * coverage * cue_share)
