"""Reports people read: `<date>-<suite>.json` (every run kept), and a Markdown report with PNG plots.

The plots: each metric with its interval, each metric's drift over the kept runs of the same model,
and the A/B comparison. matplotlib runs headless (Agg).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.eval.ab import AbRow
from engine.eval.metrics import MetricValue
from engine.fileio import write_atomic

#: metrics on a 0-1 scale (plotted together); the others get their own unit
_UNIT_METRICS = ("token_efficiency.", "emotion.reflection_latency")


def stamp(date_iso: str) -> str:
    """A file-name-safe date of a run: 2026-11-29T065121Z."""
    return date_iso.replace(":", "").replace("+0000", "Z").replace("+00:00", "Z")


def write_json(data: dict[str, Any], out_dir: Path, suite_label: str) -> Path:
    """Write one run's JSON as `<date>-<suite>.json` in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stamp(str(data.get('date', 'undated')))}-{suite_label}.json"
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2))
    return path


def kept_runs(out_dir: Path, model_id: str) -> list[dict[str, Any]]:
    """The kept JSON reports of `model_id` (single-model runs), oldest first; unreadable ones are skipped."""
    runs = []
    for path in sorted(out_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("model") == model_id and isinstance(data.get("metrics"), dict):
            runs.append(data)
    return sorted(runs, key=lambda d: str(d.get("date", "")))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt

    return plt


def error_bar(value: float, low: float, high: float) -> tuple[float, float]:
    """The distances below and above `value` to its interval's ends, never negative (pure).

    A bootstrap's percentile can sit a rounding error inside the mean it brackets (0.5 in [0.5000000001, 0.5]);
    matplotlib refuses a negative bar, which once lost a whole run's plots.
    """
    return max(0.0, value - low), max(0.0, high - value)


def plot_metrics(metrics: dict[str, MetricValue], path: Path, title: str) -> Path | None:
    """Each 0-1 metric as a point with its interval; None when there is none to plot."""
    names = [n for n in metrics if not n.startswith(_UNIT_METRICS)]
    if not names:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    for y, name in enumerate(names):
        m = metrics[name]
        below, above = error_bar(m.value, m.low, m.high)
        ax.errorbar(m.value, y, xerr=[[below], [above]], fmt="o", capsize=4)
        ax.annotate(f"{m.value:.2f} (n={m.n})", (m.high, y), xytext=(6, -3), textcoords="offset points", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlim(-0.05, 1.25)
    ax.set_xlabel("score (95% interval)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_drift(runs: Sequence[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Each 0-1 metric across the kept runs (the persona's drift, and the others'); None for < 2 runs."""
    if len(runs) < 2:
        return None
    names = sorted({n for r in runs for n in r["metrics"] if not n.startswith(_UNIT_METRICS)})
    if not names:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    for name in names:
        points = [(i, r["metrics"][name]) for i, r in enumerate(runs) if name in r["metrics"]]
        xs = [i for i, _ in points]
        bars = [error_bar(p["value"], p["low"], p["high"]) for _, p in points]
        ax.errorbar(xs, [p["value"] for _, p in points], yerr=[[b for b, _ in bars], [a for _, a in bars]],
                    marker="o", capsize=3, label=name)  # fmt: skip
    ax.set_xticks(range(len(runs)), [str(r.get("date", ""))[:16] for r in runs], rotation=30, fontsize=7)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("score")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_ab(rows: Sequence[AbRow], a_id: str, b_id: str, path: Path) -> Path | None:
    """B minus A per metric with its paired interval (0-1 metrics)."""
    rows = [r for r in rows if not r.metric.startswith(_UNIT_METRICS)]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2))
    for y, r in enumerate(rows):
        below, above = error_bar(r.delta, r.low, r.high)
        ax.errorbar(r.delta, y, xerr=[[below], [above]], fmt="o", capsize=4,
                    color="tab:red" if r.beyond_noise else "tab:gray")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [r.metric for r in rows], fontsize=8)
    ax.set_xlabel(f"{b_id} minus {a_id} (95% paired interval; red: beyond the noise)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _fmt(m: dict[str, Any]) -> str:
    unit = f" {m['unit']}" if m.get("unit") else ""
    kind = "IQR" if m.get("interval") == "iqr" else "95%"
    return f"{m['value']:.3g}{unit} | {m['low']:.3g}..{m['high']:.3g} ({kind}) | {m['n']}"


def markdown(data: dict[str, Any], plots: Sequence[Path], ab_lines: Sequence[str] = ()) -> str:
    """The human report of one run (or an A/B pair)."""
    runs = data.get("runs", [data])
    out = [f"# Sova eval report, {data.get('date', '')}", ""]
    for run in runs:
        judges = ", ".join(run.get("judge", [])) or "none needed"
        out += [f"## {run['model']} (role {run['role']})", "",
                f"template {run.get('template_version', '')}; judge: {judges}; {run.get('seconds', 0)} s", "",
                "| metric | value | interval | n |", "|---|---|---|---|"]
        out += [f"| {name} | {_fmt(m)} |" for name, m in run["metrics"].items()]
        skipped = [f"- {s['suite']}: skipped: {s['skipped']}" for s in run.get("suites", []) if s.get("skipped")]
        out += ["", *skipped] if skipped else []
        out += ["", "Models: " + "; ".join(f"{k}={v['id']} (sha256 {str(v.get('sha256'))[:12]})"
                                          for k, v in run.get("models", {}).items()), ""]
    if ab_lines:
        out += ["## A/B", "", *[f"- {line}" for line in ab_lines], ""]
    out += [f"![{p.stem}]({p.name})" for p in plots]
    machine = runs[0].get("machine", {})
    cpu, cores, load = machine.get("cpu", ""), machine.get("cores", ""), machine.get("load_average")
    out += ["", f"Machine: {cpu}, {cores} cores, load {load}", ""]
    return "\n".join(out)
