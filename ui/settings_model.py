"""What the settings dialog edits, read from the config schema, and saving it safely (no Qt: tested by tables).

Every field is named by its dotted config key; its type, allowed values, bounds and description come
from the pydantic models of `engine.config`. Saving edits the user's config.toml as a tomlkit
document: only the keys the dialog changed are set, or removed when set back to their default, so
the user's comments, key order and other keys stay. The merged result is validated
(`validate_config`, plus what the schema cannot check: the model is installed, the persona exists)
and only then is the file replaced atomically. Any problem raises ConfigError, whose `keys` name the
fields to mark, and leaves the file untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Comment

from engine.config import SovaConfig, field_info, validate_config
from engine.errors import ConfigError
from engine.fileio import read_toml, write_atomic

#: a value the dialog edits: text (choices are text too) or yes/no
Value = str | bool

#: the config keys the dialog edits, in the order it shows them
FIELDS: tuple[str, ...] = (
    "audio.devices.input",
    "audio.devices.output",
    "app.language",
    "app.ui_language",
    "audio.tts.en",
    "audio.tts.ru",
    "llm.primary.id",
    "llm.lightweight.id",
    "app.persona",
    "ui.hold_key",
    "ui.global_hotkey",
    "ui.speak_quick_answers",
)


@dataclass(frozen=True)
class FieldSpec:
    """One setting the dialog edits, as the schema describes it."""

    key: str  # dotted config key, e.g. "audio.tts.en"
    type: type[str] | type[bool]
    choices: tuple[str, ...]  # the Literal's values; () for free text and yes/no
    description: str  # the schema's description (the field's tooltip)
    min_length: int  # 0: may be empty
    max_length: int | None
    default: Value | None  # the schema's default; None where the key is required (llm.primary.id)


def field_spec(key: str) -> FieldSpec:
    """Read the spec of `key` from SovaConfig.

    KeyError for a key SovaConfig lacks, TypeError for a type the dialog cannot edit.
    """
    info = field_info(key)
    annotation = info.annotation
    choices = tuple(str(c) for c in get_args(annotation)) if get_origin(annotation) is Literal else ()
    if annotation not in (str, bool) and not choices:
        raise TypeError(f"{key}: the settings dialog edits text, yes/no and choices, not {annotation}")
    # pydantic keeps min_length/max_length as annotated_types.MinLen/MaxLen in the metadata
    lengths = {n: getattr(m, n) for m in info.metadata for n in ("min_length", "max_length") if hasattr(m, n)}
    return FieldSpec(
        key=key,
        type=bool if annotation is bool else str,
        choices=choices,
        description=info.description or "",
        min_length=lengths.get("min_length", 0),
        max_length=lengths.get("max_length"),
        default=None if info.is_required() else info.default,
    )


#: the spec of each field of FIELDS (built at import: a key the schema lacks fails at once)
SPECS: dict[str, FieldSpec] = {key: field_spec(key) for key in FIELDS}


def current_values(config: SovaConfig) -> dict[str, Value]:
    """Return the value of every field of FIELDS in `config`."""
    values: dict[str, Value] = {}
    for key in FIELDS:
        node: Any = config
        for part in key.split("."):
            node = getattr(node, part)
        values[key] = node
    return values


@dataclass(frozen=True)
class Choices:
    """What may be picked: installed models by role, persona names."""

    llms: tuple[str, ...] = ()
    voices_en: tuple[str, ...] = ()
    voices_ru: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()


def check_choices(
    values: Mapping[str, Value], current: Mapping[str, Value], choices: Choices, source: Path
) -> list[tuple[str, str]]:
    """(key, problem) for what the schema cannot see, for values the user changed, in validate_config's format."""
    allowed = {
        "llm.primary.id": choices.llms,
        "llm.lightweight.id": choices.llms,
        "audio.tts.en": choices.voices_en,
        "audio.tts.ru": choices.voices_ru,
        "app.persona": choices.personas,
    }
    problems = []
    for key, options in allowed.items():
        value = values.get(key, current.get(key))
        if not value or value == current.get(key) or value in options:
            continue  # empty values are the schema's to refuse
        what = "persona" if key == "app.persona" else "installed model"
        known = ", ".join(options) or "none"
        problems.append((key, f"{source}: {key}: no {what} named {value!r} (available: {known})"))
    return problems


