"""Terminal mode: type a question, or the path of a WAV file, and hear (or get a file of) the answer."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from app.commands.session import make_assistant, make_sink, print_notices
from engine.audio.io import read_audio
from engine.config import SovaConfig
from engine.errors import SovaError
from engine.events import Event, ReminderDue, ReplyDelta, TranscriptReady
from engine.pipeline.inputs import AudioInput

PROMPT = "you> "
HELP = (
    "Type a question, or the path of a .wav file with a spoken question. /new starts a new conversation, /quit leaves."
)


def _stream(event: Event) -> None:
    if isinstance(event, TranscriptReady) and event.source == "audio":
        print(f"(heard: {event.transcript.text})")
    elif isinstance(event, ReplyDelta):
        print(event.text, end="", flush=True)
    elif isinstance(event, ReminderDue):  # shown at once (the prompt again after it), and spoken
        late = " (late: it fell due while Sova was closed)" if event.late else ""
        print(f"\n(reminder: {event.text}{late})\n{PROMPT}", end="", flush=True)


def _wav_path(line: str) -> Path | None:
    """The line as an audio file path, when it names one (or ends in .wav: then a bad path is an error)."""
    path = Path(line).expanduser()
    return path if line.lower().endswith(".wav") or path.is_file() else None


def _announcement_path(out_dir: Path | None) -> Path | None:
    return out_dir / time.strftime("reminder-%Y%m%d-%H%M%S.wav") if out_dir else None


async def _chat(config: SovaConfig, out_dir: Path | None) -> int:
    assistant, paths = make_assistant(config)
    assistant.bus.subscribe(print_notices)
    assistant.bus.subscribe(_stream)
    assistant.announce_sink = lambda: make_sink(config, _announcement_path(out_dir), paths.replies_dir)[0]
    print("Loading the models...", file=sys.stderr)
    await assistant.start()
    print(HELP)
    try:
        while True:
            try:
                line = (await asyncio.to_thread(input, PROMPT)).strip()
            except EOFError:
                print()
                return 0
            if not line:
                continue
            if line in ("/quit", "/exit", "/q"):
                return 0
            if line == "/new":
                assistant.history.new_conversation()
                print("(new conversation)")
                continue
            out = out_dir / time.strftime("reply-%Y%m%d-%H%M%S.wav") if out_dir else None
            sink, reply_path = make_sink(config, out, paths.replies_dir)
            print("sova> ", end="", flush=True)
            try:
                wav = await asyncio.to_thread(_wav_path, line)
                if wav is not None:
                    audio = read_audio(wav, max_seconds=config.audio.stt.max_audio_seconds)
                    await assistant.ask_audio(AudioInput(audio, time.perf_counter()), sink)
                else:
                    await assistant.ask_text(line, sink)
            except SovaError as exc:  # one bad turn does not end the session; the history is intact
                print(f"\nerror: {exc}")
                continue
            finally:
                sink.close()
            print()
            if reply_path:
                print(f"(reply audio: {reply_path})")
    finally:
        await assistant.close()


def run_chat(config: SovaConfig, out_dir: Path | None) -> int:
    """Run the terminal mode until /quit or end of input."""
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_chat(config, out_dir))
