"""Window sizing and raising that keep the offscreen platform (tests, screenshots) free of warnings."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLayout, QWidget


def no_constraint(window: QWidget, min_width: int, min_height: int) -> None:
    """Give `window` a fixed minimum size instead of one its layout recomputes.

    A window whose layout changes its size constraints after it is shown makes Qt ask the platform
    to propagate size hints, which the offscreen platform answers with a warning.
    """
    layout = window.layout()
    if layout is not None:
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    window.setMinimumSize(min_width, min_height)


def bring_to_front(window: QWidget) -> None:
    """Raise and activate `window` (the offscreen platform cannot raise and warns; it activates anyway)."""
    if QGuiApplication.platformName() != "offscreen":
        window.raise_()
    window.activateWindow()
