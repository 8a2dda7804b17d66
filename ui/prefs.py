"""Window-only preferences (the hold key, the global hotkey), in ui.toml beside the user's config.toml.

They live apart from config.toml because the engine's config schema has no [ui] table and refuses
unknown keys; see docs/ui.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from app.paths import user_config_file
from ui.toml_writer import dumps


@dataclass(frozen=True)
class UiPrefs:
    """What the settings dialog stores for the window itself."""

    hold_key: str = "Space"  # QKeySequence text; held while the window has focus
    global_hotkey: str = ""  # e.g. "Ctrl+Alt+Space" (X11 only); empty: off
    speak_quick_answers: bool = True


def prefs_file() -> Path:
    """ui.toml next to the user's config.toml."""
    return user_config_file().with_name("ui.toml")


def load_prefs(path: Path) -> UiPrefs:
    """Read the saved preferences; the defaults for a missing or unreadable file (they are not critical)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh).get("ui", {})
    except (OSError, tomllib.TOMLDecodeError):
        return UiPrefs()
    defaults = UiPrefs()
    values = {}
    for name, default in asdict(defaults).items():
        value = data.get(name, default)
        values[name] = value if isinstance(value, type(default)) else default
    return UiPrefs(**values)


def save_prefs(path: Path, prefs: UiPrefs) -> None:
    """Write atomically (a crash never leaves half a file)."""
    write_atomic(path, dumps({"ui": asdict(prefs)}))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` via a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
