"""eSpeak NG formant voices through ctypes on the libespeak-ng shipped by `espeakng_loader`.

eSpeak NG keeps one global state per loaded library (data path, voice, rate, callback), so the
library is initialised once per process and every call goes through one module-level lock.
piper's `espeakbridge` holds a separate, statically linked copy of espeak-ng; both libraries are
loaded RTLD_LOCAL, so neither sees the other's symbols or state.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.audio.types import Audio
from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.options import TTSOptions, options_for

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit()
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_PARAM_RATE = 1
_EE_OK = 0
_DEFAULT_WPM = 175
_MIN_WPM, _MAX_WPM = 80, 450  # the range espeak-ng accepts

# int callback(short *wav, int numsamples, espeak_EVENT *events); non-zero aborts synthesis
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

_LOCK = threading.Lock()


class _Engine:
    """The process-wide libespeak-ng: only touch it while holding `_LOCK`."""

    def __init__(self, data_dir: Path) -> None:
        try:
            import espeakng_loader

            lib = ctypes.CDLL(espeakng_loader.get_library_path(), mode=os.RTLD_LOCAL)
        except (ImportError, OSError) as exc:
            raise ModelUnavailableError(
                f"cannot load libespeak-ng: {exc}", hint="install the Python package espeakng-loader==0.2.4"
            ) from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        self._lib = lib
        self.data_dir = data_dir
        self._chunks: list[npt.NDArray[np.int16]] = []
        # espeak-ng 1.52 accepts the data folder itself (or its parent) as the path
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_dir).encode(), _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise ModelUnavailableError(f"eSpeak NG could not start with the data in {data_dir} (code {rate})")
        self.sample_rate = rate
        self._callback = _SynthCallback(self._collect)  # kept referenced: C holds only the pointer
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, numsamples: int, _events: Any) -> int:
        # Kept trivial: an exception here cannot propagate through C.
        if wav and numsamples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0

    def set_voice(self, voice: str) -> bool:
        """Select `voice` by name; False when eSpeak NG has no such voice."""
        return bool(self._lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK)

    def speak(self, text: str, voice: str, words_per_minute: int) -> npt.NDArray[np.int16]:
        """All samples for `text` with `voice` at `words_per_minute`."""
        if not self.set_voice(voice):
            raise StageError("tts", f"eSpeak NG has no voice {voice!r}", hint="fix `voice` in the manifest's metadata")
        self._lib.espeak_SetParameter(_PARAM_RATE, words_per_minute, 0)
        data = text.encode("utf-8")
        self._chunks = []
        code = self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
        chunks, self._chunks = self._chunks, []
        if code != _EE_OK:
            raise StageError("tts", f"eSpeak NG failed to speak (code {code})")
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


_ENGINE: _Engine | None = None


def _engine(data_dir: Path) -> _Engine:
    """Return the process's engine, initialised on first use; call with `_LOCK` held."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine(data_dir)
    elif _ENGINE.data_dir != data_dir:
        raise ModelUnavailableError(
            f"eSpeak NG already runs with the data in {_ENGINE.data_dir}; it cannot switch to {data_dir}",
            hint="restart Sova to use another eSpeak NG data folder",
        )
    return _ENGINE


class EspeakSynthesizer:
    """One eSpeak NG voice; implements `SpeechSynthesizer`."""

    def __init__(
        self, engine: _Engine, model_id: str, voice: str, *, speed: float = 1.0, base_wpm: int = _DEFAULT_WPM
    ) -> None:
        self._engine = engine
        self.model_id = model_id
        self.voice = voice
        self.sample_rate: int = engine.sample_rate
        self.words_per_minute = min(_MAX_WPM, max(_MIN_WPM, round(base_wpm * speed)))

    def synthesize(self, text: str) -> Audio:
        """Speak `text` as float32 mono at `sample_rate` (empty Audio for blank text)."""
        if not text.strip():
            return Audio.empty(self.sample_rate)
        with _LOCK:
            pcm = self._engine.speak(text, self.voice, self.words_per_minute)
        return Audio((pcm.astype(np.float32) / 32768.0), self.sample_rate)

    def synthesize_stream(self, text: str) -> Iterator[Audio]:
        """Yield the whole text as one chunk (eSpeak is fast enough not to need sentence streaming)."""
        audio = self.synthesize(text)
        if len(audio.samples):
            yield audio


def load_model(provider: ModelProvider, options: TTSOptions | None = None) -> EspeakSynthesizer:
    """Start eSpeak NG on the data folder at `provider.path` with the manifest's `voice` (default "ru").

    `options`: `TTSOptions.speed` (1.0 = the manifest's `words_per_minute`, default 175); `use_cuda`
    is ignored (eSpeak runs on the CPU).
    """
    opts = options_for(TTSOptions, options, provider.manifest.id)
    data_dir = Path(provider.path).resolve()
    model_id = provider.manifest.id
    if not (data_dir / "phontab").is_file() or not (data_dir / "voices").is_dir():
        raise ModelUnavailableError(
            f"{model_id}: {data_dir} is not an eSpeak NG data folder (no phontab or voices/)",
            hint="run `sova models install-defaults`",
        )
    voice = str(provider.manifest.metadata.get("voice", "ru"))
    speed = float(opts.speed)
    with _LOCK:
        engine = _engine(data_dir)
        if not engine.set_voice(voice):
            raise ModelUnavailableError(
                f"{model_id}: eSpeak NG has no voice {voice!r} in {data_dir}",
                hint="fix `voice` in the manifest's metadata",
            )
    base_wpm = int(provider.manifest.metadata.get("words_per_minute", _DEFAULT_WPM))
    return EspeakSynthesizer(engine, model_id, voice, speed=speed, base_wpm=base_wpm)