def fields_named(keys: Iterable[str]) -> set[str]:
    """Return the fields that problem keys name: the field itself, or a table holding it (a missing llm.primary)."""
    return {field for field in FIELDS for key in keys if key and (field == key or field.startswith(key + "."))}


# -- editing the user's file -------------------------------------------------------------------------


def _load_document(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    read_toml(path)  # the one reader: a syntax error becomes ConfigError naming the file and line
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (TOMLKitError, OSError) as exc:
        raise ConfigError([f"{path}: cannot edit: {exc}"], hint="fix or delete the file, then save again") from None


def set_key(doc: MutableMapping[str, Any], path: Sequence[str], value: Value) -> None:
    """Set the key at `path`, adding the tables it needs (`[a.b]` headers, not an `[a]` of its own).

    ValueError naming the part of `path` that holds a value where a table is needed.
    """
    node = doc
    for depth, part in enumerate(path[:-1]):
        if part not in node:
            node[part] = tomlkit.table(is_super_table=depth < len(path) - 2)
        child = node[part]
        if not isinstance(child, MutableMapping):
            raise ValueError(".".join(path[: depth + 1]))
        node = child
    node[path[-1]] = value


def remove_key(doc: MutableMapping[str, Any], path: Sequence[str]) -> None:
    """Remove the key at `path`, and the tables this leaves empty unless they hold a comment."""
    parents = [doc]
    for part in path[:-1]:
        child = parents[-1].get(part)
        if not isinstance(child, MutableMapping):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        table = parents[depth]
        if len(table) or _has_comment(table):
            break
        del parents[depth - 1][path[depth - 1]]


def _has_comment(table: Any) -> bool:
    trivia = getattr(table, "trivia", None)
    if trivia is not None and trivia.comment:
        return True
    body = getattr(getattr(table, "value", None), "body", ())
    return any(isinstance(item, Comment) for _, item in body)


def _default(defaults: Mapping[str, Any], key: str) -> Any:
    node: Any = defaults
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return SPECS[key].default  # the repo file leaves it to the schema
        node = node[part]
    return node


def save_settings(
    values: Mapping[str, Value],
    current: Mapping[str, Value],
    choices: Choices,
    *,
    user_file: Path,
    default_file: Path,
) -> SovaConfig:
    """Write the keys of `values` that differ from `current` into `user_file` once all is valid; return the config.

    A key set to its default (the repo's config.toml) is removed from the user's file instead.
    ConfigError (the file untouched) when the merged config is invalid.
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not settings of the dialog: {sorted(unknown)}")
    defaults = read_toml(default_file)
    doc = _load_document(user_file)
    for key, value in values.items():
        if value == current.get(key):
            continue  # only what the dialog changed: a value edited by hand meanwhile stays
        if value == _default(defaults, key):
            remove_key(doc, key.split("."))
            continue
        try:
            set_key(doc, key.split("."), value)
        except ValueError as exc:
            problem = f"{user_file}: {exc}: is a value, not a table (it must hold {key})"
            raise ConfigError([problem], hint="fix the file by hand, then save again", keys=(str(exc),)) from None
    found = check_choices(values, current, choices, user_file)
    try:
        config = validate_config([(default_file, defaults), (user_file, doc.unwrap())])
    except ConfigError as exc:
        found = list(zip(exc.keys, exc.problems, strict=True)) + found
    if found:
        keys, problems = zip(*found, strict=True)
        raise ConfigError(list(problems), hint="correct the highlighted settings", keys=tuple(keys))
    write_atomic(user_file, tomlkit.dumps(doc))
    return config


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
