"""`sova ask`: one turn from a WAV file or text, the spoken reply to a file or the speaker."""

from __future__ import annotations

import argparse
import asyncio
import time

from app.commands.session import make_assistant, make_sink, print_notices, print_result
from engine.audio.io import read_audio
from engine.config import SovaConfig
from engine.pipeline.inputs import AudioInput


async def _ask(config: SovaConfig, args: argparse.Namespace) -> int:
    # read the input first: a bad file is reported before seconds of model loading
    audio = read_audio(args.wav, max_seconds=config.audio.stt.max_audio_seconds) if args.wav else None
    assistant, paths = make_assistant(config, tool_consent="allow" if args.yes else "refuse")
    assistant.bus.subscribe(print_notices)
    try:
        await assistant.start()
        if args.new_conversation:
            assistant.new_conversation()
        sink, reply_path = make_sink(config, args.out, paths.replies_dir)
        try:
            if audio is not None:
                result = await assistant.ask_audio(AudioInput(audio, time.perf_counter()), sink, language=args.language)
            else:
                result = await assistant.ask_text(args.text, sink, language=args.language)
        finally:
            sink.close()
        print_result(result, reply_path, args.json)
        # what was said is remembered before the process exits (the write runs after the reply)
        await assistant.flush_memory()
        return 0
    finally:
        await assistant.close()


def run_ask(config: SovaConfig, args: argparse.Namespace) -> int:
    """Run `sova ask`; errors propagate to the CLI boundary, which prints them with their exit code."""
    return asyncio.run(_ask(config, args))
