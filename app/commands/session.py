"""Shared set-up of the commands that talk: the engine, the sink, printing a turn."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.paths import RESOURCES_DIR, AppPaths
from app.wiring import open_registry
from engine.assistant import Assistant, ToolConsent
from engine.audio.sinks import AudioSink, SpeakerSink, WavFileSink, default_output_available
from engine.config import SovaConfig
from engine.errors import AudioDeviceError
from engine.events import Event, Notice, TurnResult


def make_assistant(config: SovaConfig, *, tool_consent: ToolConsent = "refuse") -> tuple[Assistant, AppPaths]:
    """An assistant over the configured registry, data folder and resources (not started yet).

    `tool_consent` answers tools that change things: no window can ask the user here.
    """
    registry, paths = open_registry(config)
    for problem in registry.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return Assistant(config, registry, paths.data_dir, resources=RESOURCES_DIR, tool_consent=tool_consent), paths


def make_sink(config: SovaConfig, out: Path | None, replies_dir: Path) -> tuple[AudioSink, Path | None]:
    """`out` if given; else the speaker if one exists; else a new WAV file under `replies_dir`."""
    if out is not None:
        return WavFileSink(out), out
    if default_output_available():
        try:
            return SpeakerSink(config.audio.devices.output or None), None
        except AudioDeviceError as exc:
            print(f"note: {exc.message}; writing the reply to a file instead", file=sys.stderr)
    path = replies_dir / time.strftime("reply-%Y%m%d-%H%M%S.wav")
    replies_dir.mkdir(parents=True, exist_ok=True)
    return WavFileSink(path), path


def print_notices(event: Event) -> None:
    """Listener that shows notices (fallback models, trimmed history) on stderr."""
    if isinstance(event, Notice):
        print(f"note: {event.message}", file=sys.stderr)


def result_json(result: TurnResult, reply_audio: Path | None) -> dict[str, Any]:
    """The `--json` shape: transcript, language, emotion, reply_text, models, timings_ms, ..."""
    data = asdict(result)
    data["reply_audio"] = str(reply_audio) if reply_audio else None
    return data


def print_result(result: TurnResult, reply_audio: Path | None, as_json: bool) -> None:
    """Print one turn for a person, or as one JSON object."""
    if as_json:
        print(json.dumps(result_json(result, reply_audio), ensure_ascii=False, indent=2))
        return
    e = result.emotion
    print(f"you ({result.language}):  {result.transcript}")
    if e is not None:
        print(
            f"emotion:   {e.label} (valence {e.valence:+.2f}, arousal {e.arousal:+.2f}, "
            f"confidence {e.confidence:.2f}, {e.source})"
        )
    print(f"sova:      {result.reply_text}")
    if result.downshifted:
        print(f"downshift: {result.models.get('llm', '')} answered: {result.downshift_reason}")
    print("models:    " + ", ".join(f"{k}={v}" for k, v in result.models.items()))
    print("timings:   " + ", ".join(f"{k}={v:.0f}" for k, v in result.timings_ms.items()))
    if reply_audio:
        print(f"reply audio: {reply_audio}")
