"""The house rules that code review would otherwise have to remember: layers point one way, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400

#: (folder, module prefix it must never import, why)
FORBIDDEN = [
    ("ui", "app", "the composition root (app/) hands the window what it needs"),
    ("engine", "app", "the engine is below the app"),
    ("engine", "ui", "the engine is below the UI"),
    ("engine", "PySide6", "engine/ never imports Qt: the same engine runs in the terminal and in tests"),
    ("engine/scheduler", "engine.pipeline", "the scheduler is below the turn"),
    ("engine/memory", "engine.pipeline", "memory is below the turn"),
    ("engine/stages", "engine.pipeline", "the stages are below the turn"),
    ("engine/registry", "engine.pipeline", "the registry is below the turn"),
]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any level (TYPE_CHECKING blocks included)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize(("folder", "forbidden", "why"), FORBIDDEN)
def test_layers_point_one_way(folder: str, forbidden: str, why: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for module in imported_modules(path)
        if module == forbidden or module.startswith(forbidden + ".")
    ]
    assert not offenders, f"{why}:\n" + "\n".join(offenders)


def test_no_module_is_over_the_limit() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for folder in ("engine", "app", "ui")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, f"split these (at most {MAX_LINES} lines a module):\n" + "\n".join(long)
