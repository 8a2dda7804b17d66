"""The screen tool with the real parts: Tesseract (rus+eng) on rendered text, and a real X server (Xvfb).

The OCR test renders Russian and English lines at a screen's small text size with DejaVu Sans and
bounds the character error rate of what Tesseract reads back. The screenshot tests start their own
Xvfb (a free display number chosen by Xvfb itself), show a window with text on it, and drive the tool.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from engine.tools.base import NoArgs, ToolContext, ToolResult
from engine.tools.ocr import OCRError, prepare, read_text
from engine.tools.screen import ScreenTool, capture, cut_text, display_problem

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LINES = [
    "Привет, мир! Сегодня хорошая погода.",
    "The quick brown fox jumps over the lazy dog.",
    "Файл сохранён: отчёт за ноябрь.",
    "Meeting at 10:30 with Anna and Boris.",
]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(expected: str, got: str) -> float:
    norm_expected, norm_got = " ".join(expected.split()), " ".join(got.split())
    return edit_distance(norm_expected, norm_got) / len(norm_expected)


def render(lines: list[str], size: int = 13) -> Image.Image:
    font = ImageFont.truetype(str(FONT), size)
    image = Image.new("RGB", (520, 24 + len(lines) * (size + 9)), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((12, 12 + n * (size + 9)), line, font=font, fill=(30, 30, 30))
    return image


@needs_tesseract
def test_ocr_reads_russian_and_english_screen_sized_text() -> None:
    image = render(LINES)
    assert prepare(image).size == (image.width * 2, image.height * 2)  # small text is scaled up
    text = asyncio.run(read_text(image))
    assert cer("\n".join(LINES), text) <= 0.03, text
    for word in ("Привет", "погода", "quick", "сохранён", "Boris"):
        assert word in text


@needs_tesseract
def test_ocr_of_a_blank_image_is_empty_and_a_timeout_is_plain() -> None:
    assert asyncio.run(read_text(Image.new("RGB", (200, 80), "white"))) == ""
    with pytest.raises(OCRError, match="took longer than 1e-06 s and was stopped"):
        asyncio.run(read_text(render(LINES), timeout_s=0.000001))


def test_no_display_and_wayland_are_refused_plainly() -> None:
    wayland = display_problem({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})
    assert wayland is not None and "not supported on Wayland yet" in wayland.message and "X11" in str(wayland.hint)
    none = display_problem({})
    assert none is not None and "DISPLAY is not set" in none.message
    assert display_problem({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}) is None


def test_cut_text_says_how_much_was_cut() -> None:
    assert cut_text("short", 10) == ("short", 0)
    assert cut_text("line one\nline two\nline three", 20) == ("line one\nline two", 11)
    assert cut_text("x" * 50, 20) == ("x" * 20, 30)


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A private X server (640x480), its display name; skipped only when Xvfb is not installed."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian: apt install xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as chosen:  # Xvfb writes the display number it took once it is ready
            number = chosen.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_screenshot_of_a_real_x_server_has_its_size(xvfb: str) -> None:
    image = capture(xvfb)
    assert image.size == (640, 480) and image.mode == "RGB"


WINDOW = """
import sys, tkinter as tk
root = tk.Tk()
root.geometry("640x480+0+0")
root.configure(background="white")
tk.Label(root, text=sys.argv[1], font=("DejaVu Sans", 20), background="white", justify="left").pack(padx=20, pady=40)
root.after(300, lambda: print("shown", flush=True))
root.mainloop()
"""


def test_the_tool_reads_a_window_on_a_real_x_server(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed")
    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    window = subprocess.Popen(
        [sys.executable, "-c", WINDOW, "Счёт на оплату № 42\nInvoice total: 1250 EUR"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DISPLAY": xvfb},
    )
    try:
        assert window.stdout is not None
        if window.stdout.readline().strip() != "shown":
            pytest.skip(f"no window could be shown (tkinter): {window.stderr.read() if window.stderr else ''}")
        context = ToolContext(language="ru", now=datetime(2026, 1, 1, 12, 0))
        result: ToolResult = asyncio.run(ScreenTool().call(NoArgs(), context))
    finally:
        window.terminate()
        window.communicate(timeout=10)
    assert result.ok, result.text
    assert result.text.startswith("Text on the screen (OCR")
    read = result.text.replace("ё", "е")  # Tesseract often reads ё as е
    for word in ("Счет", "оплату", "42", "Invoice", "1250", "EUR"):
        assert word in read
    assert result.data is not None and result.data["width"] == 640 and result.data["cut"] == 0


def test_the_tool_without_a_display_fails_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    context = ToolContext(language="en", now=datetime(2026, 1, 1, 12, 0))
    result = asyncio.run(ScreenTool().call(NoArgs(), context))
    assert not result.ok and "no X11 display" in result.text and "desktop session" in result.text
