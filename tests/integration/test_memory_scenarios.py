"""The memory scenarios, reduced to a few conversations: retrieval through the real writer, extractor and recall,
and answers through a real assistant in a fresh data dir.

The full set is a command (docs/memory.md, "Measured"): ``.venv/bin/python -m engine.eval.memory_suite --retrieval``.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from engine.audio.sinks import WavFileSink
from engine.eval.memory_suite import load_scenarios, open_service, run_answers, run_retrieval

pytestmark = [pytest.mark.models, pytest.mark.slow]

#: identity (4 turns, 2 of them small talk the pre-filter skips) and the knowledge updates
REDUCED = ["01", "06"]


def test_reduced_retrieval_through_the_real_writer(tmp_path: Path) -> None:
    scenarios = load_scenarios(files=REDUCED)
    services = []

    def factory():  # type: ignore[no-untyped-def]
        services.append(open_service(tmp_path))
        return services[-1]

    report = run_retrieval(factory, scenarios)
    try:
        assert report.n == len(scenarios.questions)
        assert report.skipped_by_prefilter == 2  # "Hi Sova!" and "Thanks, that's all for now."
        assert report.facts_added >= 3
        # the update replaced Kazan: nothing current still says the user lives there
        facts = services[0].items(kind="fact", include_superseded=False)
        current = [m.text + " " + m.source_quote for m in facts]
        assert not any("Казан" in t for t in current), current
        assert report.recall_at_5 >= 0.75, report.results
    finally:
        services[0].close()


def test_reduced_answers_through_a_real_assistant(tmp_path: Path) -> None:
    from tests.conftest import FAST_LLM, AssistantEnv, make_config

    full = load_scenarios(files=["06", "07"])
    # the updates, two questions about them, and two things never said
    questions = tuple(q for q in full.questions if q.id in ("city-ru", "job-en", "mother-en", "color-ru"))
    scenarios = replace(full, conversations=full.conversations[:3], questions=questions)
    env = AssistantEnv(tmp_path, make_config(FAST_LLM | {"memory": {"enabled": True}}))
    assistant = env.assistant

    async def ask(text: str, language: str) -> str:
        result = await assistant.ask_text(text, WavFileSink(tmp_path / "reply.wav"), language=language)
        # the memory write runs after the reply and yields to the next turn: finish it before asking on
        await assistant.flush_memory()
        return result.reply_text

    try:
        report = env.run(run_answers(ask, assistant.new_conversation, scenarios))
        assert (report.n_answer, report.n_abstain) == (2, 2)
        assert report.accuracy >= 0.5, report.results
        # abstention is measured, not yet asserted: the 0.5B invents a mother's name or a favourite colour
        # although nothing was recalled and its note says it may not know (issue 10's target, still open;
        # the full figure: `sova eval --suite memory_answers`, docs/memory.md)
        assert 0.0 <= report.abstention <= 1.0 and all(r.gated_hits == 0 for r in report.results[2:])
    finally:
        env.close()
        asyncio.set_event_loop(None)
