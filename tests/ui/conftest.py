"""Fixtures for the window tests: one qasync loop and one real engine for the whole session.

The qasync loop is made "running" only for the duration of each UI test (other tests in the same
session may use asyncio.run); Qt's event processing, through qtbot.waitUntil, drives it.
"""

from __future__ import annotations

import asyncio
import time
import tomllib
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop

from app.commands.gui import gui_wiring
from app.paths import DEFAULT_CONFIG, RESOURCES_DIR
from engine.assistant import Assistant
from engine.audio.sinks import WavFileSink
from engine.audio.sources import WavFileSource
from engine.config import SovaConfig, validate_config
from engine.registry.registry import Registry
from tests.harness.engine import scripted_assistant
from tests.harness.fakes import ScriptedLLM, ScriptedSTT, ScriptedVoice
from ui.app import AssistantFactory, SovaApp
from ui.audio import NullSink, SinkChoice
from ui.qt_compat import guard_emit_refcount_leak

# PySide6 6.12.0 leaks a reference to True per Python emit: without this the session aborts at exit
guard_emit_refcount_leak()

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
LIGHT_LLM = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
TURN_TIMEOUT_MS = 240_000


def ui_config(data_dir: Path, **extra: Any) -> SovaConfig:
    """The repo defaults with the lightweight LLM as primary, short replies and a throw-away data dir."""
    overrides: dict[str, Any] = {
        "app": {"language": "en", "ui_language": "en"},
        "paths": {"data_dir": str(data_dir)},
        "llm": {
            "primary": {"id": LIGHT_LLM, "max_output_tokens": 40, "threads": 2, "temperature": 0.0},
            "lightweight": {"id": LIGHT_LLM, "max_output_tokens": 16, "threads": 2},
        },
        # the window's memory parts are tested on their own (test_memory_panel.py); a shared engine that
        # remembered would change what later tests' turns see
        "memory": {"enabled": False},
    }
    for section, values in extra.items():
        overrides[section] = {**overrides.get(section, {}), **values}
    with DEFAULT_CONFIG.open("rb") as fh:
        defaults = tomllib.load(fh)
    return validate_config([(DEFAULT_CONFIG, defaults), (data_dir / "test.toml", overrides)])


def run_async(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], timeout_s: float = 300.0) -> Any:
    """Run `coro` on the qasync loop by processing Qt events until it is done."""
    previous = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(loop)
    try:
        task = loop.create_task(coro)
        deadline = time.monotonic() + timeout_s
        while not task.done():
            if time.monotonic() > deadline:
                task.cancel()
                raise TimeoutError(f"{coro!r} did not finish in {timeout_s} s")
            QTest.qWait(10)
        return task.result()
    finally:
        asyncio.events._set_running_loop(previous)


@pytest.fixture(scope="session")
def qloop(qapp: QApplication) -> Iterator[QEventLoop]:
    """The session's qasync loop over pytest-qt's QApplication; closed at the end (its executor threads too)."""
    loop = QEventLoop(qapp)
    yield loop
    loop.close()


@pytest.fixture
def running_loop(qloop: QEventLoop) -> Iterator[QEventLoop]:
    """Make the qasync loop the running loop during one test, as it is inside the app."""
    asyncio.events._set_running_loop(qloop)
    try:
        yield qloop
    finally:
        asyncio.events._set_running_loop(None)


@pytest.fixture(scope="session")
def engine(qloop: QEventLoop, registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """One started assistant with the real default models (lightweight LLM), shared by the UI tests."""
    data_dir = tmp_path_factory.mktemp("sova-data")
    assistant = Assistant(ui_config(data_dir), registry, data_dir, RESOURCES_DIR)
    run_async(qloop, assistant.start())
    yield assistant
    run_async(qloop, assistant.close())


class Sinks:
    """A sink factory that writes each spoken reply to a WAV file, and remembers what it made."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: list[tuple[bool, Any]] = []

    def __call__(self, config: SovaConfig, speak: bool) -> SinkChoice:
        sink: Any = WavFileSink(self.folder / f"reply-{len(self.made)}.wav") if speak else NullSink()
        self.made.append((speak, sink))
        return SinkChoice(sink)


def wav_source(name: str) -> Callable[[SovaConfig], WavFileSource]:
    """A source factory replaying tests/data/<name>.wav as the microphone."""
    return lambda config: WavFileSource(DATA / f"{name}.wav")


@pytest.fixture
def sinks(tmp_path: Path) -> Sinks:
    return Sinks(tmp_path)


def make_app(
    qapp: QApplication,
    tmp_path: Path,
    config: SovaConfig,
    assistant_factory: AssistantFactory | None = None,
    **kwargs: Any,
) -> SovaApp:
    """A SovaApp whose user config.toml lives in `tmp_path` (the app's own wiring otherwise)."""
    wiring = gui_wiring(tmp_path / "config.toml", assistant_factory=assistant_factory)
    return SovaApp(config, qapp, wiring, **kwargs)


def dispose(sova: SovaApp, loop: QEventLoop) -> None:
    """Detach from the shared engine (after the turn in flight ends) and close the windows."""
    run_async(loop, sova.bridge.close(close_assistant=False))
    sova.translations.apply("en")
    sova.hotkey.unregister()
    sova.tray.dispose()
    sova.window.dispose()
    for widget in (sova.quick, sova.window):
        widget.hide()
        widget.deleteLater()
    sova.deleteLater()


@pytest.fixture
def sova(
    qapp: QApplication, running_loop: QEventLoop, engine: Assistant, tmp_path: Path, sinks: Sinks
) -> Iterator[SovaApp]:
    """The whole app on the shared engine, speaking into WAV files, hearing tests/data/en_capital_france.wav."""
    app = make_app(qapp, tmp_path, engine.config, sink_factory=sinks, source_factory=wav_source("en_capital_france"))
    engine.history.new_conversation()  # each test starts a conversation of its own
    app.bridge.attach(engine)
    app.window.show()
    yield app
    dispose(app, running_loop)


@pytest.fixture
def scripted_engine(running_loop: QEventLoop, tmp_path: Path) -> Iterator[Assistant]:
    """A started assistant over scripted fakes (tests/harness): for window tests that need no model."""
    data_dir = tmp_path / "scripted-data"
    llm = ScriptedLLM(["Red is ", "a colour. ", "So is ", "blue."])
    assistant = scripted_assistant(data_dir, ui_config(data_dir), llm, ScriptedVoice(), ScriptedSTT())
    run_async(running_loop, assistant.start(), timeout_s=30)
    yield assistant
    run_async(running_loop, assistant.close(), timeout_s=30)


@pytest.fixture
def sova_fake(
    qapp: QApplication, running_loop: QEventLoop, scripted_engine: Assistant, tmp_path: Path, sinks: Sinks
) -> Iterator[SovaApp]:
    """The whole app on a scripted engine (starts in milliseconds), hearing tests/data/en_capital_france.wav."""
    app = make_app(
        qapp, tmp_path, scripted_engine.config, sink_factory=sinks, source_factory=wav_source("en_capital_france")
    )
    app.bridge.attach(scripted_engine)
    app.window.show()
    yield app
    dispose(app, running_loop)
