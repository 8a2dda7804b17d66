"""Audio files, resampling, sinks and sources, without models or sound devices."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from engine.audio.io import decode_audio_bytes, downmix, read_audio, write_wav
from engine.audio.resample import resample, to_whisper_input
from engine.audio.sinks import AudioSink, PlaybackBuffer, SpeakerSink, WavFileSink, parse_device
from engine.audio.sources import BLOCK_SAMPLES, AudioSource, MicrophoneSource, WavFileSource, rms_level
from engine.audio.types import Audio
from engine.errors import AudioDeviceError, AudioInputError

DATA = Path(__file__).resolve().parents[1] / "data"


def tone(freq: float, seconds: float, rate: int, amp: float = 0.5) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples))
    return float(np.fft.rfftfreq(len(audio.samples), 1 / audio.sample_rate)[int(np.argmax(spectrum))])


# --- reading and writing ---------------------------------------------------------------------


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    original = Audio(tone(440, 0.5, 16000), 16000)
    write_wav(tmp_path / "a.wav", original)
    info = sf.info(str(tmp_path / "a.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    back = read_audio(tmp_path / "a.wav")
    assert back.sample_rate == 16000
    assert back.samples.dtype == np.float32
    assert len(back.samples) == len(original.samples)
    assert np.max(np.abs(back.samples - original.samples)) < 2 / 32767


def test_write_clips_out_of_range_samples(tmp_path: Path) -> None:
    write_wav(tmp_path / "loud.wav", Audio(np.array([2.0, -3.0, 0.5], dtype=np.float32), 8000))
    back = read_audio(tmp_path / "loud.wav").samples
    assert back[0] == pytest.approx(1.0, abs=1e-4)
    assert back[1] == pytest.approx(-1.0, abs=1e-4)
    assert back[2] == pytest.approx(0.5, abs=1e-4)


def test_stereo_44k_is_downmixed_and_resampled(tmp_path: Path) -> None:
    left, right = tone(440, 1.0, 44100, 0.6), tone(440, 1.0, 44100, 0.2)
    sf.write(str(tmp_path / "stereo.wav"), np.stack([left, right], axis=1), 44100, subtype="FLOAT")
    audio = read_audio(tmp_path / "stereo.wav")
    assert audio.sample_rate == 44100
    assert np.allclose(audio.samples, (left + right) / 2, atol=1e-6)
    pcm = to_whisper_input(audio)
    assert pcm.sample_rate == 16000
    assert abs(len(pcm.samples) - 16000) <= 1
    assert peak_hz(pcm) == pytest.approx(440, abs=2)
    assert np.max(np.abs(pcm.samples)) == pytest.approx(0.4, abs=0.02)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_formats_libsndfile_knows_are_read(tmp_path: Path, fmt: str, subtype: str) -> None:
    if fmt == "OGG":
        subtype = "VORBIS"
    elif fmt == "FLAC" and subtype == "FLOAT":
        subtype = "PCM_16"
    path = tmp_path / f"a.{fmt.lower()}"
    sf.write(str(path), tone(300, 0.5, 22050), 22050, format=fmt, subtype=subtype)
    audio = read_audio(path)
    assert audio.sample_rate == 22050
    assert peak_hz(audio) == pytest.approx(300, abs=3)


def test_silence_is_not_an_error(tmp_path: Path) -> None:
    audio = read_audio(DATA / "silence_2s.wav")
    assert audio.duration_s == pytest.approx(2.0)
    assert not audio.samples.any()


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str, str]]:
    """name -> (path, expected code, text the message must hold)"""
    (tmp / "empty.wav").write_bytes(b"")
    (tmp / "garbage.wav").write_bytes(bytes(range(256)) * 20)
    (tmp / "notes.txt").write_text("What is the capital of France?\n" * 50)
    sf.write(str(tmp / "noframes.wav"), np.zeros(0, np.float32), 16000)
    good = (DATA / "en_capital_france.wav").read_bytes()
    (tmp / "truncated.wav").write_bytes(good[:30])
    (tmp / "folder.wav").mkdir()
    return {
        "missing": (tmp / "nope.wav", "audio_missing", "does not exist"),
        "folder": (tmp / "folder.wav", "audio_missing", "folder"),
        "empty": (tmp / "empty.wav", "audio_empty", "empty (0 bytes)"),
        "no frames": (tmp / "noframes.wav", "audio_empty", "no audio"),
        "garbage": (tmp / "garbage.wav", "audio_unreadable", "not audio"),
        "text": (tmp / "notes.txt", "audio_unreadable", "not audio"),
        "truncated header": (tmp / "truncated.wav", "audio_unreadable", "not audio"),
    }


@pytest.mark.parametrize("case", ["missing", "folder", "empty", "no frames", "garbage", "text", "truncated header"])
def test_bad_files_raise_audio_input_error_with_a_hint(tmp_path: Path, case: str) -> None:
    path, code, text = _bad_inputs(tmp_path)[case]
    with pytest.raises(AudioInputError) as err:
        read_audio(path)
    assert err.value.code == code
    assert text in err.value.message
    assert str(path) in err.value.message
    assert err.value.hint


def test_too_long_names_the_cap_and_the_setting(tmp_path: Path) -> None:
    write_wav(tmp_path / "long.wav", Audio(np.zeros(16000 * 3, np.float32), 16000))
    assert read_audio(tmp_path / "long.wav", max_seconds=3.0).duration_s == pytest.approx(3.0)
    with pytest.raises(AudioInputError) as err:
        read_audio(tmp_path / "long.wav", max_seconds=2.5)
    assert err.value.code == "audio_too_long"
    assert "3.0 s" in err.value.message and "2.5 s" in err.value.message
    assert "[audio.stt] max_audio_seconds" in str(err.value)


def test_decode_bytes() -> None:
    data = (DATA / "en_days_week.wav").read_bytes()
    audio = decode_audio_bytes(data)
    from_file = read_audio(DATA / "en_days_week.wav")
    assert audio.sample_rate == from_file.sample_rate
    assert np.array_equal(audio.samples, from_file.samples)
    with pytest.raises(AudioInputError, match="empty"):
        decode_audio_bytes(b"")
    with pytest.raises(AudioInputError, match="not audio"):
        decode_audio_bytes(b"RIFF nonsense" * 10, name="the upload")
    with pytest.raises(AudioInputError, match="limit is 1 s"):
        decode_audio_bytes(data, max_seconds=1)


def test_downmix_scales_integer_pcm() -> None:
    pcm = np.array([[32767, -32767], [16384, 16384]], dtype=np.int16)
    assert downmix(pcm) == pytest.approx([0.0, 0.5], abs=1e-4)
    assert downmix(np.array([0.25, 0.5], dtype=np.float64)).dtype == np.float32
    with pytest.raises(ValueError):
        downmix(np.zeros((2, 2, 2)))


# --- resampling ------------------------------------------------------------------------------


def test_resample_returns_the_same_object_at_the_same_rate() -> None:
    audio = Audio(tone(100, 0.1, 16000), 16000)
    assert resample(audio, 16000) is audio
    assert to_whisper_input(audio) is audio


@pytest.mark.parametrize(("src", "dst"), [(22050, 16000), (48000, 16000), (16000, 22050), (8000, 44100)])
def test_resample_keeps_duration_and_pitch(src: int, dst: int) -> None:
    out = resample(Audio(tone(500, 1.0, src), src), dst)
    assert out.sample_rate == dst
    assert out.samples.dtype == np.float32
    assert abs(len(out.samples) - dst) <= 1
    assert peak_hz(out) == pytest.approx(500, abs=2)


def test_resample_empty_and_bad_rate() -> None:
    out = resample(Audio.empty(22050), 16000)
    assert (out.sample_rate, len(out.samples)) == (16000, 0)
    with pytest.raises(ValueError):
        resample(Audio.empty(16000), 0)


# --- sinks -----------------------------------------------------------------------------------


def test_playback_buffer_plays_in_order_and_counts() -> None:
    buf = PlaybackBuffer(10)
    buf.push(np.arange(1, 6, dtype=np.float32))
    buf.push(np.arange(6, 9, dtype=np.float32))
    buf.push(np.zeros(0, np.float32))
    out = np.full(4, -1.0, np.float32)
    assert buf.fill(out) == 4
    assert buf.first_audio_at is not None
    assert out.tolist() == [1, 2, 3, 4]
    assert buf.fill(out) == 4
    assert out.tolist() == [5, 6, 7, 8]
    assert (buf.played, buf.pending) == (8, 0)
    assert buf.fill(out) == 0
    assert out.tolist() == [0, 0, 0, 0]  # silence once the queue is dry
    assert buf.wait_empty(0)


def test_playback_buffer_clear_drops_the_queue() -> None:
    buf = PlaybackBuffer(10)
    buf.push(np.ones(10, np.float32))
    out = np.zeros(3, np.float32)
    buf.fill(out)
    assert not buf.wait_empty(0)
    assert buf.clear() == 7
    assert buf.fill(out) == 0 and not out.any()
    assert buf.played == 3
    buf.reset_counters()
    assert (buf.played, buf.first_audio_at) == (0, None)


def test_playback_buffer_drain_waits_for_the_consumer() -> None:
    buf = PlaybackBuffer(10)
    buf.push(np.ones(50, np.float32))

    def consume() -> None:
        out = np.zeros(5, np.float32)
        while buf.fill(out):
            pass

    threading.Thread(target=consume).start()
    assert buf.wait_empty(30)
    assert buf.played == 50


def test_wav_file_sink_collects_resamples_and_writes(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "out.wav")
    assert isinstance(sink, AudioSink)
    assert sink.first_audio_at is None
    sink.play(Audio(tone(300, 0.5, 22050), 22050))
    first = sink.first_audio_at
    assert first is not None
    sink.play(Audio(tone(300, 0.5, 16000), 16000))  # resampled to the first chunk's rate
    sink.play(Audio.empty(16000))
    assert sink.drain(0)
    assert sink.seconds_played == pytest.approx(1.0, abs=1e-3)
    assert sink.first_audio_at == first
    assert not (tmp_path / "out.wav").exists()
    sink.close()
    sink.close()
    back = read_audio(tmp_path / "out.wav")
    assert back.sample_rate == 22050
    assert back.duration_s == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(RuntimeError):
        sink.play(Audio(tone(300, 0.1, 22050), 22050))


def test_wav_file_sink_without_audio_writes_nothing(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "out.wav")
    sink.stop()
    sink.close()
    assert not (tmp_path / "out.wav").exists()
    assert sink.seconds_played == 0.0


@pytest.mark.parametrize(
    ("value", "expected"), [("", None), ("  ", None), (None, None), ("3", 3), (2, 2), ("USB Mic", "USB Mic")]
)
def test_parse_device(value: str | int | None, expected: str | int | None) -> None:
    assert parse_device(value) == expected


class FakeStream:
    """Stands in for a PortAudio stream: the test drives its callback."""

    latency = 0.0

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.callback = kwargs["callback"]
        self.started = self.closed = False
        FakeSoundDevice.streams.append(self)

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.closed = True


class FakeSoundDevice(types.ModuleType):
    streams: list[FakeStream] = []  # noqa: RUF012

    class PortAudioError(Exception):
        pass

    def __init__(self, devices: bool, rate_ok: bool = True) -> None:
        super().__init__("sounddevice")
        self.devices = devices
        self.rate_ok = rate_ok
        FakeSoundDevice.streams = []

    def query_devices(self, device: Any = None, kind: str | None = None) -> dict[str, Any]:
        if not self.devices:
            raise ValueError(f"No {kind} device matching {device!r}")
        return {"name": "fake", "default_samplerate": 48000.0}

    def OutputStream(self, **kwargs: Any) -> FakeStream:
        return FakeStream(**kwargs)

    def InputStream(self, **kwargs: Any) -> FakeStream:
        if not self.rate_ok and kwargs["samplerate"] != 48000:
            raise self.PortAudioError("Invalid sample rate")
        return FakeStream(**kwargs)


def test_no_speaker_says_so_and_suggests_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice(devices=False))
    with pytest.raises(AudioDeviceError) as err:
        SpeakerSink()
    assert "no speaker found" in err.value.message
    assert "--out FILE.wav" in str(err.value)


def test_no_microphone_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice(devices=False))
    with pytest.raises(AudioDeviceError, match="no microphone found"):
        MicrophoneSource("USB Mic")


def test_missing_portaudio_is_an_audio_device_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # `import sounddevice` raises OSError when libportaudio is absent
    monkeypatch.setattr("builtins.__import__", _import_raising_oserror(__import__))
    with pytest.raises(AudioDeviceError, match="PortAudio") as err:
        SpeakerSink()
    assert "--out FILE.wav" in str(err.value)
    with pytest.raises(AudioDeviceError, match="no microphone found"):
        MicrophoneSource()


def _import_raising_oserror(real: Any) -> Any:
    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real(name, *args, **kwargs)

    return fake_import


def test_speaker_sink_plays_through_the_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice(devices=True))
    sink = SpeakerSink("2")
    assert isinstance(sink, AudioSink)
    stream = FakeSoundDevice.streams[0]
    assert stream.started and stream.kwargs["device"] == 2 and stream.kwargs["samplerate"] == 48000
    sink.play(Audio(tone(440, 0.5, 24000), 24000))  # resampled to the device's 48 kHz
    block = np.zeros((4800, 1), np.float32)
    assert sink.first_audio_at is None
    stream.callback(block, 4800, None, None)
    assert sink.first_audio_at is not None
    assert sink.seconds_played == pytest.approx(0.1)
    assert np.abs(block).max() > 0.4
    sink.stop()  # barge-in: the rest is dropped
    stream.callback(block, 4800, None, None)
    assert not block.any()
    assert sink.seconds_played == pytest.approx(0.1)
    assert sink.drain(0)
    sink.close()
    assert stream.closed


@pytest.mark.parametrize("rate_ok", [True, False])
def test_microphone_source_records_16k_blocks(monkeypatch: pytest.MonkeyPatch, rate_ok: bool) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice(devices=True, rate_ok=rate_ok))
    mic = MicrophoneSource()
    assert isinstance(mic, AudioSource)
    chunks: list[Audio] = []
    mic.on_chunk = chunks.append
    mic.start()
    stream = FakeSoundDevice.streams[-1]
    rate = stream.kwargs["samplerate"]
    assert rate == (16000 if rate_ok else 48000)
    signal = tone(440, 1.0, rate, 0.5)
    block = stream.kwargs["blocksize"]
    for i in range(0, len(signal), block):
        stream.callback(signal[i : i + block, None], block, None, None)
    recorded = mic.stop()
    assert stream.closed
    assert recorded.sample_rate == 16000
    assert abs(len(recorded.samples) - 16000) <= 32
    assert peak_hz(recorded) == pytest.approx(440, abs=3)
    assert chunks and all(c.sample_rate == 16000 for c in chunks)
    assert mic.level == pytest.approx(0.5 / np.sqrt(2), abs=0.05)


# --- sources ---------------------------------------------------------------------------------


def test_wav_file_source_delivers_everything_on_start() -> None:
    src = WavFileSource(DATA / "en_capital_france.wav")
    chunks: list[Audio] = []
    src.on_chunk = chunks.append
    assert src.level == 0.0
    src.start()
    assert src.finished.is_set()
    recorded = src.stop()
    expected = read_audio(DATA / "en_capital_france.wav")
    assert recorded.sample_rate == 16000
    assert np.array_equal(recorded.samples, expected.samples)
    assert all(len(c.samples) <= BLOCK_SAMPLES for c in chunks)
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), expected.samples)
    assert src.level == pytest.approx(rms_level(chunks[-1].samples))


def test_wav_file_source_resamples_to_16k(tmp_path: Path) -> None:
    write_wav(tmp_path / "tone.wav", Audio(tone(440, 0.5, 44100), 44100))
    src = WavFileSource(tmp_path / "tone.wav")
    src.start()
    recorded = src.stop()
    assert recorded.sample_rate == 16000
    assert abs(len(recorded.samples) - 8000) <= 1
    src.start()  # a second take starts afresh
    assert len(src.stop().samples) == len(recorded.samples)


def test_wav_file_source_realtime_paces_in_a_thread(tmp_path: Path) -> None:
    write_wav(tmp_path / "short.wav", Audio(tone(440, 0.2, 16000), 16000))
    src = WavFileSource(tmp_path / "short.wav", realtime=True)
    seen: list[int] = []
    src.on_chunk = lambda a: seen.append(len(a.samples))
    src.start()
    assert src.finished.wait(30)
    recorded = src.stop()
    assert len(recorded.samples) == 3200 == sum(seen)
    assert src.level > 0.3


def test_wav_file_source_refuses_bad_files(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"")
    with pytest.raises(AudioInputError):
        WavFileSource(tmp_path / "x.wav")


@pytest.mark.parametrize(
    ("samples", "expected"),
    [([], 0.0), ([0.0, 0.0], 0.0), ([0.5, -0.5], 0.5), ([1.0, -1.0], 1.0), ([3.0], 1.0)],
)
def test_rms_level(samples: list[float], expected: float) -> None:
    assert rms_level(np.array(samples, dtype=np.float32)) == pytest.approx(expected)
