"""Where spoken replies go: the speaker, or a WAV file (`--out`, tests).

A sink takes `Audio` chunks as the synthesiser produces them, plays them in order without blocking
the caller, and counts what was actually played, so that after a barge-in the pipeline knows how
much of the reply the user heard.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from engine.audio.io import write_wav
from engine.audio.resample import resample
from engine.audio.types import Audio
from engine.errors import AudioDeviceError

_NO_SPEAKER_HINT = (
    "write the reply to a file instead with `--out FILE.wav`, or pick a device in `[audio.devices] output`"
)


@runtime_checkable
class AudioSink(Protocol):
    """Plays audio chunks in order; every method is safe to call from any thread."""

    @property
    def first_audio_at(self) -> float | None:
        """time.perf_counter() when the first chunk since creation (or `reset_counters`) was output."""
        ...

    def play(self, audio: Audio) -> None:
        """Queue `audio` after what is already queued and return at once."""
        ...

    def drain(self, timeout: float | None = None) -> bool:
        """Block until everything queued has been played; False when `timeout` ran out first."""
        ...

    def stop(self) -> None:
        """Interrupt playback now and drop everything queued (barge-in)."""
        ...

    def close(self) -> None:
        """Release the device or finish the file; the sink is unusable afterwards."""
        ...

    def reset_counters(self) -> None:
        """Start counting played audio (and `first_audio_at`) afresh, e.g. at a new turn."""
        ...

    @property
    def samples_played(self) -> int:
        """Samples output since creation or `reset_counters`, at `sample_rate`."""
        ...

    @property
    def seconds_played(self) -> float:
        """`samples_played` in seconds."""
        ...


class PlaybackBuffer:
    """A thread-safe FIFO of samples at one rate, emptied block by block by an audio callback.

    Kept apart from the device so the queueing, interruption and counting are testable without one.
    """

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._chunks: deque[npt.NDArray[np.float32]] = deque()
        self._offset = 0  # samples of the head chunk already played
        self._pending = 0
        self._played = 0
        self.first_audio_at: float | None = None
        self._cond = threading.Condition()

    def push(self, samples: npt.NDArray[np.float32]) -> None:
        """Queue `samples` (mono, at `sample_rate`)."""
        if len(samples) == 0:
            return
        with self._cond:
            self._chunks.append(samples)
            self._pending += len(samples)

    def fill(self, out: npt.NDArray[np.float32]) -> int:
        """Write the next samples into `out`, silence after the queue runs dry; returns samples written."""
        written = 0
        with self._cond:
            while written < len(out) and self._chunks:
                head = self._chunks[0]
                take = min(len(out) - written, len(head) - self._offset)
                out[written : written + take] = head[self._offset : self._offset + take]
                written += take
                self._offset += take
                if self._offset == len(head):
                    self._chunks.popleft()
                    self._offset = 0
            out[written:] = 0.0
            if written:
                if self.first_audio_at is None:
                    self.first_audio_at = time.perf_counter()
                self._pending -= written
                self._played += written
            if self._pending == 0:
                self._cond.notify_all()
        return written

    def clear(self) -> int:
        """Drop everything queued; returns how many samples were dropped."""
        with self._cond:
            dropped = self._pending
            self._chunks.clear()
            self._offset = 0
            self._pending = 0
            self._cond.notify_all()
        return dropped

    def wait_empty(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def reset_counters(self) -> None:
        """Zero the played counter and forget `first_audio_at`."""
        with self._cond:
            self._played = 0
            self.first_audio_at = None

    @property
    def pending(self) -> int:
        """Samples queued and not yet played."""
        return self._pending

    @property
    def played(self) -> int:
        """Samples played since creation or `reset_counters`."""
        return self._played


class WavFileSink:
    """Collects the reply and writes it as one 16-bit WAV on `close()`.

    The file "plays" instantly: every chunk counts as played when it arrives. Chunks are resampled to
    the first chunk's rate. Nothing is written when no audio arrived.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.first_audio_at: float | None = None
        self.sample_rate: int | None = None
        self._chunks: list[npt.NDArray[np.float32]] = []
        self._played = 0
        self._closed = False
        self._lock = threading.Lock()

    def play(self, audio: Audio) -> None:
        """Append `audio` to the file's contents."""
        with self._lock:
            if self._closed:
                raise RuntimeError("WavFileSink.play() after close()")
            if len(audio.samples) == 0:
                return
            if self.sample_rate is None:
                self.sample_rate = audio.sample_rate
            if self.first_audio_at is None:
                self.first_audio_at = time.perf_counter()
            samples = resample(audio, self.sample_rate).samples
            self._chunks.append(samples)
            self._played += len(samples)

    def drain(self, timeout: float | None = None) -> bool:
        """Nothing is ever pending in a file."""
        return True

    def stop(self) -> None:
        """Nothing is queued: what arrived is already in the file."""

    def reset_counters(self) -> None:
        """Zero the counters (the collected audio is kept)."""
        with self._lock:
            self._played = 0
            self.first_audio_at = None

    @property
    def samples_played(self) -> int:
        """Samples received since creation or `reset_counters`."""
        return self._played

    @property
    def seconds_played(self) -> float:
        """Seconds received since creation or `reset_counters`."""
        return self._played / self.sample_rate if self.sample_rate else 0.0

    def audio(self) -> Audio | None:
        """Everything collected so far, or None before the first chunk."""
        with self._lock:
            if self.sample_rate is None:
                return None
            return Audio(np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32), self.sample_rate)

    def close(self) -> None:
        """Write the WAV (once)."""
        if self._closed:
            return
        audio = self.audio()
        with self._lock:
            self._closed = True
        if audio is not None:
            write_wav(self.path, audio)


