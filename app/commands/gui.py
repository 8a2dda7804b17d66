"""`sova gui`: the Qt window."""

from __future__ import annotations

from engine.config import SovaConfig


def run_gui(config: SovaConfig) -> int:
    """Open the main window (the Qt import happens here, never in engine/)."""
    from ui.app import run

    return run(config)
