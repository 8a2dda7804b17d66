"""Reading text in an image with Tesseract OCR (Debian's `tesseract-ocr`, rus + eng), called as a program.

The image is prepared first: grey levels only, and small images (a screen's 11-14 px text) scaled up
so Tesseract sees letters of the height it was trained on. The program gets the PNG on its stdin and
prints the text on stdout; a run past its time limit is killed.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil

from PIL import Image

from engine.errors import ErrorCode, SovaError

#: the languages read, as Tesseract names them (Debian: tesseract-ocr-rus, tesseract-ocr-eng)
LANGUAGES = "rus+eng"
#: images narrower than this are scaled up (twice as large) before reading
UPSCALE_BELOW_PX = 2200
#: never make the image larger than this many pixels (time grows with the area)
MAX_PIXELS = 12_000_000
INSTALL_HINT = "install Tesseract: sudo apt install tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng"


class OCRError(SovaError):
    """Tesseract is missing, failed, or ran past its time limit."""

    # TODO(lead): a dedicated ErrorCode.TOOL_FAILED ("tool_failed") would fit better
    code = ErrorCode.SOVA


def prepare(image: Image.Image) -> Image.Image:
    """Grey levels, and twice the size when the image is small enough (small text reads better larger)."""
    grey = image.convert("L")
    doubled = grey.width * grey.height * 4
    if grey.width < UPSCALE_BELOW_PX and doubled <= MAX_PIXELS:
        grey = grey.resize((grey.width * 2, grey.height * 2), Image.Resampling.LANCZOS)
    return grey


def png_bytes(image: Image.Image) -> bytes:
    """`image` encoded as PNG (fast, lossless: what Tesseract reads on its stdin)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def tesseract_path() -> str:
    """The `tesseract` program; OCRError saying how to install it when it is missing."""
    path = shutil.which("tesseract")
    if path is None:
        raise OCRError("Tesseract OCR is not installed, so Sova cannot read the screen", hint=INSTALL_HINT)
    return path


async def read_text(image: Image.Image, *, timeout_s: float = 30.0, languages: str = LANGUAGES) -> str:
    """The text Tesseract reads in `image` (prepared first); OCRError when it is missing, fails or times out."""
    program = tesseract_path()
    data = await asyncio.to_thread(lambda: png_bytes(prepare(image)))
    # one thread: Tesseract's OpenMP threads fight the speech models for a small machine's cores
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    process = await asyncio.create_subprocess_exec(
        program,
        "stdin",
        "stdout",
        "-l",
        languages,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(data), timeout_s)
    except TimeoutError:
        raise OCRError(
            f"reading the screen took longer than {timeout_s:g} s and was stopped",
            hint="try again with less on the screen, or on a less busy machine",
        ) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        reason = _last_line(err.decode("utf-8", "replace"))
        hint = INSTALL_HINT if "language" in reason.lower() or "traineddata" in reason else None
        raise OCRError(f"Tesseract failed (status {process.returncode}): {reason}", hint=hint)
    return tidy(out.decode("utf-8", "replace"))


def tidy(text: str) -> str:
    """OCR output without trailing spaces, form feeds and runs of blank lines."""
    lines = [line.rstrip() for line in text.replace("\f", "\n").splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no message"
