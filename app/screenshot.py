"""Developer tool: regenerate docs/screenshot.png from the real window in the middle of a conversation.

    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python -m app.screenshot docs/screenshot.png

Uses the installed default models, a throw-away data folder and user config (yours are not
touched), the recorded question tests/data/en_capital_france.wav as the microphone, and no speaker.
It lives in app/ because it wires the window itself, as `sova gui` does (ui/ never imports app/).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from app.commands.gui import default_assistant, gui_wiring
from app.paths import DEFAULT_CONFIG, PROJECT_ROOT
from engine.audio.sources import WavFileSource
from engine.config import SovaConfig, validate_config
from engine.fileio import read_toml
from ui.app import SovaApp
from ui.audio import NullSink, SinkChoice
from ui.qt_compat import guard_emit_refcount_leak

QUESTION_WAV = PROJECT_ROOT / "tests" / "data" / "en_capital_france.wav"


def _config(data_dir: Path) -> SovaConfig:
    overrides = {"app": {"ui_language": "en"}, "paths": {"data_dir": str(data_dir)}}
    return validate_config([(DEFAULT_CONFIG, read_toml(DEFAULT_CONFIG)), (data_dir / "screenshot.toml", overrides)])


async def _shoot(sova: SovaApp, out: Path) -> None:
    bridge, window = sova.bridge, sova.window
    window.resize(980, 680)
    window.show()
    await bridge.start(default_assistant(sova.config))
    bridge.begin_recording()
    spoken = bridge.end_recording()
    if spoken is not None:
        await spoken
    typed = bridge.ask_text("And Germany? One short sentence.")
    if typed is not None:
        await typed
    streaming = bridge.ask_text("Назови три самые длинные реки России.")
    # grab while the reply is still streaming in
    for _ in range(6000):
        bubbles = window.chat.bubbles()
        if bubbles and bubbles[-1].role == "assistant" and len(bubbles[-1].text()) > 40:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    window.grab().save(str(out))
    bridge.interrupt()
    if streaming is not None:
        await streaming
    await sova.shutdown()


def main(argv: list[str]) -> int:
    """Write the screenshot to argv[0] (default docs/screenshot.png)."""
    out = Path(argv[0] if argv else PROJECT_ROOT / "docs" / "screenshot.png")
    qapp = QApplication(sys.argv[:1])
    guard_emit_refcount_leak()
    loop = QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["SOVA_DATA_DIR"] = str(folder)
        sova = SovaApp(
            _config(folder),
            qapp,
            gui_wiring(folder / "config.toml"),
            sink_factory=lambda config, speak: SinkChoice(NullSink()),
            source_factory=lambda config: WavFileSource(QUESTION_WAV),
        )
        with loop:
            loop.run_until_complete(_shoot(sova, out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
