"""Speech recognition on real human speech: STT word error rate, and how often `auto` hears the right language.

    python -m engine.bench.speech                      # 40 Russian and all English recordings
    python -m engine.bench.speech --ru 620 --json speech.json

The recordings are Debian's (tests/harness/real_speech.py provides them: installed, or fetched once
into .cache/): festvox-ru's read Russian sentences, pocketsphinx-testdata's and alsa-utils' English.
Each goes through what a spoken turn does with `language = "auto"`: the VAD, then language detection
on the speech it kept and `decide_language` with no previous turn and no interface language to fall
back on, so the rate is the detector's own. The first `--short-s` seconds of that speech are detected
again: that is where Whisper errs, and what `UNSURE_MARGIN` was chosen on. The WER is the text
transcribed in the recording's true language against its transcript, over all words of a language.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.audio.resample import to_whisper_input
from engine.audio.types import Audio
from engine.bench.stats import machine
from engine.bench.wer import word_errors
from engine.stages.base import SpokenLanguage
from engine.stages.stt.faster_whisper import UNSURE_MARGIN, decide_language, russian_and_english
from engine.stages.vad.segmenter import VadParams

if TYPE_CHECKING:
    from engine.stages.stt.faster_whisper import WhisperRecognizer
    from engine.stages.vad.silero import SileroVAD

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Heard:
    """One recording: the language detected on it (and on its first seconds) and the words heard."""

    id: str
    language: SpokenLanguage
    detected: SpokenLanguage
    margin: float  # |P(ru) - P(en)| on the speech; below UNSURE_MARGIN the detector is unsure
    short_detected: SpokenLanguage | None  # on the first `short_s` of speech (None: not measured)
    short_margin: float | None
    reference: str | None  # the transcript (None: not known, detection only)
    hypothesis: str  # transcribed in the true language
    errors: int
    words: int
    speech_s: float
    stt_s: float


@dataclass(frozen=True)
class Figures:
    """One language's results."""

    language: SpokenLanguage
    recordings: int
    detected_right: int
    unsure: int
    transcribed: int  # recordings with a transcript (the WER's)
    wer: float
    short_recordings: int
    short_right: int
    short_unsure: int
    short_wrong_and_sure: int  # the errors the margin does not catch
    rtf: float  # transcription seconds per second of speech

    @property
    def detection_rate(self) -> float:
        """Share of recordings whose language `auto` got right."""
        return self.detected_right / max(self.recordings, 1)


def speech_of(audio: Audio, vad: SileroVAD, params: VadParams) -> Audio:
    """The part of `audio` from the first speech the VAD finds to the end of the last (16 kHz)."""
    pcm = to_whisper_input(audio)
    segments = vad.speech_segments(pcm, params)
    if not segments:
        return pcm
    rate = pcm.sample_rate
    return Audio(pcm.samples[int(segments[0].start_s * rate) : int(segments[-1].end_s * rate)], rate)


def _detect(stt: WhisperRecognizer, speech: Audio) -> tuple[SpokenLanguage, float]:
    probabilities = stt.language_probabilities(speech)
    p_ru, p_en = russian_and_english(probabilities)
    language, _reason = decide_language(probabilities, None, None)
    return language, round(abs(p_ru - p_en), 4)


def hear(
    uid: str,
    language: SpokenLanguage,
    reference: str | None,
    audio: Audio,
    vad: SileroVAD,
    stt: WhisperRecognizer,
    *,
    params: VadParams | None = None,
    short_s: float = 1.0,
) -> Heard:
    """Detect the language of one recording and transcribe it in its true language."""
    speech = speech_of(audio, vad, params or VadParams())
    detected, margin = _detect(stt, speech)
    short_detected = short_margin = None
    if short_s > 0 and speech.duration_s > short_s:
        short_detected, short_margin = _detect(stt, Audio(speech.samples[: int(short_s * 16_000)], 16_000))
    started = time.perf_counter()
    text = stt.transcribe(speech, language).text if reference is not None else ""
    stt_s = time.perf_counter() - started
    errors, words = word_errors(reference, text) if reference is not None else (0, 0)
    return Heard(
        uid,
        language,
        detected,
        margin,
        short_detected,
        short_margin,
        reference,
        text,
        errors,
        words,
        round(speech.duration_s, 3),
        round(stt_s, 3),
    )


