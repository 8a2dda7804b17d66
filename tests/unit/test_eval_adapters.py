"""Suites whose feature is not built yet are skipped with a message, never faked."""

from __future__ import annotations

import asyncio

import pytest

from engine.eval import adapters
from engine.eval.gate import gate_suites


def test_a_missing_module_is_skipped_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(adapters.EXTERNAL_SUITES, "memory", ("engine.eval.not_built_yet", "issue 10 (memory)"))
    result = asyncio.run(adapters.run_external("memory", None))  # type: ignore[arg-type]  # not reached
    assert result.skipped == "not built yet: engine.eval.not_built_yet is missing (issue 10 (memory))"
    assert not result.metrics


def test_module_available() -> None:
    assert adapters.module_available("engine.eval.metrics")
    assert not adapters.module_available("engine.eval.not_built_yet")
    assert not adapters.module_available("engine.not_a_package.module")


def test_the_gate_runs_tool_accuracy_only_when_the_tools_suite_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    built = adapters.module_available(adapters.EXTERNAL_SUITES["tools"][0])
    assert ("tools" in gate_suites()) is built
    monkeypatch.setitem(adapters.EXTERNAL_SUITES, "tools", ("engine.tools.not_built_yet", "issue 11"))
    assert gate_suites() == ["persona", "relevance", "hallucination"]
