"""What the settings dialog edits, and saving it safely (no Qt here: tested by tables).

Saving merges the dialog's values into the user's existing config.toml (other keys are kept; a key
set back to its default is removed), validates the merged result with `engine.config.validate_config`
plus checks the schema cannot make (the model is installed, the persona exists), and only then
replaces the file atomically. Any problem raises ConfigError and leaves the file untouched.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from engine.config import SovaConfig, validate_config
from engine.errors import ConfigError
from engine.registry.registry import Registry
from ui.prefs import write_atomic
from ui.toml_writer import dumps

#: dialog field -> config key path
KEYS: dict[str, tuple[str, ...]] = {
    "language": ("app", "language"),
    "ui_language": ("app", "ui_language"),
    "persona": ("app", "persona"),
    "input_device": ("audio", "devices", "input"),
    "output_device": ("audio", "devices", "output"),
    "voice_en": ("audio", "tts", "en"),
    "voice_ru": ("audio", "tts", "ru"),
    "llm_primary": ("llm", "primary", "id"),
    "llm_lightweight": ("llm", "lightweight", "id"),
}


@dataclass(frozen=True)
class SettingsValues:
    """The values the dialog shows, one per field of KEYS."""

    language: str
    ui_language: str
    persona: str
    input_device: str
    output_device: str
    voice_en: str
    voice_ru: str
    llm_primary: str
    llm_lightweight: str

    @classmethod
    def from_config(cls, config: SovaConfig) -> SettingsValues:
        """Read the values of `config`."""
        return cls(
            language=config.app.language,
            ui_language=config.app.ui_language,
            persona=config.app.persona,
            input_device=config.audio.devices.input,
            output_device=config.audio.devices.output,
            voice_en=config.audio.tts.en,
            voice_ru=config.audio.tts.ru,
            llm_primary=config.llm.primary.id,
            llm_lightweight=config.llm.lightweight.id,
        )

    def as_dict(self) -> dict[str, str]:
        """Field -> value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Choices:
    """What may be picked: installed models by role, persona names."""

    llms: tuple[str, ...] = ()
    voices_en: tuple[str, ...] = ()
    voices_ru: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()


def installed_choices(registry: Registry, personas_dir: Path) -> Choices:
    """Installed LLM and voice manifests (never hashes: status only), and the persona files."""

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


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _delete(data: dict[str, Any], path: tuple[str, ...]) -> None:
    parents = [data]
    for part in path[:-1]:
        child = parents[-1].get(part)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):  # drop tables the removal left empty
        if not parents[depth]:
            parents[depth - 1].pop(path[depth - 1], None)


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def user_data_with(existing: Mapping[str, Any], values: SettingsValues, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Merge the dialog's values into the user's config data: set where they differ from the defaults, else removed."""
    data = _copy(existing)
    for name, value in values.as_dict().items():
        path = KEYS[name]
        if _get(defaults, path) == value:
            _delete(data, path)
        else:
            _set(data, path, value)
    return data


def check_choices(values: SettingsValues, current: SettingsValues, choices: Choices, source: Path) -> list[str]:
    """Problems the schema cannot see, for values the user changed, in validate_config's format."""
    allowed = {
        "llm_primary": choices.llms,
        "llm_lightweight": choices.llms,
        "voice_en": choices.voices_en,
        "voice_ru": choices.voices_ru,
        "persona": choices.personas,
    }
    problems = []
    for name, options in allowed.items():
        value = getattr(values, name)
        if not value or value == getattr(current, name) or value in options:
            continue  # empty values are the schema's to refuse
        what = "persona file" if name == "persona" else "installed model"
        known = ", ".join(options) or "none"
        problems.append(f"{source}: {'.'.join(KEYS[name])}: no {what} named {value!r} (available: {known})")
    return problems


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"], hint="fix or delete the file, then save again") from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None


def save_settings(
    values: SettingsValues, current: SettingsValues, choices: Choices, *, user_file: Path, default_file: Path
) -> SovaConfig:
    """Validate the merged config, then write the user's file; ConfigError (file untouched) otherwise."""
    defaults = _load_toml(default_file)
    data = user_data_with(_load_toml(user_file), values, defaults)
    problems = check_choices(values, current, choices, user_file)
    try:
        config = validate_config([(default_file, defaults), (user_file, data)])
    except ConfigError as exc:
        problems = exc.problems + problems
    if problems:
        raise ConfigError(problems, hint="correct the highlighted settings")
    write_atomic(user_file, dumps(data))
    return config


_LOC = re.compile(r": ([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*): ")


def problem_fields(problems: Iterable[str]) -> set[str]:
    """Return the dialog fields that the problems name (by their config key)."""
    by_key = {".".join(path): name for name, path in KEYS.items()}
    named: set[str] = set()
    for problem in problems:
        for match in _LOC.finditer(problem):
            loc = match.group(1)
            named.update(name for key, name in by_key.items() if key == loc or key.startswith(loc + "."))
    return named


def needs_restart(old: SovaConfig, new: SovaConfig) -> bool:
    """Whether the models must be reloaded for `new` (other settings apply at once)."""
    return (
        old.llm != new.llm
        or old.audio.tts != new.audio.tts
        or old.audio.stt != new.audio.stt
        or old.audio.vad != new.audio.vad
        or old.app.persona != new.app.persona
        or old.embeddings != new.embeddings
        or old.classification != new.classification
    )