def summarise(heard: Sequence[Heard], language: SpokenLanguage) -> Figures:
    """The figures of `language` over `heard`."""
    mine = [h for h in heard if h.language == language]
    transcribed = [h for h in mine if h.reference is not None]
    short = [h for h in mine if h.short_detected is not None]
    unsure_short = [h for h in short if (h.short_margin or 0.0) < UNSURE_MARGIN]
    return Figures(
        language=language,
        recordings=len(mine),
        detected_right=sum(h.detected == language for h in mine),
        unsure=sum(h.margin < UNSURE_MARGIN for h in mine),
        transcribed=len(transcribed),
        wer=round(sum(h.errors for h in transcribed) / max(sum(h.words for h in transcribed), 1), 4),
        short_recordings=len(short),
        short_right=sum(h.short_detected == language for h in short),
        short_unsure=len(unsure_short),
        short_wrong_and_sure=sum(h.short_detected != language and h not in unsure_short for h in short),
        rtf=round(sum(h.stt_s for h in transcribed) / max(sum(h.speech_s for h in transcribed), 1e-9), 3),
    )


def wer_by_source(heard: Sequence[Heard]) -> dict[str, tuple[float, int]]:
    """WER and recordings per source ("festvox", "librivox", "cards", "alsa": the part of the id before "/")."""
    groups: dict[str, list[Heard]] = {}
    for h in heard:
        if h.reference is not None:
            groups.setdefault(h.id.split("/")[0] if "/" in h.id else "festvox", []).append(h)
    return {
        source: (round(sum(h.errors for h in hs) / max(sum(h.words for h in hs), 1), 4), len(hs))
        for source, hs in groups.items()
    }


def report_line(f: Figures, short_s: float) -> str:
    """One language's figures, for the terminal."""
    line = (
        f"{f.language}: language right {f.detected_right}/{f.recordings} ({f.detection_rate:.1%}), "
        f"unsure {f.unsure}; WER {f.wer:.1%} over {f.transcribed} transcribed (RTF {f.rtf:.2f})"
    )
    if not f.short_recordings:
        return line
    return line + (
        f"; first {short_s:g} s only: right {f.short_right}/{f.short_recordings}, unsure {f.short_unsure}, "
        f"wrong and sure {f.short_wrong_and_sure}"
    )


def _models(threads: int) -> tuple[SileroVAD, WhisperRecognizer]:
    from engine.registry.registry import Registry
    from engine.stages.options import STTOptions
    from engine.stages.stt.faster_whisper import load_model as load_whisper

    registry = Registry.from_dirs(
        [ROOT / "models" / "manifests"], ROOT / "models", Path(tempfile.mkdtemp(prefix="sova-bench-state-"))
    )
    vad = registry.get("silero-vad-v6").load()
    stt = load_whisper(registry.get("faster-whisper-base"), STTOptions(device="cpu", threads=threads, beam_size=1))
    return vad, stt


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print one line per language, and write JSON when asked."""
    parser = argparse.ArgumentParser(prog="python -m engine.bench.speech", description=__doc__.split("\n")[0])
    parser.add_argument("--ru", type=int, default=40, help="Russian recordings, spread over all 620")
    parser.add_argument("--en", type=int, default=0, help="English recordings (0: all there are)")
    parser.add_argument("--short-s", type=float, default=1.0, help="also detect on this much speech (0: off)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))  # the recordings come from the test harness, which fetches them
    from engine.bench import real_speech

    english = real_speech.english() + real_speech.english_untranscribed()
    recordings = real_speech.spread(real_speech.russian(), args.ru) + (
        real_speech.spread(english, args.en) if args.en else english
    )
    vad, stt = _models(args.threads)
    stt.transcribe(Audio.empty(16_000), "en")  # nothing to hear: loads what the first call would
    started = time.perf_counter()
    heard = []
    for recording in recordings:
        heard.append(
            hear(recording.id, recording.language, recording.text, recording.audio(), vad, stt, short_s=args.short_s)
        )
        print(
            f"  {heard[-1].id}: {heard[-1].detected} ({heard[-1].margin:.2f}) {heard[-1].hypothesis}", file=sys.stderr
        )
    figures = [summarise(heard, language) for language in ("ru", "en")]
    for f in figures:
        print(report_line(f, args.short_s))
    by_source = wer_by_source(heard)
    print("WER by source: " + ", ".join(f"{k} {w:.1%} (n={n})" for k, (w, n) in by_source.items()))
    print(
        f"({len(heard)} recordings in {time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs, "
        f"Whisper base int8, beam 1, {args.threads} threads)"
    )
    if args.json:
        environment = machine() | {
            "threads": args.threads,
            "unsure_margin": UNSURE_MARGIN,
            "short_s": args.short_s,
        }
        data = {
            "environment": environment,
            "figures": [asdict(f) | {"detection_rate": f.detection_rate} for f in figures],
            "wer_by_source": {k: {"wer": w, "recordings": n} for k, (w, n) in by_source.items()},
            "recordings": [asdict(h) for h in heard],
        }
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