def load_sounddevice(what: str = "speaker", hint: str = _NO_SPEAKER_HINT) -> Any:
    """Import sounddevice, turning a missing PortAudio into an AudioDeviceError about `what`."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is absent
        raise AudioDeviceError(
            f"no {what} found: sound is unavailable because the PortAudio library is missing ({exc})",
            hint="install PortAudio (Debian: `sudo apt install libportaudio2`), or " + hint,
        ) from None
    return sounddevice


def parse_device(device: str | int | None) -> str | int | None:
    """Config value to a sounddevice device: '' means the default, a number string is an index."""
    if isinstance(device, str):
        device = device.strip()
        if not device:
            return None
        if device.isdigit():
            return int(device)
    return device


def default_output_available() -> bool:
    """Whether a speaker can be opened at all (PortAudio present and an output device exists)."""
    try:
        sd = load_sounddevice()
        sd.query_devices(None, "output")
    except Exception:  # any failure means "no": this is a probe, the caller picks a fallback
        return False
    return True


class SpeakerSink:
    """Plays through a sound device from a queue in the PortAudio callback."""

    def __init__(self, device: str | int | None = None, *, sample_rate: int | None = None, block_ms: int = 20) -> None:
        sd = load_sounddevice()
        device = parse_device(device)
        what = "the default speaker" if device is None else f"speaker {device!r}"
        try:
            info = sd.query_devices(device, "output")
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioDeviceError(f"no speaker found: cannot open {what} ({exc})", hint=_NO_SPEAKER_HINT) from None
        self.sample_rate = int(sample_rate or info["default_samplerate"])
        self._buffer = PlaybackBuffer(self.sample_rate)
        self._closed = False
        try:
            self._stream = sd.OutputStream(
                samplerate=self.sample_rate,
                channels=1,
                dtype="float32",
                device=device,
                blocksize=max(1, self.sample_rate * block_ms // 1000),
                callback=self._callback,
            )
            self._stream.start()
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioDeviceError(f"cannot open {what}: {exc}", hint=_NO_SPEAKER_HINT) from None

    def _callback(self, outdata: npt.NDArray[np.float32], frames: int, time_info: Any, status: Any) -> None:
        # runs on PortAudio's thread: no allocation beyond the copy, no blocking
        self._buffer.fill(outdata[:, 0])

    @property
    def first_audio_at(self) -> float | None:
        """perf_counter() when the callback first output reply samples."""
        return self._buffer.first_audio_at

    def play(self, audio: Audio) -> None:
        """Queue `audio` (resampled to the device rate)."""
        if self._closed:
            raise RuntimeError("SpeakerSink.play() after close()")
        self._buffer.push(resample(audio, self.sample_rate).samples)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the queue has been handed to the device."""
        done = self._buffer.wait_empty(timeout)
        if done and not self._closed:
            # the last block is still in the device's buffer
            time.sleep(float(self._stream.latency))
        return done

    def stop(self) -> None:
        """Drop the queue; the next callback outputs silence."""
        self._buffer.clear()

    def reset_counters(self) -> None:
        """Start counting afresh."""
        self._buffer.reset_counters()

    @property
    def samples_played(self) -> int:
        """Samples handed to the device since creation or `reset_counters`."""
        return self._buffer.played

    @property
    def seconds_played(self) -> float:
        """`samples_played` in seconds."""
        return self._buffer.played / self.sample_rate

    def close(self) -> None:
        """Stop and release the device."""
        if self._closed:
            return
        self._closed = True
        self._buffer.clear()
        self._stream.stop()
        self._stream.close()
