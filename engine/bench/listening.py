"""CPU cost of listening while the push-to-talk key is held (VAD, and STT of settled segments).

`measure_listening` plays a recording into a `Listening` in microphone-sized chunks, at real-time pace
or as fast as it goes, then releases the key (`finish`) and reports the process CPU time (all threads)
from the first chunk to the transcript. With a recognizer that does nothing the figure is the VAD's
cost alone; with Whisper it is what a hold costs in all.

    python -m engine.bench.listening --seconds 60 --chunk-ms 30
    python -m engine.bench.listening --impl /tmp/old/listening.py   # another version of listening.py
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import importlib.util
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.audio.io import read_audio
from engine.audio.resample import WHISPER_RATE, to_whisper_input
from engine.audio.types import Audio
from engine.bench.stats import machine
from engine.pipeline.listening import Listening
from engine.stages.base import SpeechRecognizer, SpokenLanguage, Transcript
from engine.stages.vad.segmenter import VadParams
from engine.stages.vad.silero import SileroVAD

ROOT = Path(__file__).resolve().parents[2]
#: spoken questions committed with the tests (0.4 s of silence either side of each)
SPEECH_FILES = tuple(
    ROOT / "tests" / "data" / f"{n}.wav"
    for n in ("en_capital_france", "en_days_week", "ru_capital_france", "ru_days_week")
)

#: builds a Listening: (vad, stt, params, run_stt, loop, language), the public constructor
ListeningFactory = Callable[..., Any]


@dataclass(frozen=True)
class ListeningCost:
    """What one hold cost."""

    recognizer: str
    audio_s: float
    chunk_ms: float
    realtime: bool
    cpu_s: float  # process CPU time, all threads, from the first chunk to the transcript
    wall_s: float
    segments_done: int  # transcribed while the key was held
    transcript_chars: int

    @property
    def cpu_per_audio_s(self) -> float:
        """CPU seconds per second of audio held."""
        return self.cpu_s / self.audio_s if self.audio_s else 0.0


class SilentRecognizer:
    """A recognizer that hears one word instantly: the hold then costs only the VAD."""

    model_id = "none"

    def transcribe(self, audio: Audio, language: SpokenLanguage | None) -> Transcript:
        """A fixed word, at no cost."""
        return Transcript("word", language or "en", 1.0, audio.duration_s, self.model_id)


def speech_and_silence(clips: Sequence[Audio], seconds: float, gap_s: float = 1.0) -> Audio:
    """`seconds` of 16 kHz audio: the clips in turn, each followed by `gap_s` of silence."""
    gap = np.zeros(int(gap_s * WHISPER_RATE), np.float32)
    parts: list[np.ndarray] = []
    total, wanted = 0, int(seconds * WHISPER_RATE)
    for clip in itertools.cycle([to_whisper_input(c).samples for c in clips]):
        if total >= wanted:
            break
        parts += [clip, gap]
        total += len(clip) + len(gap)
    return Audio(np.concatenate(parts)[:wanted].astype(np.float32), WHISPER_RATE)


async def _hold(
    factory: ListeningFactory,
    vad: SileroVAD,
    stt: SpeechRecognizer,
    audio: Audio,
    chunk_s: float,
    realtime: bool,
    params: VadParams,
    language: SpokenLanguage | None,
) -> tuple[int, str]:
    loop = asyncio.get_running_loop()
    # one thread, like the scheduler's stt lane
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="bench-stt") as lane:

        async def run_stt(fn: Callable[..., Any], *args: Any) -> Any:
            return await loop.run_in_executor(lane, fn, *args)

        listening = factory(vad, stt, params, run_stt, loop, language)
        step = max(1, int(chunk_s * audio.sample_rate))
        start = time.perf_counter()
        for n, i in enumerate(range(0, len(audio.samples), step), 1):
            listening.feed(Audio(audio.samples[i : i + step], audio.sample_rate))
            # pace by the clock, not by sleeps in a row, so the hold lasts as long as the audio
            await asyncio.sleep(max(0.0, start + n * chunk_s - time.perf_counter()) if realtime else 0)
        done = listening.segments_done
        transcript = await listening.finish(audio)
    return done, transcript.text


def measure_listening(
    vad: SileroVAD,
    stt: SpeechRecognizer,
    audio: Audio,
    *,
    chunk_s: float = 0.03,
    realtime: bool = True,
    params: VadParams | None = None,
    language: SpokenLanguage | None = None,
    factory: ListeningFactory = Listening,
) -> ListeningCost:
    """Hold the key over `audio` (fed in `chunk_s` chunks), release it, and report the CPU it cost."""
    cpu, wall = time.process_time(), time.perf_counter()
    done, text = asyncio.run(_hold(factory, vad, stt, audio, chunk_s, realtime, params or VadParams(), language))
    return ListeningCost(
        recognizer=stt.model_id,
        audio_s=audio.duration_s,
        chunk_ms=chunk_s * 1000,
        realtime=realtime,
        cpu_s=time.process_time() - cpu,
        wall_s=time.perf_counter() - wall,
        segments_done=done,
        transcript_chars=len(text),
    )


def load_factory(path: Path) -> ListeningFactory:
    """The `Listening` class of another listening.py (say, an older version kept for comparison)."""
    spec = importlib.util.spec_from_file_location("sova_bench_listening_impl", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    factory: ListeningFactory = module.Listening
    return factory


def _models(recognizers: Sequence[str]) -> tuple[SileroVAD, dict[str, SpeechRecognizer]]:
    from engine.registry.registry import Registry
    from engine.stages.options import STTOptions
    from engine.stages.stt.faster_whisper import load_model as load_whisper

    state = Path(tempfile.mkdtemp(prefix="sova-bench-state-"))
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", state)
    vad = registry.get("silero-vad-v6").load()
    stts: dict[str, SpeechRecognizer] = {}
    for name in recognizers:
        stts[name] = (
            SilentRecognizer() if name == "none" else load_whisper(registry.get(name), STTOptions(device="cpu"))
        )
    return vad, stts


def main(argv: Sequence[str] | None = None) -> int:
    """Measure a hold with each recognizer asked for; print one line each (and JSON when asked)."""
    parser = argparse.ArgumentParser(prog="python -m engine.bench.listening", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the hold")
    parser.add_argument("--chunk-ms", type=float, default=30.0, help="microphone block length")
    parser.add_argument("--fast", action="store_true", help="feed as fast as possible instead of in real time")
    parser.add_argument("--recognizers", default="none,faster-whisper-base", help="'none' (VAD only) and/or STT ids")
    parser.add_argument("--impl", type=Path, help="measure the Listening of this listening.py instead")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    vad, stts = _models(args.recognizers.split(","))
    factory = load_factory(args.impl) if args.impl else Listening
    audio = speech_and_silence([read_audio(p) for p in SPEECH_FILES], args.seconds)
    vad.speech_probabilities(audio)  # warm-up: the first session runs allocate
    results = []
    for stt in stts.values():
        stt.transcribe(Audio(audio.samples[: 3 * WHISPER_RATE], WHISPER_RATE), None)
        cost = measure_listening(vad, stt, audio, chunk_s=args.chunk_ms / 1000, realtime=not args.fast, factory=factory)
        results.append(cost)
        print(
            f"{cost.recognizer:22} {cost.audio_s:5.1f} s held: CPU {cost.cpu_s:6.2f} s "
            f"({cost.cpu_per_audio_s:.3f} s per s), wall {cost.wall_s:5.1f} s, "
            f"{cost.segments_done} segments transcribed during the hold"
        )
    if args.json:
        data = {"impl": str(args.impl or "engine/pipeline/listening.py"), "environment": machine()}
        args.json.write_text(json.dumps(data | {"results": [asdict(r) for r in results]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
