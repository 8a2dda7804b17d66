"""Where Sova's files live: the project root and its resources, and the user's XDG config and data folders.

The one place these are defined: everything else (the window included) is handed the paths it needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_path, user_data_path

from engine.config import SovaConfig

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = PROJECT_ROOT / "config.toml"
#: prompts and personas (resources/prompts, resources/personas/<name>/{en,ru}.md)
RESOURCES_DIR = PROJECT_ROOT / "resources"
PERSONAS_DIR = RESOURCES_DIR / "personas"
#: the desktop entry and the icons
PACKAGING_DIR = PROJECT_ROOT / "packaging"
ICON_FILE = PACKAGING_DIR / "icons" / "sova.svg"
APP_NAME = "sova"


def user_config_file() -> Path:
    """The user's config: $SOVA_CONFIG, else ~/.config/sova/config.toml."""
    env = os.environ.get("SOVA_CONFIG")
    return Path(env).expanduser() if env else user_config_path(APP_NAME) / "config.toml"


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class AppPaths:
    """Every folder the app uses, resolved from the config."""

    models_dir: Path
    manifests_dirs: tuple[Path, ...]
    data_dir: Path

    @property
    def state_dir(self) -> Path:
        """Small state files (verification records, scheduler state)."""
        return self.data_dir / "state"

    @property
    def cache_dir(self) -> Path:
        """Result caches (transcripts, embeddings)."""
        return self.data_dir / "cache"

    @property
    def history_db(self) -> Path:
        """The conversation history (SQLite, WAL)."""
        return self.data_dir / "history.sqlite3"

    @property
    def replies_dir(self) -> Path:
        """Reply WAV files written when no speaker is present."""
        return self.data_dir / "replies"

    @classmethod
    def from_config(cls, config: SovaConfig) -> AppPaths:
        """Resolve relative paths against the project root; data dir: $SOVA_DATA_DIR, config, XDG."""
        data = os.environ.get("SOVA_DATA_DIR", "") or config.paths.data_dir
        data_dir = _resolve(data) if data else user_data_path(APP_NAME)
        user_manifests = data_dir / "manifests"  # manifests the user adds without touching the repo
        manifests = (*(_resolve(d) for d in config.paths.manifests_dirs), user_manifests)
        return cls(models_dir=_resolve(config.paths.models_dir), manifests_dirs=manifests, data_dir=data_dir)
