"""Scenario files: YAML under eval/scenarios/<suite>/, loaded and validated with errors that say where.

One file holds items of one suite. Every problem of every file is collected and reported together,
each naming the file, the item and the key, like the config's errors. The file shape:

    suite: persona            # must match the folder
    items:
      - id: persona-en-history   # unique across the suite
        language: en             # ru | en
        prompt: "..."            # what the user says (or `turns:` for a scripted conversation)
        checks: [short, language, plain_text]
        gate: true               # part of the gate suite (the model update's quick check)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from engine.errors import ErrorCode, SovaError

SUITES = ("persona", "relevance", "hallucination", "emotion", "memory", "tools")
#: the pure persona checks a scenario may ask for (see engine/eval/persona.py)
PERSONA_CHECKS = ("short", "language", "plain_text", "no_emoji", "digits")
Expectation = Literal["answer", "abstain"]
_KEYS = {
    "id", "language", "prompt", "checks", "reference", "expect", "expect_any", "setup", "turns", "change_at",
    "gate", "emotion",
}  # fmt: skip


class ScenarioError(SovaError):
    """One or more scenario files are invalid; `problems` lists each with its file and key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "invalid eval scenarios:\n  " + "\n  ".join(problems),
            code=ErrorCode.CONFIG_INVALID,
            hint="fix these keys (docs/eval.md describes the scenario format)",
        )
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Scenario:
    """One item of a suite."""

    id: str
    suite: str
    language: Literal["ru", "en"]
    prompt: str = ""
    checks: tuple[str, ...] = ()
    reference: str = ""
    expect: Expectation = "answer"
    expect_any: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    turns: tuple[str, ...] = ()
    change_at: int = 0
    gate: bool = False
    emotion: str = ""
    source: str = ""


def _strings(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: must be a list of non-empty strings")
        return ()
    return tuple(value)


def _item(raw: Any, suite: str, where: str, problems: list[str]) -> Scenario | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: an item must be a mapping with at least `id` and `language`")
        return None
    start = len(problems)
    for key in sorted(set(raw) - _KEYS):
        problems.append(f"{where}: unknown key {key!r}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        problems.append(f"{where}: id: a non-empty string is required")
        item_id = "?"
    where = f"{where} ({item_id})"
    language: Literal["ru", "en"] = "en"
    if raw.get("language") in ("ru", "en"):
        language = raw["language"]
    else:
        problems.append(f"{where}: language: must be 'ru' or 'en' (got {raw.get('language')!r})")
    prompt = raw.get("prompt", "")
    if not isinstance(prompt, str):
        problems.append(f"{where}: prompt: must be a string")
        prompt = ""
    turns = _strings(raw.get("turns"), f"{where}: turns", problems)
    if suite == "emotion":
        if len(turns) < 2:
            problems.append(f"{where}: turns: an emotion scenario needs at least two scripted turns")
        change_at = raw.get("change_at", 1)
        if not isinstance(change_at, int) or isinstance(change_at, bool) or not 0 <= change_at < max(1, len(turns)):
            problems.append(f"{where}: change_at: must be the index of one of the turns (got {change_at!r})")
            change_at = 0
    else:
        change_at = 0
        if not prompt.strip():
            problems.append(f"{where}: prompt: a non-empty string is required")
    checks = _strings(raw.get("checks"), f"{where}: checks", problems)
    for check in checks:
        if check not in PERSONA_CHECKS:
            problems.append(f"{where}: checks: unknown check {check!r} (known: {', '.join(PERSONA_CHECKS)})")
    if suite == "persona" and not checks:
        problems.append(f"{where}: checks: a persona item needs at least one check")
    reference = raw.get("reference", "")
    if not isinstance(reference, str) or (suite == "relevance" and not reference.strip()):
        problems.append(f"{where}: reference: a relevance item needs a reference answer (a string)")
        reference = ""
    expect = raw.get("expect", "answer")
    if expect not in ("answer", "abstain"):
        problems.append(f"{where}: expect: must be 'answer' or 'abstain' (got {expect!r})")
    gate = raw.get("gate", False)
    if not isinstance(gate, bool):
        problems.append(f"{where}: gate: must be true or false")
    emotion = raw.get("emotion", "")
    if not isinstance(emotion, str):
        problems.append(f"{where}: emotion: must be a string (the expected label)")
    if len(problems) > start:
        return None
    return Scenario(
        id=item_id,
        suite=suite,
        language=language,
        prompt=prompt,
        checks=checks,
        reference=reference,
        expect=expect,
        expect_any=_strings(raw.get("expect_any"), where, problems),
        setup=_strings(raw.get("setup"), where, problems),
        turns=turns,
        change_at=change_at,
        gate=gate,
        emotion=emotion,
        source=where,
    )


def parse_file(path: Path, data: Any, suite: str, problems: list[str]) -> list[Scenario]:
    """The items of one parsed file; its problems are appended to `problems`."""
    if not isinstance(data, Mapping):
        problems.append(f"{path}: must be a mapping with `suite` and `items`")
        return []
    if data.get("suite") != suite:
        problems.append(f"{path}: suite: must be {suite!r}, the folder it is in (got {data.get('suite')!r})")
    for key in sorted(set(data) - {"suite", "items"}):
        problems.append(f"{path}: unknown key {key!r}")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        problems.append(f"{path}: items: a non-empty list is required")
        return []
    found = [_item(raw, suite, f"{path}: items[{i}]", problems) for i, raw in enumerate(items)]
    return [s for s in found if s is not None]


def load_suite(root: Path, suite: str) -> list[Scenario]:
    """Every item of `suite` from root/<suite>/*.yaml, in file then item order; ScenarioError if any is bad."""
    folder = root / suite
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        raise ScenarioError([f"{folder}: no scenario files (*.yaml)"])
    problems: list[str] = []
    scenarios: list[Scenario] = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append(f"{path}: cannot be read as YAML: {exc}")
            continue
        scenarios.extend(parse_file(path, data, suite, problems))
    seen: set[str] = set()
    for s in scenarios:
        if s.id in seen:
            problems.append(f"{s.source}: id: {s.id!r} is used twice in the {suite} suite")
        seen.add(s.id)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def gate_items(scenarios: Iterable[Scenario]) -> list[Scenario]:
    """The items marked `gate: true` (the model update's quick suite)."""
    return [s for s in scenarios if s.gate]
