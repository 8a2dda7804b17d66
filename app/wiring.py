"""The composition root's builders: the user's config, the model registry, what the settings may offer.

Each is built here once, for every command and the window alike. Loading the config first moves
an old ui.toml (the window's settings before they became config.toml's [ui] table) into the
user's config.toml, once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError

from app.paths import DEFAULT_CONFIG, PERSONAS_DIR, AppPaths, user_config_file
from engine.config import SovaConfig, UiSection, load_config
from engine.errors import ConfigError
from engine.fileio import read_toml, write_atomic
from engine.registry.registry import Registry
from ui.settings_model import Choices

log = logging.getLogger(__name__)

#: the window's settings file before issue 9, beside the user's config.toml
LEGACY_UI_FILE = "ui.toml"
MIGRATED_SUFFIX = ".migrated"


def load_app_config(user_file: Path | None = None) -> SovaConfig:
    """The repo defaults overlaid with the user's config (`user_config_file()` unless given)."""
    user_file = user_file or user_config_file()
    migrate_ui_toml(user_file)
    return load_config(DEFAULT_CONFIG, user_file)


def open_registry(config: SovaConfig) -> tuple[Registry, AppPaths]:
    """The registry over the configured manifest folders, and the resolved paths (the one place it is built)."""
    paths = AppPaths.from_config(config)
    return Registry.from_dirs(paths.manifests_dirs, paths.models_dir, paths.state_dir), paths


def installed_choices(registry: Registry, personas_dir: Path = PERSONAS_DIR) -> Choices:
    """Installed LLM and voice manifests (by status only, never hashing), and the persona folders."""

    def installed(kind: str, language: str | None = None) -> tuple[str, ...]:
        return tuple(
            p.manifest.id
            for p in registry.select(kind=kind, language=language)  # type: ignore[arg-type]
            if p.status().installed
        )

    # a persona is a folder with one file per reply language (resources/personas/<name>/en.md, ru.md)
    personas = (
        tuple(sorted(p.name for p in personas_dir.iterdir() if (p / "en.md").is_file()))
        if personas_dir.is_dir()
        else ()
    )
    voices_ru = ("auto", *installed("tts", "ru"))  # auto: Piper once a ru voice is installed, else eSpeak NG
    return Choices(installed("llm"), installed("tts", "en"), voices_ru, personas)


def model_choices(config: SovaConfig) -> Choices:
    """What the settings dialog offers for `config`: installed models and voices, the personas."""
    return installed_choices(open_registry(config)[0])


# -- the one-time ui.toml migration -----------------------------------------------------------------


def migrate_ui_toml(user_file: Path) -> bool:
    """Move the [ui] table of an old ui.toml beside `user_file` into `user_file`, once; True when one was found.

    Keys already in the user's [ui] table win; a value the schema refuses is dropped with a warning,
    and one equal to its default is not written (it changes nothing). The user's comments and key
    order are kept (tomlkit). ui.toml is then renamed ui.toml.migrated, so it is never read again.
    When the user's file cannot be read or written, both files are left as they are (a warning says
    why) and the next start tries again.
    """
    legacy = user_file.with_name(LEGACY_UI_FILE)
    if not legacy.is_file():
        return False
    values = _legacy_values(legacy)
    if values:
        try:
            _merge_ui_table(user_file, values)
        except (ConfigError, OSError) as exc:
            log.warning("%s was not moved into %s (tried again at the next start): %s", legacy, user_file, exc)
            return True
    done = legacy.with_name(legacy.name + MIGRATED_SUFFIX)
    try:
        legacy.replace(done)
    except OSError as exc:
        log.warning("cannot rename %s to %s: %s; delete it by hand", legacy, done.name, exc.strerror)
        return True
    log.info("moved the window settings of %s into %s [ui] (the old file is now %s)", legacy, user_file, done.name)
    return True


def _legacy_values(legacy: Path) -> dict[str, Any]:
    """The valid, non-default values of the old file's [ui] table (the rest dropped with a warning)."""
    try:
        table = read_toml(legacy).get("ui", {})
    except ConfigError as exc:
        log.warning("%s is unreadable and is set aside: %s", legacy, "; ".join(exc.problems))
        return {}
    if not isinstance(table, Mapping):
        log.warning("%s: ui is not a table; nothing to move", legacy)
        return {}
    values: dict[str, Any] = {}
    for key, value in table.items():
        field = UiSection.model_fields.get(key)
        if field is None:
            log.warning("%s: ui.%s: unknown key, dropped", legacy, key)
            continue
        try:  # strict: TOML has real types, so 1 is not a bool and 3 not a key name
            UiSection.model_validate({key: value}, strict=True)
        except ValidationError as exc:
            log.warning("%s: ui.%s = %r: %s; dropped", legacy, key, value, exc.errors()[0]["msg"])
            continue
        if value != field.default:
            values[key] = value
    return values


def _merge_ui_table(user_file: Path, values: Mapping[str, Any]) -> None:
    """Add `values` to the [ui] table of `user_file` (created when absent), keys already there winning."""
    text = ""
    if user_file.exists():
        read_toml(user_file)  # a syntax error: ConfigError with its line, and the file is left alone
        text = user_file.read_text(encoding="utf-8")
    doc = tomlkit.parse(text)
    table = doc.get("ui")
    if table is None:
        doc["ui"] = tomlkit.table()
        table = doc["ui"]
    if not isinstance(table, MutableMapping):
        raise ConfigError([f"{user_file}: ui: not a table"], keys=("ui",))
    missing = {key: value for key, value in values.items() if key not in table}
    if missing:
        table.update(missing)
        write_atomic(user_file, tomlkit.dumps(doc))
