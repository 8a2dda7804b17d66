"""The eval's pure statistics: intervals, paired differences, sign test, token efficiency, latency."""

from __future__ import annotations

import pytest

from engine.eval.metrics import (
    MetricValue,
    bootstrap_mean,
    difference,
    mean_value,
    median_iqr,
    proportion,
    reflection_latency,
    sign_test,
    token_efficiency,
    wilson,
)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # reference values of the Wilson interval (z = 1.96)
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_matches_reference_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=1e-3)
    assert hi == pytest.approx(high, abs=1e-3)


@pytest.mark.parametrize(("k", "n"), [(1, 0), (-1, 5), (6, 5)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson(k, n)


def test_bootstrap_is_repeatable_and_brackets_the_mean() -> None:
    values = [0.0, 1.0, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0]
    first, second = bootstrap_mean(values), bootstrap_mean(values)
    assert first == second
    mean, low, high = first
    assert mean == pytest.approx(0.6875)
    assert low < mean < high
    assert low >= 0.0 and high <= 1.0


@pytest.mark.parametrize("values", [[0.7], [0.5, 0.5, 0.5]])
def test_bootstrap_of_constant_values_has_no_spread(values: list[float]) -> None:
    assert bootstrap_mean(values) == (values[0], values[0], values[0])


def test_bootstrap_refuses_no_values() -> None:
    with pytest.raises(ValueError):
        bootstrap_mean([])


def test_proportion_and_mean_carry_scores_and_ids() -> None:
    p = proportion([True, False, True, True], ["a", "b", "c", "d"])
    assert (p.value, p.n, p.interval) == (0.75, 4, "wilson")
    assert p.scores == (1.0, 0.0, 1.0, 1.0) and p.ids == ("a", "b", "c", "d")
    m = mean_value([0.2, 0.4], ["x", "y"])
    assert m.value == pytest.approx(0.3) and m.low <= 0.3 <= m.high


def test_median_iqr() -> None:
    m = median_iqr([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (m.value, m.low, m.high, m.interval) == (3.0, 2.0, 4.0, "iqr")


def test_metric_json_round_trip() -> None:
    m = mean_value([0.25, 0.75, 1.0], ["a", "b", "c"], "x")
    back = MetricValue.from_json(m.to_json())
    assert back.ids == m.ids and back.scores == m.scores and back.n == 3 and back.unit == "x"


def _scores(values: list[float], prefix: str = "i") -> MetricValue:
    return mean_value(values, [f"{prefix}{k}" for k in range(len(values))])


def test_identical_runs_differ_by_exactly_zero() -> None:
    run = _scores([1.0, 0.5, 0.0, 1.0, 0.75])
    diff = difference(run, run)
    assert (diff.delta, diff.low, diff.high, diff.paired) == (0.0, 0.0, 0.0, True)
    assert not diff.significant_drop and not diff.significant_gain


def test_one_item_flip_is_within_the_noise() -> None:
    diff = difference(_scores([1.0, 1.0, 1.0, 0.0]), _scores([1.0, 1.0, 1.0, 1.0]))
    assert diff.delta == pytest.approx(-0.25)
    assert not diff.significant_drop  # resamples without the flipped item exist


def test_a_consistent_drop_is_beyond_the_noise() -> None:
    diff = difference(_scores([0.0, 0.25, 0.0, 0.5, 0.0, 0.25]), _scores([1.0, 1.0, 0.75, 1.0, 1.0, 1.0]))
    assert diff.delta < -0.5 and diff.significant_drop and diff.paired


def test_unpaired_difference_without_common_items() -> None:
    diff = difference(_scores([1.0, 1.0, 1.0], "a"), _scores([0.0, 0.0, 0.0], "b"))
    assert not diff.paired and diff.delta == 1.0 and diff.significant_gain


@pytest.mark.parametrize(
    ("deltas", "p"),
    [([], 1.0), ([0.0, 0.0], 1.0), ([1.0] * 6, 0.03125), ([1.0, -1.0], 1.0), ([-1.0] * 5 + [1.0], 0.21875)],
)
def test_sign_test(deltas: list[float], p: float) -> None:
    assert sign_test(deltas) == pytest.approx(p)


@pytest.mark.parametrize(("reply", "user", "ratio"), [(20, 10, 2.0), (5, 0, 5.0), (0, 4, 0.0)])
def test_token_efficiency(reply: int, user: int, ratio: float) -> None:
    assert token_efficiency(reply, user) == ratio


def test_token_efficiency_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        token_efficiency(-1, 3)


@pytest.mark.parametrize(
    ("adapted", "change_at", "latency"),
    [
        ([False, True, True], 1, 0),
        ([False, False, True], 1, 1),
        ([True, False, False], 1, None),  # adapted before the change does not count
        ([False, False], 0, None),
    ],
)
def test_reflection_latency(adapted: list[bool], change_at: int, latency: int | None) -> None:
    assert reflection_latency(adapted, change_at) == latency


def test_reflection_latency_refuses_a_change_outside_the_script() -> None:
    with pytest.raises(ValueError):
        reflection_latency([True], 3)
