"""The gate's noise-aware comparison and the A/B comparison: pure decisions, by tables."""

from __future__ import annotations

from engine.eval.ab import compare_runs, summary
from engine.eval.gate import GateReport, compare
from engine.eval.metrics import MetricValue, mean_value, proportion

THRESHOLDS = {"persona": 0.05, "relevance": 0.10, "hallucination": 0.10, "tools": 0.10}


def _m(values: list[float]) -> MetricValue:
    return mean_value(values, [f"item{k}" for k in range(len(values))])


def _report(model: str, **metrics: list[float]) -> GateReport:
    return GateReport({k: _m(v) for k, v in metrics.items()}, model, "primary", "en:abc", 1.0)


BASE = {"persona": [1.0, 0.75, 1.0, 1.0], "relevance": [1.0, 1.0, 0.0, 1.0], "hallucination": [1.0, 0.0, 1.0, 1.0]}


def test_the_same_model_measured_again_is_promoted() -> None:
    decision, table, reasons = compare(_report("same", **BASE), _report("same", **BASE), THRESHOLDS)
    assert decision == "promoted" and reasons == []
    assert set(table) == {"persona", "relevance", "hallucination"}  # tools measured by neither: not gated
    assert all(row["passed"] and row["delta"] == 0.0 for row in table.values())
    assert set(table["persona"]) >= {"candidate", "baseline", "delta", "threshold", "passed"}


def test_one_flipped_item_is_noise_not_a_drop() -> None:
    worse = dict(BASE, relevance=[1.0, 1.0, 0.0, 0.0])  # -0.25, more than the threshold, but one item
    decision, table, _ = compare(_report("cand", **worse), _report("base", **BASE), THRESHOLDS)
    assert decision == "promoted"
    assert table["relevance"]["delta"] == -0.25 and table["relevance"]["passed"]


def test_a_clear_drop_beyond_threshold_and_noise_rolls_back_with_reasons() -> None:
    bad = dict(BASE, persona=[0.25, 0.25, 0.5, 0.25])
    decision, table, reasons = compare(_report("small", **bad), _report("base", **BASE), THRESHOLDS)
    assert decision == "rolled_back"
    assert not table["persona"]["passed"] and table["relevance"]["passed"]
    assert len(reasons) == 1 and reasons[0].startswith("persona dropped by 0.62 (0.94 -> 0.31)")


def test_a_drop_within_the_threshold_passes_even_when_consistent() -> None:
    base = {"persona": [1.0] * 10}
    cand = {"persona": [0.97] * 10}  # a consistent 3 % drop: beyond the noise, within the 5 % allowed
    decision, table, _ = compare(_report("c", **cand), _report("b", **base), THRESHOLDS)
    assert decision == "promoted" and table["persona"]["passed"]


def test_a_metric_the_candidate_lacks_fails() -> None:
    cand = {k: v for k, v in BASE.items() if k != "hallucination"}
    decision, table, reasons = compare(_report("c", **cand), _report("b", **BASE), THRESHOLDS)
    assert decision == "rolled_back" and table["hallucination"]["candidate"] is None
    assert "not measured" in reasons[0]


def test_a_gain_is_promoted() -> None:
    better = dict(BASE, relevance=[1.0, 1.0, 1.0, 1.0])
    decision, table, _ = compare(_report("c", **better), _report("b", **BASE), THRESHOLDS)
    assert decision == "promoted" and table["relevance"]["delta"] == 0.25


def test_ab_says_who_is_better_and_whether_beyond_the_noise() -> None:
    ids = [f"i{k}" for k in range(8)]
    a = {
        "persona.adherence": mean_value([1.0] * 8, ids),
        "relevance.judge_score": proportion([True] * 8, ids),
        "token_efficiency.reply_per_user_token": mean_value([3.0] * 8, ids),
    }
    b = {
        "persona.adherence": mean_value([0.0] * 8, ids),
        "relevance.judge_score": proportion([True] * 7 + [False], ids),
        "token_efficiency.reply_per_user_token": mean_value([2.0] * 8, ids),
    }
    rows = {r.metric: r for r in compare_runs(a, b)}
    assert rows["persona.adherence"].better == "a" and rows["persona.adherence"].beyond_noise
    assert rows["persona.adherence"].sign_p < 0.01
    assert rows["relevance.judge_score"].better == "a" and not rows["relevance.judge_score"].beyond_noise
    assert rows["token_efficiency.reply_per_user_token"].better == "b"  # fewer tokens per user token
    lines = summary(list(rows.values()), "A", "B")
    assert any("beyond the noise" in line for line in lines) and any("within the noise" in line for line in lines)


def test_the_judge_scores_a_reply_from_both_orders() -> None:
    from engine.eval.judge import pair_score

    assert pair_score("a", "b") == 1.0  # the reply wins in both positions
    assert pair_score("tie", "tie") == 1.0
    assert pair_score("a", "a") == 0.5  # the judge always picks the first answer: half
    assert pair_score("b", "a") == 0.0


# per-item scores measured on 2026-11-29 (gate items, 6 per metric, judge: the 1.5B primary)
MEASURED_SMOLLM = {"persona": [0.5, 0.6667, 1.0, 0.0, 0.0, 0.0], "relevance": [0.5, 0.5, 0.5, 0.5, 0.5, 0.0],
                   "hallucination": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]}
MEASURED_QWEN_1_5B = {"persona": [0.5, 0.3333, 1.0, 0.5, 0.3333, 1.0], "relevance": [0.5] * 6,
                      "hallucination": [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]}


def test_the_measured_smollm_as_primary_is_rolled_back_and_the_active_model_promoted() -> None:
    smol, active = _report("smollm2", **MEASURED_SMOLLM), _report("qwen1.5b", **MEASURED_QWEN_1_5B)
    decision, table, reasons = compare(smol, active, THRESHOLDS)
    assert decision == "rolled_back"
    assert not table["persona"]["passed"] and not table["hallucination"]["passed"] and table["relevance"]["passed"]
    assert [r.split()[0] for r in reasons] == ["persona", "hallucination"]
    for _ in range(3):  # re-staging the active model: the same replies, promoted every time
        assert compare(_report("qwen1.5b", **MEASURED_QWEN_1_5B), active, THRESHOLDS)[0] == "promoted"
