"""`sova bench`: voice-to-voice latency, ours against the sequential baseline and the compute limit."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from app.paths import RESOURCES_DIR
from app.wiring import open_registry
from engine.assistant import Assistant
from engine.bench.runner import BenchReport, run_bench
from engine.bench.stats import machine
from engine.config import SovaConfig
from engine.stages.base import SpokenLanguage

ROWS = [
    ("v2v_ms", "voice-to-voice, ours", "ms"),
    ("baseline_v2v_ms", "voice-to-voice, sequential baseline", "ms"),
    ("limit_v2v_ms", "voice-to-voice, compute limit", "ms"),
    ("stt_ms", "STT time", "ms"),
    ("stt_rtf", "STT real-time factor", ""),
    ("emotion_ms", "emotion time", "ms"),
    ("recall_ms", "memory recall (beside emotion)", "ms"),
    ("tool_route_ms", "does it need a tool? (routing)", "ms"),
    ("llm_first_token_ms", "LLM time to first token", "ms"),
    ("llm_tokens_per_s", "LLM tokens/s", ""),
    ("first_sentence_ms", "first complete sentence (from key release)", "ms"),
    ("tts_first_audio_ms", "TTS time to first audio", "ms"),
    ("tts_rtf", "TTS real-time factor", ""),
]


def print_table(report: BenchReport) -> None:
    """The human table: median [q1-q3] per language, then the ratios."""
    langs = list(report.per_language)
    print(f"{'measure':45}" + "".join(f"{lang + ' median [q1-q3]':>30}" for lang in langs))
    for key, label, unit in ROWS:
        cells = []
        for lang in langs:
            s = report.per_language[lang].get(key)
            cells.append(
                "-"
                if s is None
                else f"{s.median:.0f} [{s.q1:.0f}-{s.q3:.0f}] {unit}"
                if unit
                else f"{s.median:.2f} [{s.q1:.2f}-{s.q3:.2f}]"
            )
        print(f"{label:45}" + "".join(f"{c:>30}" for c in cells))
    print(f"{'reply sentences (median)':45}" + "".join(f"{report.sentences[lang]:>30.0f}" for lang in langs))
    for name in ("ours_over_baseline", "ours_over_limit"):
        print(f"{name.replace('_', ' '):45}" + "".join(f"{report.ratios(lang)[name]:>30.2f}" for lang in langs))
    print(f"peak RSS: {report.peak_rss_mb:.0f} MB; {report.turns} turns per language after a warm-up")
    print(f"models: {report.models}")


async def _bench(config: SovaConfig, args: argparse.Namespace) -> int:
    registry, _paths = open_registry(config)
    # a throw-away data folder: the bench never touches the user's history, and no cached transcript helps it
    with tempfile.TemporaryDirectory(prefix="sova-bench-data-") as tmp:
        # greedy sampling: the three variants then write the same reply and time the same work
        no_cache = config.audio.stt.model_copy(update={"cache": False})
        greedy = config.llm.primary.model_copy(update={"temperature": 0.0})
        config = config.model_copy(
            update={
                "audio": config.audio.model_copy(update={"stt": no_cache}),
                "llm": config.llm.model_copy(update={"primary": greedy}),
            }
        )
        assistant = Assistant(config, registry, Path(tmp), RESOURCES_DIR)
        print("loading the models...", file=sys.stderr)
        await assistant.start()
        try:
            languages: list[SpokenLanguage] = [lang for lang in ("en", "ru") if lang in args.languages.split(",")]
            report = await run_bench(assistant, languages, args.turns, lambda m: print(m, file=sys.stderr))
        finally:
            await assistant.close()
    print_table(report)
    if args.json:
        data = report.as_json() | {"environment": machine()}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.json}")
    return 0


def run_bench_command(config: SovaConfig, args: argparse.Namespace) -> int:
    """Run `sova bench`: voice-to-voice latency, or one of the other measurements (their own modules)."""
    passed = ["--json", str(args.json)] if args.json else []
    if args.listening:
        from engine.bench import listening

        return listening.main(passed)
    if args.voices:
        from engine.bench import voices

        return voices.main([*passed, "--languages", args.languages])
    if args.speech:
        from engine.bench import speech

        return speech.main(passed)
    if getattr(args, "memory", False):  # the flag arrives with cli.py's bench parser
        from engine.bench import memory

        return memory.main([*passed, "--model", config.embeddings.main.id])
    return asyncio.run(_bench(config, args))
