"""Scenario files: the repo's own load, and each mistake is reported with its file, item and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.eval.judge import load_labels
from engine.eval.runner import LABELS_FILE, SCENARIOS_DIR, load_items, validate_suites
from engine.eval.scenarios import ScenarioError, load_suite

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("suite", ["persona", "relevance", "hallucination", "emotion"])
def test_the_repo_scenarios_load_with_both_languages_and_gate_items(suite: str) -> None:
    items = load_suite(SCENARIOS_DIR, suite)
    assert {i.language for i in items} == {"ru", "en"}
    assert len({i.id for i in items}) == len(items)
    if suite != "emotion":
        assert any(i.gate for i in items)


def test_the_labelled_judge_set_has_at_least_20_items_in_both_languages() -> None:
    pairs = load_labels(LABELS_FILE)
    assert len(pairs) >= 20
    assert {p.language for p in pairs} == {"ru", "en"}
    assert {p.label for p in pairs} == {"a", "b", "tie"}


def test_the_rubric_exists() -> None:
    assert (ROOT / "eval" / "rubrics" / "relevance.md").read_text(encoding="utf-8").strip()


def _write(root: Path, suite: str, text: str) -> Path:
    folder = root / suite
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("suite", "text", "expected"),
    [
        ("persona", "suite: persona\nitems: []\n", "items: a non-empty list is required"),
        (
            "persona",
            "suite: relevance\nitems: [{id: a, language: en, prompt: hi, checks: [short]}]\n",
            "suite: must be 'persona'",
        ),
        (
            "persona",
            "suite: persona\nitems: [{id: a, language: de, prompt: hi, checks: [short]}]\n",
            "items[0] (a): language: must be 'ru' or 'en'",
        ),
        (
            "persona",
            "suite: persona\nitems: [{id: a, language: en, prompt: hi, checks: [polite]}]\n",
            "unknown check 'polite'",
        ),
        (
            "persona",
            "suite: persona\nitems: [{id: a, language: en, prompt: hi}]\n",
            "a persona item needs at least one check",
        ),
        (
            "persona",
            "suite: persona\nitems: [{id: a, language: en, prompt: '', checks: [short]}]\n",
            "prompt: a non-empty string is required",
        ),
        (
            "persona",
            "suite: persona\nitems: [{id: a, language: en, prompt: hi, checks: [short], colour: red}]\n",
            "unknown key 'colour'",
        ),
        ("relevance", "suite: relevance\nitems: [{id: a, language: en, prompt: hi}]\n", "needs a reference answer"),
        (
            "hallucination",
            "suite: hallucination\nitems: [{id: a, language: en, prompt: hi, expect: maybe}]\n",
            "expect: must be 'answer' or 'abstain'",
        ),
        (
            "emotion",
            "suite: emotion\nitems: [{id: a, language: en, turns: [one]}]\n",
            "needs at least two scripted turns",
        ),
        (
            "emotion",
            "suite: emotion\nitems: [{id: a, language: en, turns: [one, two], change_at: 5}]\n",
            "change_at: must be the index of one of the turns",
        ),
        (
            "persona",
            "suite: persona\nitems:\n  - {id: a, language: en, prompt: hi, checks: [short]}\n"
            "  - {id: a, language: ru, prompt: hi, checks: [short]}\n",
            "'a' is used twice",
        ),
        ("persona", "suite: persona\nitems: [{id: a\n", "cannot be read as YAML"),
        ("persona", "- just\n- a list\n", "must be a mapping with `suite` and `items`"),
    ],
)
def test_invalid_scenarios_are_reported_with_where_and_what(
    tmp_path: Path, suite: str, text: str, expected: str
) -> None:
    path = _write(tmp_path, suite, text)
    with pytest.raises(ScenarioError) as info:
        load_suite(tmp_path, suite)
    assert any(expected in p and str(path) in p for p in info.value.problems), info.value.problems
    assert info.value.hint


def test_every_problem_of_a_file_is_reported_together(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "persona",
        "suite: persona\nitems:\n  - {id: a, language: xx, prompt: hi, checks: [short]}\n"
        "  - {id: b, language: en, prompt: hi, checks: [bogus]}\n",
    )
    with pytest.raises(ScenarioError) as info:
        load_suite(tmp_path, "persona")
    assert len(info.value.problems) == 2


def test_a_missing_suite_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no scenario files"):
        load_suite(tmp_path, "persona")


def test_unknown_suite_names_are_refused() -> None:
    with pytest.raises(ScenarioError, match="unknown suite 'speed'"):
        validate_suites(["persona", "speed"])
    assert validate_suites(["relevance", "persona"]) == ["persona", "relevance"]


def test_the_memory_answers_suite_runs_only_when_named() -> None:
    assert "memory_answers" not in validate_suites(None)
    assert validate_suites(["memory_answers", "persona"]) == ["persona", "memory_answers"]


def test_gate_items_are_a_small_subset() -> None:
    gate = load_items(["persona", "relevance", "hallucination"], gate=True)
    assert all(1 <= len(v) <= 6 for v in gate.values())
    assert all(i.gate for v in gate.values() for i in v)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("items: []\n", "a non-empty list of labelled pairs"),
        ("items: [{id: x, language: en, question: q, a: one, b: two, label: c}]\n", "label: must be a, b or tie"),
        ("items: [{id: x, language: en, question: q, a: one, label: a}]\n", "missing b"),
    ],
)
def test_invalid_label_files_are_reported(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_labels(path)
    assert any(expected in p for p in info.value.problems), info.value.problems
