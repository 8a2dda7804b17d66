"""The input level meter shown while push-to-talk is held."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QProgressBar, QWidget

#: the quietest level the meter shows; speech sits around -30..-10 dBFS
FLOOR_DB = -60.0


def level_to_percent(rms: float) -> int:
    """Map an RMS level in [0, 1] to 0..100 on a dB scale (FLOOR_DB..0 dBFS)."""
    if not rms > 0.0:  # also catches NaN
        return 0
    db = 20.0 * math.log10(min(rms, 1.0))
    return round(max(0.0, min(1.0, (db - FLOOR_DB) / -FLOOR_DB)) * 100)


class LevelMeter(QProgressBar):
    """A slim horizontal bar (0..100)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 100)
        self.setTextVisible(False)
        self.setMaximumHeight(8)
        self.setValue(0)

    def set_level(self, rms: float) -> None:
        """Show an RMS level."""
        self.setValue(level_to_percent(rms))
