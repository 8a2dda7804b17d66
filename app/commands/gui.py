"""`sova gui`: the window's composition root: builds what the UI needs and hands it in (ui/ never imports app/)."""

from __future__ import annotations

from pathlib import Path

from app.commands.session import make_assistant
from app.paths import DEFAULT_CONFIG, ICON_FILE, user_config_file
from app.wiring import model_choices
from engine.assistant import Assistant
from engine.config import SovaConfig
from ui.app import AssistantFactory, Wiring, run


def default_assistant(config: SovaConfig) -> Assistant:
    """A new assistant over the configured registry and data folder (not started).

    Tools that change things ask the user in the window (`ConfirmationRequested`).
    """
    return make_assistant(config, tool_consent="ask")[0]


def gui_wiring(user_file: Path | None = None, *, assistant_factory: AssistantFactory | None = None) -> Wiring:
    """The files and builders the window needs; `user_file` defaults to `user_config_file()`.

    Tests pass their own user file and assistant factory.
    """
    return Wiring(
        user_file=user_file or user_config_file(),
        default_file=DEFAULT_CONFIG,
        icon_file=ICON_FILE,
        assistant_factory=assistant_factory or default_assistant,
        list_choices=model_choices,
    )


def run_gui(config: SovaConfig) -> int:
    """Open the main window until the user quits; returns the exit status."""
    return run(config, gui_wiring())
