"""The screen tool (seed 7): "what's on my screen?" / "прочитай, что на экране".

A screenshot of the whole X11 screen (mss, through Xlib/XCB) read with Tesseract OCR (engine/tools/ocr.py);
the text is cut to a prompt-sized limit, saying how much was cut. Wayland sessions cannot be captured
this way (the compositor forbids it without a portal): the tool says so and what to do.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mss
from PIL import Image
from pydantic import BaseModel

from engine.errors import ErrorCode, SovaError
from engine.tools.base import NoArgs, ToolContext, ToolResult, ToolSpec
from engine.tools.ocr import OCRError, read_text

#: the screen's text given to the model is cut to this many characters
MAX_SCREEN_CHARS = 3000
OCR_TIMEOUT_S = 30.0

SPEC = ToolSpec(
    name="read_screen",
    description={
        "en": "Take a screenshot and read the text on the screen (OCR). Use for: what's on my screen, read the screen.",
        "ru": "Сделать снимок экрана и прочитать текст на нём (OCR). Для: что на экране, прочитай экран.",
    },
    args=NoArgs,
    # searched in words lowered, ё as е (engine/tools/router.py)
    triggers=(
        r"\b(?:что|че)\s+(?:у\s+меня\s+|сейчас\s+|там\s+)*на\s+экране",
        r"\bпрочита\w*\s+(?:\w+\s+){0,3}экран\w*",
        r"\b(?:прочти|прочитай|считай)\s+(?:\w+\s+){0,2}(?:с|со)\s+экрана",
        r"\b(?:текст|написано)\s+на\s+экране",
        r"\bwhat(?:'s|s| is)\s+(?:on|written on)\s+(?:my|the)\s+screen",
        r"\bread\s+(?:\w+\s+){0,3}(?:my|the)\s+screen",
        r"\b(?:text|written)\s+on\s+(?:my|the)\s+screen",
    ),
)


class ScreenError(SovaError):
    """The screen cannot be captured: no display, or a Wayland session."""

    # TODO(lead): a dedicated ErrorCode.TOOL_FAILED ("tool_failed") would fit better
    code = ErrorCode.SOVA


@dataclass(frozen=True)
class ScreenText:
    """What the screen said: the text (cut to the limit), its full length, and the screenshot's size."""

    text: str
    chars: int
    cut: int
    width: int
    height: int


def display_problem(env: Mapping[str, str]) -> ScreenError | None:
    """Why this session's screen cannot be captured (None: an X11 display is there)."""
    wayland = env.get("XDG_SESSION_TYPE") == "wayland" or bool(env.get("WAYLAND_DISPLAY"))
    if wayland:
        return ScreenError(
            "reading the screen is not supported on Wayland yet: the compositor does not let programs capture it",
            hint='log in to an X11 session (on the login screen pick "GNOME on Xorg" or "Plasma (X11)") to use it',
        )
    if not env.get("DISPLAY"):
        return ScreenError(
            "there is no screen to read: no X11 display (DISPLAY is not set)",
            hint="run Sova inside your desktop session",
        )
    return None


def capture(display: str | None = None) -> Image.Image:
    """A screenshot of every monitor together (blocking: run it in a thread); ScreenError if impossible."""
    try:
        with mss.MSS(display=display) if display else mss.MSS() as shooter:
            shot = shooter.grab(shooter.monitors[0])
    except mss.ScreenShotError as exc:
        hint = "run Sova inside your X11 desktop session"
        raise ScreenError(f"the screen cannot be captured: {exc}", hint=hint) from None
    return Image.frombytes("RGB", shot.size, shot.rgb)


def cut_text(text: str, limit: int) -> tuple[str, int]:
    """`text` cut to `limit` characters at a line end where possible, and how many characters were cut."""
    if len(text) <= limit:
        return text, 0
    head = text[:limit]
    end = head.rfind("\n")
    if end > limit // 2:
        head = head[:end]
    return head, len(text) - len(head)


async def read_screen(limit: int = MAX_SCREEN_CHARS, timeout_s: float = OCR_TIMEOUT_S) -> ScreenText:
    """Capture the screen and read its text; ScreenError / OCRError say plainly what went wrong."""
    problem = display_problem(os.environ)
    if problem is not None:
        raise problem
    image = await asyncio.to_thread(capture)
    text = await read_text(image, timeout_s=timeout_s)
    shown, cut = cut_text(text, limit)
    return ScreenText(text=shown, chars=len(text), cut=cut, width=image.width, height=image.height)


def describe(screen: ScreenText) -> str:
    """What the model reads: the text, or that there was none, and how much was cut."""
    if not screen.text:
        return "The screen shows no readable text."
    note = f"\n[cut: {screen.cut} of {screen.chars} characters not shown]" if screen.cut else ""
    return f"Text on the screen (OCR, may contain errors):\n{screen.text}{note}"


class ScreenTool:
    """`read_screen`: the text on the screen, read with OCR."""

    spec = SPEC

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """No arguments to read."""
        return {}

    def __init__(self, limit: int = MAX_SCREEN_CHARS, timeout_s: float = OCR_TIMEOUT_S) -> None:
        self.limit = limit
        self.timeout_s = timeout_s

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Read the screen; a missing display, Wayland, no Tesseract or a timeout is a failed result."""
        try:
            screen = await read_screen(self.limit, self.timeout_s)
        except (ScreenError, OCRError) as exc:
            return ToolResult(ok=False, text=str(exc), data={"hint": exc.hint} if exc.hint else None)
        data = {"chars": screen.chars, "cut": screen.cut, "width": screen.width, "height": screen.height}
        return ToolResult(ok=True, text=describe(screen), data=data)
