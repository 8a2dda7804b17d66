"""Reports: JSON kept per run, drift read back, Markdown with real PNG plots (matplotlib, Agg)."""

from __future__ import annotations

import json
from pathlib import Path

from engine.eval.metrics import mean_value, median_iqr, proportion
from engine.eval.publish import publish, suite_label
from engine.eval.report import kept_runs
from engine.eval.runner import ALL_SUITES, ModelRun
from engine.eval.suites import SuiteResult

PNG = b"\x89PNG\r\n\x1a\n"


def _run(model: str, date: str, persona: list[float]) -> ModelRun:
    ids = [f"p{k}" for k in range(len(persona))]
    suite = SuiteResult(
        "persona",
        {
            "persona.adherence": mean_value(persona, ids),
            "token_efficiency.reply_per_user_token": median_iqr([2.0, 3.0], ["a", "b"]),
        },
    )
    hall = SuiteResult("hallucination", {"hallucination.score": proportion([True, False, True], ["h1", "h2", "h3"])})
    return ModelRun(
        model,
        "primary",
        [suite, hall, SuiteResult("memory", skipped="not built yet")],
        template_version="en:abc",
        judges=["judge-model"],
        date=date,
    )


def test_suite_label() -> None:
    assert suite_label(ALL_SUITES) == "all"
    assert suite_label(["persona", "relevance"]) == "persona+relevance"


def test_each_run_is_kept_and_drift_is_plotted(tmp_path: Path) -> None:
    first = publish([_run("m", "2026-11-28T10:00:00+00:00", [1.0, 0.5])], ["persona"], tmp_path)
    second = publish([_run("m", "2026-11-29T10:00:00+00:00", [1.0, 1.0])], ["persona"], tmp_path)
    assert (tmp_path / "2026-11-28T100000Z-persona.json").exists()
    data = json.loads((tmp_path / "2026-11-29T100000Z-persona.json").read_text(encoding="utf-8"))
    assert data["metrics"]["persona.adherence"]["n"] == 2 and data["template_version"] == "en:abc"
    assert {"machine", "seeds", "models", "judge", "date"} <= set(data)
    assert [r["date"][:10] for r in kept_runs(tmp_path, "m")] == ["2026-11-28", "2026-11-29"]
    assert not any(p.name.endswith("drift.png") for p in first.files)
    drift = [p for p in second.files if p.name.endswith("drift.png")]
    assert drift and drift[0].read_bytes().startswith(PNG)
    md = next(p for p in second.files if p.suffix == ".md").read_text(encoding="utf-8")
    assert "| persona.adherence | 1 |" in md and "memory: skipped: not built yet" in md
    assert "-drift.png)" in md and "-metrics.png)" in md


def test_ab_writes_the_comparison_and_its_plot(tmp_path: Path) -> None:
    a = _run("model-a-q4", "2026-11-29T10:00:00+00:00", [1.0, 1.0, 1.0, 1.0])
    b = _run("model-b-q4", "2026-11-29T10:05:00+00:00", [0.0, 0.0, 0.25, 0.0])
    out = publish([a, b], ["persona", "hallucination"], tmp_path)
    assert next(r["metric"] for r in out.data["ab"]) == "persona.adherence"
    assert out.data["ab"][0]["better"] == "a" and out.data["ab"][0]["beyond_noise"]
    assert any("model-a-q4 is better" in line for line in out.ab_lines)
    assert any(p.name.endswith("-ab.png") and p.read_bytes().startswith(PNG) for p in out.files)
    assert "## A/B" in next(p for p in out.files if p.suffix == ".md").read_text(encoding="utf-8")


def test_an_interval_a_rounding_error_inside_its_value_still_plots(tmp_path: Path) -> None:
    # seen in a full run: relevance 0.5 with its bootstrap interval [0.5 + 1e-16, 0.5]
    from engine.eval.metrics import MetricValue
    from engine.eval.report import error_bar

    assert error_bar(0.5, 0.5 + 1e-16, 0.5) == (0.0, 0.0)
    assert error_bar(0.5, 0.25, 0.75) == (0.25, 0.25)
    run = _run("m", "2026-11-29T10:00:00+00:00", [1.0])
    run.suites.append(SuiteResult("relevance", {"relevance.judge_score": MetricValue(0.5, 0.5 + 1e-16, 0.5, 8)}))
    published = publish([run], ["persona", "relevance"], tmp_path)
    plot = next(p for p in published.files if p.name.endswith("-metrics.png"))
    assert plot.read_bytes().startswith(PNG)
