"""The suites other features own: memory (engine/eval/memory_suite.py) and tools (engine/tools/evaluate.py).

They are run when their module exists and skipped with a message when it does not (never faked).
Each item is scored on its own, so the metrics carry per-item scores (A/B and the gate pair them).

- tools: every scenario of eval/scenarios/tools (the `reduced` CI subset in the gate) is routed and
  planned as in a real turn (the tools' own parsers first, then the model under test writing the
  plan) and its call really run; `tools.accuracy` is the share with the right tool and arguments,
  `tools.false_tool_rate` the share of tool-free utterances that called one anyway.
- memory: the retrieval half of the memory suite (its own memory service: the embeddings model and
  the lightweight extractor; the model under test plays no part in retrieval): recall@5, precision@5
  and MRR of the golden memories.
- memory_answers (asked for by name, minutes of CPU): a second assistant with long-term memory on and
  the model under test answering is told the conversations, then asked every question anew:
  `memory.answer_accuracy` and `memory.abstention_rate` (engine/eval/memory_answers.py).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import tempfile
from pathlib import Path

from engine.eval.metrics import mean_value, proportion
from engine.eval.session import ModelSession
from engine.eval.suites import SuiteResult

#: suite -> (module, the issue that builds it)
EXTERNAL_SUITES: dict[str, tuple[str, str]] = {
    "memory": ("engine.eval.memory_suite", "issue 10 (long-term memory)"),
    "memory_answers": ("engine.eval.memory_answers", "issue 10 (long-term memory)"),
    "tools": ("engine.tools.evaluate", "issue 11 (tools)"),
}


def module_available(module: str) -> bool:
    """Whether the module can be imported (its feature is built)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


async def run_external(suite: str, session: ModelSession, *, gate: bool = False) -> SuiteResult:
    """Run the `memory` or `tools` suite when its module exists; else a skipped result saying why."""
    module_name, owner = EXTERNAL_SUITES[suite]
    if not module_available(module_name):
        return SuiteResult(suite, skipped=f"not built yet: {module_name} is missing ({owner})")
    if suite == "tools":
        return await _tools(session, reduced=gate)
    if suite == "memory_answers":
        return await _memory_answers(session)
    return await _memory()


async def _tools(session: ModelSession, *, reduced: bool) -> SuiteResult:
    from engine.tools import evaluate
    from engine.tools.planner import model_generate

    out = SuiteResult("tools")
    generate = model_generate(session.llm)
    right, right_ids, false_calls, none_ids = [], [], [], []
    for n, scenario in enumerate(evaluate.load_scenarios(reduced=reduced)):
        score = await evaluate.run([scenario], generate)
        item = f"tools-{n}-{scenario.language}"
        if scenario.tool is None:
            false_calls.append(score.none_false == 1)
            none_ids.append(item)
        else:
            right.append(score.tool_right == 1)
            right_ids.append(item)
        out.items.append({"id": item, "text": scenario.text, "tool": scenario.tool, "failures": score.failures})
    if right:
        out.metrics["tools.accuracy"] = proportion(right, right_ids)
    if false_calls:
        out.metrics["tools.false_tool_rate"] = proportion(false_calls, none_ids)
    return out


async def _memory() -> SuiteResult:
    from engine.eval import memory_suite

    out = SuiteResult("memory")
    scenarios = memory_suite.load_scenarios()
    with tempfile.TemporaryDirectory(prefix="sova-eval-memory-") as tmp:
        report = await asyncio.to_thread(memory_suite.run_retrieval,
                                         lambda: memory_suite.open_service(Path(tmp)), scenarios)
    answerable = [r for r, q in zip(report.results, scenarios.questions, strict=True) if not q.abstain]
    ids = [r.id for r in answerable]
    if answerable:
        out.metrics["memory.recall_at_5"] = proportion([r.rank is not None for r in answerable], ids)
        out.metrics["memory.mrr"] = mean_value([1.0 / r.rank if r.rank else 0.0 for r in answerable], ids)
        injected = [r for r in answerable if r.gated_hits]  # precision of what recall puts into the prompt
        if injected:
            out.metrics["memory.precision_at_5"] = mean_value(
                [r.relevant_hits / r.gated_hits for r in injected], [r.id for r in injected]
            )
    out.notes.append(f"{report.turns} turns written, {report.facts_added} facts, {report.write_seconds} s")
    return out


async def _memory_answers(session: ModelSession) -> SuiteResult:
    from engine.eval import memory_answers, memory_suite

    out = SuiteResult("memory_answers")
    scenarios = memory_suite.load_scenarios()
    assistant = session.assistant
    config = memory_answers.memory_config(assistant.config, assistant.registry, session.model_id)
    with tempfile.TemporaryDirectory(prefix="sova-eval-memory-answers-") as tmp:
        report = await memory_answers.run(config, assistant.registry, scenarios, Path(tmp))
    pairs = list(zip(report.results, scenarios.questions, strict=True))
    answerable = [r for r, q in pairs if not q.abstain]
    never = [r for r, q in pairs if q.abstain]
    if answerable:
        out.metrics["memory.answer_accuracy"] = proportion([r.correct for r in answerable], [r.id for r in answerable])
    if never:
        out.metrics["memory.abstention_rate"] = proportion([r.correct for r in never], [r.id for r in never])
    out.items.extend({"id": r.id, "question": q.question, "reply": r.reply, "correct": r.correct} for r, q in pairs)
    return out
