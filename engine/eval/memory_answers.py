"""The memory suite's answer half as a command (issue 10): answer accuracy and abstention, end to end.

A real assistant with long-term memory on (the configured models; the answering model greedy, as in
`sova eval`) is told every conversation of eval/scenarios/memory, each turn's memory write finished
before the next turn, then asked each question in a new conversation. A reply is right when it holds
one of the question's expected stems; a never-said question is right when the reply says it does not
know (`memory_suite.is_abstention`).

    sova eval --suite memory_answers [--llm ID] [--json FILE]

Not in `sova eval`'s default suites: it writes 26 turns through the extractor and asks 82 questions
(minutes of CPU on this machine, docs/memory.md has the figure).
"""

from __future__ import annotations

import time
from pathlib import Path

from engine.assistant import Assistant
from engine.audio.sinks import WavFileSink
from engine.config import SovaConfig
from engine.eval.memory_suite import AnswerReport, Scenarios, run_answers
from engine.eval.session import RESOURCES_DIR, eval_config
from engine.registry.registry import Registry


def memory_config(config: SovaConfig, registry: Registry, llm_id: str) -> SovaConfig:
    """`sova eval`'s configuration for `llm_id` (greedy, short replies), with long-term memory on."""
    measured = eval_config(config, registry, llm_id)
    return measured.model_copy(update={"memory": config.memory.model_copy(update={"enabled": True})})


async def run(config: SovaConfig, registry: Registry, scenarios: Scenarios, workdir: Path) -> AnswerReport:
    """Tell the conversations to a fresh assistant in `workdir`, then ask every question; print each turn."""
    assistant = Assistant(config, registry, workdir, resources=RESOURCES_DIR)
    await assistant.start()
    asked = set(q.question for q in scenarios.questions)

    async def ask(text: str, language: str) -> str:
        sink = WavFileSink(workdir / "reply.wav")
        t0 = time.perf_counter()
        try:
            result = await assistant.ask_text(text, sink, language=language)
        finally:
            sink.close()
        await assistant.flush_memory()  # the write yields to the next turn: finish it first
        recalled = f" | recalled {len(result.memories)}" if text in asked else ""
        print(f"{time.perf_counter() - t0:6.1f}s {text!r} -> {result.reply_text!r}{recalled}", flush=True)
        return result.reply_text

    try:
        return await run_answers(ask, assistant.new_conversation, scenarios)
    finally:
        await assistant.close()
