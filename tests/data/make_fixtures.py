"""Generate the small 16 kHz mono WAV fixtures in tests/data (run once; the WAVs are committed).

English questions are spoken by Piper's joe voice (models/piper), Russian ones by eSpeak NG
(Debian's `espeak-ng` command: `apt-get install espeak-ng`). Usage:

    .venv/bin/python tests/data/make_fixtures.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.audio.io import read_audio, write_wav  # noqa: E402
from engine.audio.resample import to_whisper_input  # noqa: E402
from engine.audio.types import Audio  # noqa: E402

DATA = Path(__file__).resolve().parent
PIPER_VOICE = ROOT / "models" / "piper" / "en_US-joe-medium.onnx"
RATE = 16_000
PAD_S = 0.4  # silence around each question, so the VAD sees speech start and end

ENGLISH = {
    "en_capital_france.wav": "What is the capital of France?",
    "en_days_week.wav": "How many days are there in a week?",
}
# eSpeak's formant Russian is hard for Whisper base: each question uses the voice variant and speed
# (words per minute) that base recognised most steadily (key word and ru detection) in a small search.
RUSSIAN = {
    "ru_capital_france.wav": ("Какая столица Франции?", "ru+f5", 165),
    "ru_days_week.wav": ("Сколько дней в неделе?", "ru+f2", 165),
}


def _padded(audio: Audio) -> Audio:
    pcm = to_whisper_input(audio).samples
    pad = np.zeros(int(PAD_S * RATE), dtype=np.float32)
    return Audio(np.concatenate([pad, pcm, pad]), RATE)


def piper_speak(text: str) -> Audio:
    """`text` spoken by Piper joe."""
    from piper import PiperVoice

    voice = PiperVoice.load(PIPER_VOICE)
    chunks = list(voice.synthesize(text))
    samples = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    return Audio(samples, chunks[0].sample_rate)


def espeak_speak(text: str, voice: str = "ru", speed: int = 150) -> Audio:
    """`text` spoken by the espeak-ng command."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SystemExit("espeak-ng is not installed: `apt-get install -y espeak-ng`")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
        return read_audio(out)


def main() -> None:
    """Write every fixture."""
    for name, text in ENGLISH.items():
        write_wav(DATA / name, _padded(piper_speak(text)))
    for name, (text, voice, speed) in RUSSIAN.items():
        write_wav(DATA / name, _padded(espeak_speak(text, voice, speed)))
    write_wav(DATA / "silence_2s.wav", Audio(np.zeros(2 * RATE, dtype=np.float32), RATE))
    for path in sorted(DATA.glob("*.wav")):
        print(f"{path.name}: {path.stat().st_size} bytes, {read_audio(path).duration_s:.2f} s")


if __name__ == "__main__":
    main()
