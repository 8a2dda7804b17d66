"""Where the user's voice comes from (push-to-talk): the microphone, or a WAV replayed as one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from engine.audio.io import read_audio
from engine.audio.resample import WHISPER_RATE, to_whisper_input
from engine.audio.sinks import load_sounddevice, parse_device
from engine.audio.types import Audio
from engine.errors import AudioDeviceError

ChunkCallback = Callable[[Audio], None]

#: one Silero VAD window: blocks line up with the VAD's frames
BLOCK_SAMPLES = 512

_NO_MIC_HINT = "plug in a microphone or pick one in `[audio.devices] input`"


def rms_level(samples: npt.NDArray[np.float32]) -> float:
    """Root-mean-square of `samples`, clipped to [0, 1] (0 for no samples)."""
    if len(samples) == 0:
        return 0.0
    return float(min(1.0, np.sqrt(np.mean(np.square(samples, dtype=np.float64)))))


@runtime_checkable
class AudioSource(Protocol):
    """Push-to-talk recording: `start()` when the key goes down, `stop()` when it comes up."""

    #: called with each new 16 kHz block while recording (on the audio thread: keep it quick)
    on_chunk: ChunkCallback | None

    def start(self) -> None:
        """Begin recording (anything recorded before is discarded)."""
        ...

    def stop(self) -> Audio:
        """End recording; everything recorded since `start()`, 16 kHz mono."""
        ...

    @property
    def level(self) -> float:
        """RMS of the latest block, in [0, 1], for a level meter."""
        ...


class _Recorder:
    """The bookkeeping both sources share: blocks, level and the chunk callback."""

    def __init__(self) -> None:
        self.on_chunk: ChunkCallback | None = None
        self._blocks: list[npt.NDArray[np.float32]] = []
        self._level = 0.0
        self._lock = threading.Lock()

    def _reset(self) -> None:
        with self._lock:
            self._blocks = []
            self._level = 0.0

    def _deliver(self, block: npt.NDArray[np.float32]) -> None:
        if len(block) == 0:
            return
        with self._lock:
            self._blocks.append(block)
            self._level = rms_level(block)
        callback = self.on_chunk
        if callback is not None:
            callback(Audio(block, WHISPER_RATE))

    def _recorded(self) -> Audio:
        with self._lock:
            if not self._blocks:
                return Audio.empty(WHISPER_RATE)
            return Audio(np.concatenate(self._blocks), WHISPER_RATE)

    @property
    def level(self) -> float:
        """RMS of the latest block, in [0, 1]."""
        return self._level


class WavFileSource(_Recorder):
    """Replays a recording as if it were a microphone (tests, `--in FILE.wav`, UI tests).

    With `realtime=False` the whole file is delivered, block by block, inside `start()`. With
    `realtime=True` a thread paces the blocks at their real duration; `finished` is set once the
    file has been delivered, and `stop()` returns what was delivered so far.
    """

    def __init__(self, path: Path, realtime: bool = False, *, block_samples: int = BLOCK_SAMPLES) -> None:
        super().__init__()
        self._audio = to_whisper_input(read_audio(Path(path)))
        self._realtime = realtime
        self._block = block_samples
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self.finished = threading.Event()

    def _blocks_of_file(self) -> list[npt.NDArray[np.float32]]:
        samples = self._audio.samples
        return [samples[i : i + self._block].copy() for i in range(0, len(samples), self._block)]

    def start(self) -> None:
        """Begin replaying from the start of the file."""
        self._halt_thread()
        self._reset()
        self._halt.clear()
        self.finished.clear()
        if not self._realtime:
            for block in self._blocks_of_file():
                self._deliver(block)
            self.finished.set()
            return
        self._thread = threading.Thread(target=self._pace, name="wav-source", daemon=True)
        self._thread.start()

    def _pace(self) -> None:
        started = time.perf_counter()
        delivered = 0
        for block in self._blocks_of_file():
            # sleep until this block would have been fully captured by a real microphone
            delivered += len(block)
            if self._halt.wait(max(0.0, started + delivered / WHISPER_RATE - time.perf_counter())):
                return
            self._deliver(block)
        self.finished.set()

    def _halt_thread(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def stop(self) -> Audio:
        """Stop replaying; the audio delivered since `start()`."""
        self._halt_thread()
        return self._recorded()


class MicrophoneSource(_Recorder):
    """Records 16 kHz mono from a sound device (PortAudio InputStream)."""

    def __init__(self, device: str | int | None = None) -> None:
        super().__init__()
        self._sd = load_sounddevice("microphone", _NO_MIC_HINT)
        self._device = parse_device(device)
        what = "the default microphone" if self._device is None else f"microphone {self._device!r}"
        try:
            info = self._sd.query_devices(self._device, "input")
        except (ValueError, self._sd.PortAudioError) as exc:
            raise AudioDeviceError(f"no microphone found: cannot open {what} ({exc})", hint=_NO_MIC_HINT) from None
        self._what = what
        self._device_rate = int(info["default_samplerate"])
        self._stream: Any = None
        self._resampler: Any = None

    def _open(self, rate: int) -> Any:
        return self._sd.InputStream(
            samplerate=rate,
            channels=1,
            dtype="float32",
            device=self._device,
            blocksize=BLOCK_SAMPLES * rate // WHISPER_RATE,
            callback=self._callback,
        )

    def _callback(self, indata: npt.NDArray[np.float32], frames: int, time_info: Any, status: Any) -> None:
        block = indata[:, 0].copy()  # PortAudio reuses its buffer after the callback returns
        if self._resampler is not None:
            block = self._resampler.resample_chunk(block).astype(np.float32, copy=False)
        self._deliver(block)

    def start(self) -> None:
        """Open the device and begin recording."""
        if self._stream is not None:
            self.stop()
        self._reset()
        try:
            try:
                stream = self._open(WHISPER_RATE)
                self._resampler = None
            except self._sd.PortAudioError:
                # the device cannot capture at 16 kHz itself: record at its own rate and convert
                import soxr

                self._resampler = soxr.ResampleStream(self._device_rate, WHISPER_RATE, 1, dtype="float32")
                stream = self._open(self._device_rate)
            stream.start()
        except (ValueError, self._sd.PortAudioError) as exc:
            raise AudioDeviceError(f"cannot record from {self._what}: {exc}", hint=_NO_MIC_HINT) from None
        self._stream = stream

    def stop(self) -> Audio:
        """Close the device; what was recorded since `start()`."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
            if self._resampler is not None:
                tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
                self._deliver(np.asarray(tail, dtype=np.float32))
        return self._recorded()
