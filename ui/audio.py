"""Sound for the window: a silent sink (mute, no speaker), per-turn sink choice, device lists."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from engine.audio.sinks import AudioSink, SpeakerSink, default_output_available, load_sounddevice
from engine.audio.types import Audio
from engine.config import SovaConfig
from engine.errors import SovaError


class NullSink:
    """Discards the reply audio but counts it as played at once (like a file), so turns end normally."""

    def __init__(self) -> None:
        self.first_audio_at: float | None = None
        self._seconds = 0.0
        self._samples = 0
        self._lock = threading.Lock()

    def play(self, audio: Audio) -> None:
        """Count `audio` as played."""
        with self._lock:
            if len(audio.samples) and self.first_audio_at is None:
                self.first_audio_at = time.perf_counter()
            self._samples += len(audio.samples)
            self._seconds += audio.duration_s

    def drain(self, timeout: float | None = None) -> bool:
        """Nothing is ever pending."""
        return True

    def stop(self) -> None:
        """Nothing is queued."""

    def close(self) -> None:
        """Nothing to release."""

    def reset_counters(self) -> None:
        """Start counting afresh."""
        with self._lock:
            self._samples, self._seconds, self.first_audio_at = 0, 0.0, None

    @property
    def samples_played(self) -> int:
        """Samples received (at their own rates)."""
        return self._samples

    @property
    def seconds_played(self) -> float:
        """Seconds received."""
        return self._seconds


@dataclass(frozen=True)
class SinkChoice:
    """The sink for one turn and, when the speaker could not be used, why (to tell the user)."""

    sink: AudioSink
    problem: SovaError | None = None
    no_speaker: bool = False


def open_sink(config: SovaConfig, speak: bool) -> SinkChoice:
    """Pick the speaker when `speak` and one exists; else a silent sink (the reply is still shown)."""
    if not speak:
        return SinkChoice(NullSink())
    if not default_output_available() and not config.audio.devices.output:
        return SinkChoice(NullSink(), no_speaker=True)
    try:
        # Any: SpeakerSink.first_audio_at is a read-only property, which mypy does not accept for the
        # protocol's plain attribute (an engine typing issue, reported)
        speaker: Any = SpeakerSink(config.audio.devices.output or None)
        return SinkChoice(speaker)
    except SovaError as exc:
        return SinkChoice(NullSink(), problem=exc)


def list_devices(kind: str) -> list[str]:
    """Names of the sound devices with `kind` ("input"/"output") channels; empty when sound is unavailable."""
    try:
        sd = load_sounddevice()
        devices = sd.query_devices()
    except Exception:  # no PortAudio, no server: the dialog then offers only "system default"
        return []
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    names = [str(d["name"]) for d in devices if int(d.get(channels, 0)) > 0]
    return list(dict.fromkeys(names))
