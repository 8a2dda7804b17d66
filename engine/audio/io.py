"""Reading and writing audio files, with errors the user can act on.

Everything read comes back as mono float32 `Audio` at the file's own rate; convert explicitly with
`engine.audio.resample`. Silence is not an error here: whether there is speech is the VAD's call.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from engine.audio.types import Audio
from engine.errors import AudioInputError, ErrorCode

_FORMATS_HINT = "use a WAV, FLAC or OGG file (any rate, mono or stereo)"
_EMPTY_HINT = "record again, or pick another file"
_TOO_LONG_HINT = "trim the recording, or raise `[audio.stt] max_audio_seconds` in your config.toml"


def downmix(samples: npt.NDArray[np.floating] | npt.NDArray[np.integer]) -> npt.NDArray[np.float32]:
    """Mono float32 from (frames,) or (frames, channels) samples; integer PCM is scaled to [-1, 1]."""
    data = np.asarray(samples)
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max)
    if data.ndim == 2:
        data = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    elif data.ndim != 1:
        raise ValueError(f"expected 1-D or 2-D samples, got shape {data.shape}")
    return np.ascontiguousarray(data, dtype=np.float32)


def _check_length(frames: int, rate: int, name: str, max_seconds: float | None) -> None:
    if frames <= 0:
        raise AudioInputError(f"{name} holds no audio (0 samples)", code=ErrorCode.AUDIO_EMPTY, hint=_EMPTY_HINT)
    if max_seconds is not None and frames / rate > max_seconds:
        raise AudioInputError(
            f"{name} is {frames / rate:.1f} s long; the limit is {max_seconds:g} s",
            code=ErrorCode.AUDIO_TOO_LONG,
            hint=_TOO_LONG_HINT,
        )


def _decode(source: str | io.BytesIO, name: str, max_seconds: float | None) -> Audio:
    try:
        with sf.SoundFile(source) as fh:
            rate = int(fh.samplerate)
            # check the header before decoding, so a 2-hour file is refused without being read
            _check_length(fh.frames, rate, name, max_seconds)
            data = fh.read(dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        raise AudioInputError(
            f"{name} is not audio Sova can read, or it is damaged ({exc.error_string})",
            code=ErrorCode.AUDIO_UNREADABLE,
            hint=_FORMATS_HINT,
        ) from None
    except (RuntimeError, ValueError, TypeError, EOFError) as exc:  # soundfile's other decoding failures
        raise AudioInputError(
            f"{name} could not be decoded: {exc}", code=ErrorCode.AUDIO_UNREADABLE, hint=_FORMATS_HINT
        ) from None
    samples = downmix(data)
    _check_length(len(samples), rate, name, max_seconds)  # headers can lie about the frame count
    if not np.isfinite(samples).all():
        raise AudioInputError(
            f"{name} contains invalid samples (NaN or infinity): the file is damaged",
            code=ErrorCode.AUDIO_UNREADABLE,
            hint=_FORMATS_HINT,
        )
    return Audio(samples, rate)


def read_audio(path: Path, *, max_seconds: float | None = None) -> Audio:
    """Read any format libsndfile knows, downmixed to mono float32 at the file's rate.

    Raises AudioInputError (with a hint) when the file is missing, empty, not audio, damaged,
    or longer than `max_seconds`.
    """
    path = Path(path)
    name = f"audio file {str(path)!r}"
    if not path.exists():
        raise AudioInputError(
            f"{name} does not exist", code=ErrorCode.AUDIO_MISSING, hint="check the path and try again"
        )
    if path.is_dir():
        raise AudioInputError(
            f"{name} is a folder, not a file", code=ErrorCode.AUDIO_MISSING, hint="give the path of a file"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioInputError(f"{name} cannot be read: {exc.strerror}", code=ErrorCode.AUDIO_UNREADABLE) from None
    if size == 0:
        raise AudioInputError(f"{name} is empty (0 bytes)", code=ErrorCode.AUDIO_EMPTY, hint=_EMPTY_HINT)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise AudioInputError(
            f"{name} cannot be opened: {exc.strerror}",
            code=ErrorCode.AUDIO_UNREADABLE,
            hint="check the file's permissions",
        ) from None
    return _decode(str(path), name, max_seconds)


def decode_audio_bytes(data: bytes, *, max_seconds: float | None = None, name: str = "the audio data") -> Audio:
    """Like `read_audio`, for a whole file held in memory (an upload, a clipboard, a test)."""
    if not data:
        raise AudioInputError(f"{name} is empty (0 bytes)", code=ErrorCode.AUDIO_EMPTY, hint=_EMPTY_HINT)
    return _decode(io.BytesIO(data), name, max_seconds)


def write_wav(path: Path, audio: Audio) -> None:
    """Write `audio` as a 16-bit PCM mono WAV (samples beyond [-1, 1] are clipped)."""
    sf.write(str(path), audio.to_int16(), audio.sample_rate, subtype="PCM_16", format="WAV")
