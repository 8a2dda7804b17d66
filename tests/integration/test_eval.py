"""The gate suite on the real engine with an installed model: a real measurement of every gated metric.

The 0.5B model answers (it is also the configured primary, so it judges: the primary stands in for
the MoE) to keep the CPU cost of the test small; `sova eval` runs the full suites with the defaults.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.eval.gate import GateReport, compare, gate_suites, run_gate, thresholds_from_config
from engine.eval.runner import load_items
from engine.registry.registry import Registry
from tests.conftest import FAST_LLM, ROOT, make_config

pytestmark = [pytest.mark.models, pytest.mark.slow]

SMALL = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"


@pytest.fixture(scope="module")
def gate_report(tmp_path_factory: pytest.TempPathFactory) -> GateReport:
    config = make_config(FAST_LLM)
    data_dir = tmp_path_factory.mktemp("eval")
    # its own registry: closing the engine unloads every model its registry holds
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", data_dir / "state")
    return asyncio.run(run_gate(config, registry, SMALL, "primary", data_dir=data_dir))


def test_every_gated_metric_is_a_real_measurement(gate_report: GateReport) -> None:
    items = load_items(["persona", "relevance", "hallucination"], gate=True)
    assert {"persona", "relevance", "hallucination"} <= set(gate_report.metrics)
    for name, suite in (("persona", "persona"), ("relevance", "relevance"), ("hallucination", "hallucination")):
        m = gate_report.metrics[name]
        assert m.n == len(items[suite]), (name, gate_report.notes)  # every gate item measured
        assert 0.0 <= m.low <= m.value <= m.high <= 1.0
        assert len(m.scores) == m.n and set(m.ids) == {i.id for i in items[suite]}
    if "tools" in gate_suites():  # the tools suite exists: its reduced subset, each scenario really run
        tools = gate_report.metrics["tools"]
        assert tools.n >= 1 and 0.0 <= tools.low <= tools.value <= tools.high <= 1.0
    assert gate_report.model_id == SMALL and gate_report.role == "primary"
    assert gate_report.template_version.startswith("en:") and "ru:" in gate_report.template_version
    assert gate_report.seconds > 0


def test_the_replies_and_the_judges_verdicts_are_recorded(gate_report: GateReport) -> None:
    suites = {s["suite"]: s for s in gate_report.details["run"]["suites"]}
    persona = suites["persona"]["items"]
    assert all(item["reply"].strip() for item in persona)
    assert all(set(item["checks"]) and item["score"] == sum(item["checks"].values()) / len(item["checks"])
               for item in persona)
    relevance = suites["relevance"]["items"]
    assert all(item["verdict"] in ("a", "b", "tie") and item["judge"] == SMALL for item in relevance)
    run = gate_report.details["run"]
    assert run["models"]["llm"]["sha256"] and run["machine"]["cores"] and run["judge"] == [SMALL]


def test_the_same_report_against_itself_is_promoted(gate_report: GateReport) -> None:
    decision, table, reasons = compare(gate_report, gate_report, thresholds_from_config(make_config()))
    assert decision == "promoted" and not reasons
    assert all(row["delta"] == 0.0 and row["passed"] for row in table.values())


def test_the_cli_refuses_an_unknown_suite_before_loading_models(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    from app.cli import main

    assert main(["eval", "--suite", "speed", "--report", str(tmp_path)]) != 0
    assert "unknown suite 'speed'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
