"""The eval's configuration of the model under test, and the [eval] table."""

from __future__ import annotations

from engine.eval.gate import thresholds_from_config
from engine.eval.session import EVAL_MAX_OUTPUT_TOKENS, eval_config
from engine.registry.registry import Registry
from tests.conftest import make_config

SMOL = "smollm2-135m-instruct-q4_1-v1.0"


def test_the_model_under_test_answers_greedily_with_memory_off(registry: Registry) -> None:
    config = make_config()
    measured = eval_config(config, registry, SMOL, "primary")
    primary = measured.llm.primary
    assert (primary.id, primary.temperature, primary.top_p) == (SMOL, 0.0, 1.0)
    assert primary.max_output_tokens == min(config.llm.primary.max_output_tokens, EVAL_MAX_OUTPUT_TOKENS)
    assert measured.memory.enabled is False
    assert measured.scheduler.task_timeout_s >= 600 and measured.scheduler.moe.timeout_s >= 600
    assert measured.llm.lightweight == config.llm.lightweight  # the rest is the user's config
    if registry.get("espeak-ng-ru").status().installed:
        assert measured.audio.tts.ru == "espeak-ng-ru"


def test_a_role_brings_its_own_sampling_limits(registry: Registry) -> None:
    config = make_config({"llm": {"lightweight": {"max_output_tokens": 40}}})
    measured = eval_config(config, registry, SMOL, "lightweight")
    assert measured.llm.primary.id == SMOL and measured.llm.primary.max_output_tokens == 40


def test_the_thresholds_come_from_the_config() -> None:
    assert thresholds_from_config(make_config()) == {"persona": 0.05, "relevance": 0.10, "hallucination": 0.10,
                                                     "tools": 0.10}
    custom = make_config({"eval": {"thresholds": {"persona": 0.2}, "reports_dir": "/tmp/r"}})
    assert thresholds_from_config(custom)["persona"] == 0.2 and custom.eval.reports_dir == "/tmp/r"
