"""Real human speech that Debian ships, for the speech tests and `python -m engine.bench.speech`.

- Russian: `festvox-ru`, 620 sentences read by one man (16 kHz), transcripts in `etc/txt.done.data`;
- English: `pocketsphinx-testdata`, 5 LibriVox sentences read by one woman with a `transcription` file,
  5 short phrases ("ten of clubs") with theirs, and 4 commands and numbers without one (for language
  detection only); `alsa-utils`, the 8 speaker-test words ("Front Left", 48 kHz) named by their files.

The installed files are used when the package is installed (the app's setup installs festvox-ru for
its Russian voice); otherwise the package is fetched once with `apt-get download` and unpacked with
`dpkg -x` into the repository's ignored `.cache/real-speech/`. Only tests and the benchmark do this,
never the app. `python -m tests.harness.real_speech` fetches both and prints what it found.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from engine.audio.io import read_audio
from engine.audio.types import Audio
from engine.stages.base import SpokenLanguage

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "real-speech"

RU_PACKAGE = "festvox-ru"
RU_DIR = Path("usr/share/festival/voices/russian/msu_ru_nsh_clunits")
EN_PACKAGE = "pocketsphinx-testdata"
EN_DIR = Path("usr/share/pocketsphinx/test/data")
#: raw 16 kHz 16-bit recordings of pocketsphinx-testdata that come with no transcript
EN_UNTRANSCRIBED = ("goforward.raw", "numbers.raw", "something.raw", "tidigits/dhd.2934z.raw")
ALSA_PACKAGE = "alsa-utils"
ALSA_DIR = Path("usr/share/sounds/alsa")

# ( ru_0001 "Корреспондент, американской газеты, ..." )
_FESTVOX_LINE = re.compile(r'^\(\s*(\S+)\s+"(.*)"\s*\)\s*$')
# <s> he was not an ill disposed young man </s> (sense_and_sensibility_01_austen_64kb-0880)
_SPHINX_LINE = re.compile(r"^<s>(.*)</s>\s*\((\S+)\)\s*$")


class RealSpeechUnavailable(RuntimeError):
    """The recordings are neither installed nor fetchable (no apt, no network)."""


@dataclass(frozen=True)
class Recording:
    """One recorded utterance and what was said in it (None: not known, for language detection only)."""

    id: str
    language: SpokenLanguage
    text: str | None
    path: Path

    def audio(self) -> Audio:
        """The recording, mono, at its own rate (a `.raw` file is 16 kHz 16-bit little-endian)."""
        if self.path.suffix == ".raw":
            return Audio(np.fromfile(self.path, dtype="<i2").astype(np.float32) / 32768.0, 16_000)
        return read_audio(self.path)


def parse_festvox(text: str) -> dict[str, str]:
    """`txt.done.data` -> {utterance id: sentence}, stress marks (`вол+ос`) removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = _FESTVOX_LINE.match(line.strip())
        if match:
            out[match.group(1)] = match.group(2).replace("+", "")
    return out


def parse_sphinx(text: str) -> dict[str, str]:
    """A pocketsphinx `transcription` file -> {file id: words}."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = _SPHINX_LINE.match(line.strip())
        if match:
            out[match.group(2)] = " ".join(match.group(1).split())
    return out


def package_root(package: str, probe: Path, cache_dir: Path = CACHE) -> Path:
    """The folder that `probe` (a path inside the package) is under: `/`, or the unpacked cache copy."""
    if (Path("/") / probe).exists():
        return Path("/")
    unpacked = cache_dir / package
    if (unpacked / probe).exists():
        return unpacked
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise RealSpeechUnavailable(f"{package} is not installed and apt-get/dpkg are missing")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        fetched = subprocess.run(["apt-get", "download", package], cwd=tmp, capture_output=True, text=True)
        debs = sorted(Path(tmp).glob(f"{package}_*.deb"))
        if fetched.returncode != 0 or not debs:
            raise RealSpeechUnavailable(f"apt-get download {package} failed: {fetched.stderr.strip()[-300:]}")
        staging = Path(tmp) / "root"
        subprocess.run(["dpkg", "-x", str(debs[0]), str(staging)], check=True, capture_output=True)
        if unpacked.exists() and not (unpacked / probe).exists():
            shutil.rmtree(unpacked)  # a copy of something else: replace it
        with contextlib.suppress(OSError):  # another test process unpacked it first: use theirs
            staging.rename(unpacked)  # whole or not at all: a half-unpacked copy is never found
    if not (unpacked / probe).exists():
        raise RealSpeechUnavailable(f"{package} has no {probe}")
    return unpacked


@cache
def russian() -> tuple[Recording, ...]:
    """The festvox-ru sentences with a recording, in id order."""
    folder = package_root(RU_PACKAGE, RU_DIR / "etc" / "txt.done.data") / RU_DIR
    texts = parse_festvox((folder / "etc" / "txt.done.data").read_text(encoding="utf-8"))
    return tuple(
        Recording(uid, "ru", text, folder / "wav" / f"{uid}.wav")
        for uid, text in sorted(texts.items())
        if (folder / "wav" / f"{uid}.wav").exists()
    )


@cache
def english() -> tuple[Recording, ...]:
    """The LibriVox sentences and card phrases of pocketsphinx-testdata, then ALSA's speaker-test words."""
    folder = package_root(EN_PACKAGE, EN_DIR / "librivox" / "transcription") / EN_DIR
    found: list[Recording] = []
    for sub, transcription in (("librivox", "transcription"), ("cards", "cards.transcription")):
        texts = parse_sphinx((folder / sub / transcription).read_text(encoding="utf-8"))
        found += [
            Recording(f"{sub}/{uid}", "en", text, folder / sub / f"{uid}.wav")
            for uid, text in sorted(texts.items())
            if (folder / sub / f"{uid}.wav").exists()
        ]
    alsa = package_root(ALSA_PACKAGE, ALSA_DIR / "Front_Left.wav") / ALSA_DIR
    found += [
        Recording(f"alsa/{path.stem}", "en", path.stem.replace("_", " ").lower(), path)
        for path in sorted(alsa.glob("*.wav"))
        if path.stem != "Noise"
    ]
    return tuple(found)


@cache
def english_untranscribed() -> tuple[Recording, ...]:
    """English recordings of pocketsphinx-testdata with no transcript: for language detection only."""
    folder = package_root(EN_PACKAGE, EN_DIR / "librivox" / "transcription") / EN_DIR
    return tuple(Recording(name, "en", None, folder / name) for name in EN_UNTRANSCRIBED if (folder / name).exists())


def spread(recordings: tuple[Recording, ...], count: int) -> tuple[Recording, ...]:
    """`count` recordings evenly spaced over all of them (the same ones every run)."""
    if count >= len(recordings):
        return recordings
    step = len(recordings) / count
    return tuple(recordings[int(i * step)] for i in range(count))


def main() -> int:
    """Fetch (if needed) and list what is there."""
    try:
        ru, en = russian(), english()
    except RealSpeechUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Russian: {len(ru)} recordings under {ru[0].path.parent}")
    print(f"English: {len(en)} transcribed and {len(english_untranscribed())} untranscribed recordings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
