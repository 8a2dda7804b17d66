"""Writes a finished eval (one model, or an A/B pair) as JSON, a Markdown report and its PNG plots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.eval import ab, report
from engine.eval.runner import ALL_SUITES, ModelRun
from engine.fileio import write_atomic


@dataclass(frozen=True)
class Published:
    """What was written, and the figures' JSON (what `--json` saves)."""

    data: dict[str, Any]
    files: tuple[Path, ...]
    markdown: Path
    ab_lines: tuple[str, ...] = ()


def suite_label(suites: Sequence[str]) -> str:
    """`all`, or the suites joined by `+`."""
    return "all" if list(suites) == list(ALL_SUITES) else "+".join(suites)


def publish(runs: Sequence[ModelRun], suites: Sequence[str], out_dir: Path) -> Published:
    """Write each run's JSON (kept for drift), the A/B JSON for two runs, the Markdown report and plots."""
    label = suite_label(suites)
    files: list[Path] = []
    datas = [r.to_json() for r in runs]
    for data in datas:
        files.append(report.write_json(data, out_dir, label))
    plots: list[Path] = []
    ab_lines: list[str] = []
    if len(runs) == 2:
        a, b = runs
        rows = ab.compare_runs(a.metrics, b.metrics)
        ab_lines = ab.summary(rows, a.model_id, b.model_id)
        date = datetime.now(UTC).isoformat(timespec="seconds")
        combined: dict[str, Any] = {"date": date, "runs": datas, "ab": [r.to_json() for r in rows],
                                    "ab_summary": ab_lines}
        files.append(report.write_json(combined, out_dir, f"{label}-ab"))
        base = out_dir / f"{report.stamp(date)}-{label}-ab"
        plot = report.plot_ab(rows, a.model_id, b.model_id, base.with_name(base.name + ".png"))
        plots += [plot] if plot else []
    else:
        combined = datas[0]
        base = out_dir / f"{report.stamp(str(combined['date']))}-{label}"
    for run in runs:
        tag = run.model_id.split("-q")[0] if len(runs) == 2 else ""
        stem = f"{base.name}-{tag}" if tag else base.name
        plot = report.plot_metrics(run.metrics, out_dir / f"{stem}-metrics.png", f"{run.model_id}: {label}")
        plots += [plot] if plot else []
        drift = report.plot_drift(report.kept_runs(out_dir, run.model_id), out_dir / f"{stem}-drift.png",
                                  f"{run.model_id}: drift over the kept runs")
        plots += [drift] if drift else []
    md = base.with_name(base.name + ".md")
    write_atomic(md, report.markdown(combined, plots, ab_lines))
    return Published(combined, (*files, md, *plots), md, tuple(ab_lines))
