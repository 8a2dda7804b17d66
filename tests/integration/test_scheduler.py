"""The scheduler with the real small models: no overlap on the device, downshift, the on-demand MoE,
the budget, idle unload (measured RSS), and the shutdown state carried to the next start.

Every wait has a deadline (`wait_until_async`); assertions are about order, not speed."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import soundfile as sf

from app.commands.session import print_result
from engine.audio.io import read_audio
from engine.audio.resample import to_whisper_input
from engine.audio.sinks import WavFileSink
from engine.bus import EventBus
from engine.events import (
    DownshiftChanged,
    Event,
    JudgeResult,
    ModelLoaded,
    ModelUnloaded,
    MoEDisabled,
    PlanResult,
    ReplyDelta,
    ToolPlanResult,
)
from engine.pipeline.moe_planner import moe_writer
from engine.registry.registry import ModelProvider, Registry
from engine.scheduler import policy
from engine.scheduler.device import LeaseRecord
from engine.scheduler.lanes import Lanes
from engine.scheduler.moe import MoE, NeedJudge, PlanGenerate
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, SamplingParams
from engine.stages.options import LLMOptions, STTOptions
from engine.tools.builtin import builtin_tools
from engine.tools.planner import Planner
from engine.tools.registry import ToolRegistry
from engine.tools.router import Route
from tests.conftest import DATA, AssistantEnv, make_config
from tests.harness.waiting import wait_until_async

pytestmark = pytest.mark.models

PRIMARY = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
LIGHT = "smollm2-135m-instruct-q4_1-v1.0"
STANDIN = "qwen2.5-coder-0.5b-moe-standin-q4_k_m-v1.0"
WORDS = re.compile(r"\w+")
DEADLINE_S = 120.0  # real models on a busy 2-core machine: generous, but a hang still fails


def words(text: str) -> list[str]:
    return WORDS.findall(text.lower())


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def assert_no_overlap(records: list[LeaseRecord]) -> None:
    ordered = sorted(records, key=lambda r: r.start)  # a revoked lease's record ends when its call returned
    for a, b in itertools.pairwise(ordered):
        assert a.end <= b.start, f"{a} overlaps {b}"


def long_wav(path: Path, repeats: int = 5) -> Path:
    """About 25 s of English speech from the short fixtures, with pauses between them."""
    names = ("en_days_week.wav", "en_capital_france.wav")
    parts = [to_whisper_input(read_audio(DATA / name)).samples for name in names]
    gap = np.zeros(8000, np.float32)
    samples = np.concatenate([np.concatenate([p, gap]) for _ in range(repeats) for p in parts])
    sf.write(path, samples, 16000)
    return path


def config(**scheduler: Any) -> Any:
    return make_config(
        {
            "llm": {
                "primary": {
                    "id": PRIMARY,
                    "max_output_tokens": 32,
                    "temperature": 0.0,
                    "context_length": 1024,
                    "threads": 2,
                },
                "lightweight": {
                    "id": LIGHT,
                    "max_output_tokens": 32,
                    "temperature": 0.0,
                    "context_length": 1024,
                    "threads": 2,
                },
            },
            "classification": {"emotion": {"min_confidence": 0.0}},
            "scheduler": {"device": "cpu", **scheduler},
        }
    )


# -- the scheduler alone, with the real STT and LLM -----------------------------------------------------


def test_stt_and_llm_at_once_never_overlap_on_the_device(installed: Any) -> None:
    stt = installed("faster-whisper-tiny-en").load(
        STTOptions(device="cpu", compute_type="int8", beam_size=1, threads=2)
    )
    llm = installed(PRIMARY).load(LLMOptions(context_length=1024, n_gpu_layers=0, threads=2))
    lanes = Lanes()
    sched = Scheduler(config(chunk_tokens=4), lanes, EventBus(), device="cpu")
    audio = to_whisper_input(read_audio(DATA / "en_capital_france.wav"))
    messages = [ChatMessage("user", "Count from one to twenty in words, separated by commas.")]

    async def main() -> tuple[str, str]:
        loop = asyncio.get_running_loop()
        first_piece = asyncio.Event()

        def generate() -> str:
            out: list[str] = []
            for piece in sched.stream("llm", llm.stream_chat(messages, SamplingParams(temperature=0.0, max_tokens=40))):
                out.append(piece)
                if len(out) == 1:
                    loop.call_soon_threadsafe(first_piece.set)
            return "".join(out)

        generation = asyncio.ensure_future(lanes.run("llm", generate))
        await asyncio.wait_for(first_piece.wait(), DEADLINE_S)  # the LLM is generating: a transcription arrives
        transcript = await sched.run("stt", "stt", stt.transcribe, audio, "en")
        return transcript.text, await generation

    try:
        heard, reply = asyncio.run(main())
    finally:
        sched.device.close()
        lanes.shutdown()
    assert "france" in words(heard)
    assert "three" in words(reply)
    records = sched.device.records()
    assert_no_overlap(records)
    stt_leases = [r for r in records if r.holder == "stt"]
    assert len(stt_leases) == 1
    # STT got the device between two chunks of the reply, not after the whole reply
    assert any(r.holder == "llm" and r.end <= stt_leases[0].start for r in records)
    assert any(r.holder == "llm" and r.start >= stt_leases[0].end for r in records)


# -- downshift: a question while a transcription runs (what `sova ask --json` reports) --------------------


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[AssistantEnv]:
    e = AssistantEnv(tmp_path / "data", config())
    yield e
    if not e.loop.is_closed():
        e.close()


def test_a_question_during_a_transcription_is_downshifted_and_reported(
    env: AssistantEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assistant = env.assistant
    sched = assistant.scheduler
    stt = assistant.stages.stt  # type: ignore[union-attr]
    audio = to_whisper_input(read_audio(long_wav(tmp_path / "long.wav")))
    assert audio.duration_s > 20

    async def main() -> tuple[Any, Any, bool]:
        transcription = asyncio.ensure_future(sched.run("stt", "stt", stt.transcribe, audio, "en"))
        await wait_until_async(lambda: sched.device.holder == "stt", "the transcription to hold the device", DEADLINE_S)
        sink = WavFileSink(tmp_path / "reply.wav")
        try:
            result = await assistant.ask_text("What is the capital of France?", sink)
        finally:
            sink.close()
        still_transcribing = not transcription.done()
        return result, await transcription, still_transcribing

    result, transcript, _ = env.run(main())
    assert {"france", "week"} <= set(words(transcript.text))
    assert result.downshifted is True
    assert result.downshift_reason == policy.STT_BUSY
    assert result.models["llm"] == LIGHT
    assert result.reply_text
    assert DownshiftChanged(True, policy.STT_BUSY, "lightweight", LIGHT) in env.events
    # the reply's LLM leases came after the transcription's: never both on the device
    records = sched.device.records()
    assert_no_overlap(records)
    stt_end = next(r.end for r in records if r.holder == "stt")
    assert all(r.start >= stt_end for r in records if r.holder == "llm")
    # what `sova ask --json` prints
    print_result(result, None, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert data["downshifted"] is True and data["downshift_reason"] == policy.STT_BUSY
    assert data["models"]["llm"] == LIGHT

    # the device is free again: the primary comes back, and the status bar hears of it
    sink = WavFileSink(tmp_path / "reply2.wav")
    again = env.run(assistant.ask_text("What is the capital of Italy?", sink))
    sink.close()
    assert (again.downshifted, again.downshift_reason, again.models["llm"]) == (False, "", PRIMARY)
    downshifts = [e for e in env.events if isinstance(e, DownshiftChanged)]
    assert downshifts[-1] == DownshiftChanged(False, "", "primary", PRIMARY)
    assert assistant.scheduler_state.downshifted is False
    text = assistant.metrics.exposition()
    assert 'sova_stage_latency_ms_count{stage="llm_first_token"} 2.0' in text
    assert f'sova_scheduler_downshifts_total{{reason="{policy.STT_BUSY}"}} 1.0' in text


# -- the on-demand MoE --------------------------------------------------------------------------------------


def moe_env(
    registry: Registry, installed: Any, **moe: Any
) -> tuple[Scheduler, MoE, Lanes, list[Event], ModelProvider]:
    """A scheduler with the resident 0.5B primary and a MoE on the stand-in manifest; its bus's events."""
    cfg = config(
        ram_budget_mb=moe.pop("ram_budget_mb", 16384),
        moe={"model": STANDIN, "context_length": 1024, "max_output_tokens": 96, "threads": 2, **moe},
    )
    installed(STANDIN).unload()  # each test starts with the MoE not loaded, whatever the one before did
    lanes = Lanes()
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    sched = Scheduler(cfg, lanes, bus, device="cpu")
    primary = installed(PRIMARY)
    model = primary.load(LLMOptions(context_length=1024, n_gpu_layers=0, threads=2))
    sched.residents.add(PRIMARY, sched.cost_mb(primary.manifest))
    return sched, MoE(sched, registry, cfg.scheduler.moe, {"primary": model}), lanes, events, installed(STANDIN)


def test_moe_lazy_loads_judges_plans_and_is_unloaded_when_idle(registry: Registry, installed: Any) -> None:
    sched, moe, lanes, events, standin = moe_env(registry, installed, idle_unload_s=1.0)
    assert not standin.loaded
    used_before = sched.budget.used_mb

    async def main() -> tuple[Any, Any, float, float]:
        sched.watchdog.start()
        judged = await moe.handle(NeedJudge("What is the capital of France?", "Paris.", "Berlin.", reference="a"))
        planned = await moe.handle(PlanGenerate("Make a cup of tea", tools=("kettle", "timer")))
        loaded_rss = rss_mb()
        await wait_until_async(lambda: any(isinstance(e, ModelUnloaded) for e in events), "the idle unload", DEADLINE_S)
        unloaded_rss = rss_mb()
        await sched.close()
        return judged, planned, loaded_rss, unloaded_rss

    try:
        judged, planned, loaded_rss, unloaded_rss = asyncio.run(main())
    finally:
        lanes.shutdown()
    assert isinstance(judged, JudgeResult) and judged.NAME == "Judge.Result"
    assert judged.model_id == STANDIN and not judged.downshifted
    assert judged.winner in ("a", "b", "tie") and judged.agrees == (judged.winner == "a")
    assert isinstance(planned, PlanResult) and planned.steps and planned.model_id == STANDIN
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["ModelLoaded", "JudgeResult", "PlanResult", "ModelUnloaded"], kinds
    assert events[0] == ModelLoaded(STANDIN, 700)
    assert events[-1] == ModelUnloaded(STANDIN, "idle")
    # unloading freed the memory: measured, and in the budget
    assert not standin.loaded and STANDIN not in sched.residents
    assert loaded_rss - unloaded_rss > 150, (loaded_rss, unloaded_rss)
    assert sched.budget.used_mb == used_before and sched.budget.peak_mb <= sched.budget.total_mb
    text = sched.metrics.exposition()
    assert "moe_judge_latency_ms_count 1.0" in text and "moe_planner_latency_ms_count 1.0" in text
    assert f"moe_judge_agreement_rate {1.0 if judged.agrees else 0.0}" in text
    resident = float(re.search(r"^moe_memory_resident_sec (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]
    assert resident >= 1.0


def test_the_moe_plans_a_tool_turn(registry: Registry, installed: Any, tmp_path: Path) -> None:
    """`[tools] planner = "moe"`: the tool plan is the MoE's `plan` work, under the JSON plan's grammar for a
    model whose manifest names no function-calling format of its own (the stand-in; gpt-oss's harmony is
    read by engine/tools/moe_plan.py, tested by table)."""
    sched, moe, lanes, events, standin = moe_env(registry, installed, max_output_tokens=160)
    tools = ToolRegistry(builtin_tools(tmp_path, ZoneInfo("UTC")))
    planner = Planner(tools, writer=moe_writer(moe, tools))

    async def main() -> Any:
        try:
            return await planner.from_writer("How many kilometres is 5 miles?", Route(("convert_units",)), "en")
        finally:
            await sched.close()

    try:
        plan = asyncio.run(main())
    finally:
        lanes.shutdown()
        standin.unload()
    (result,) = [e for e in events if isinstance(e, ToolPlanResult)]
    assert result.model_id == STANDIN and result.native_format is None and not result.downshifted
    assert [c.tool for c in plan.calls] == ["convert_units"], result.text
    assert 5 in plan.calls[0].args.values() or "5" in plan.calls[0].args.values(), plan.calls
    assert "moe_planner_latency_ms_count 1.0" in sched.metrics.exposition()


def test_moe_that_does_not_fit_the_budget_is_not_loaded(registry: Registry, installed: Any) -> None:
    # 700 MB (the resident primary) + 700 MB (the MoE) > 1200 MB: the primary judges instead
    sched, moe, lanes, events, standin = moe_env(registry, installed, ram_budget_mb=1200)
    try:
        judged = asyncio.run(moe.handle(NeedJudge("What is 2 + 2?", "4", "5")))
    finally:
        sched.device.close()
        lanes.shutdown()
    assert isinstance(judged, JudgeResult)
    assert judged.model_id == PRIMARY and judged.downshifted
    assert judged.downshift_reason == f"{policy.MOE_BUDGET}: the primary model stands in"
    assert not standin.loaded and sched.budget.peak_mb <= 1200
    assert [type(e) for e in events] == [JudgeResult]


def test_moe_switches_itself_off_when_its_p95_breaks_the_sla(registry: Registry, installed: Any) -> None:
    sched, moe, lanes, events, standin = moe_env(
        registry, installed, p95_sla_ms=1.0, sla_min_samples=1, use_cases=["judge"]
    )

    async def main() -> tuple[Any, Any, Any]:
        plan = await moe.handle(PlanGenerate("Water the plants"))  # not whitelisted: never loads the MoE
        assert not standin.loaded
        first = await moe.handle(NeedJudge("Is the sky blue?", "Yes.", "No."))
        second = await moe.handle(NeedJudge("Is snow cold?", "Yes.", "No."))
        await sched.close()
        return first, second, plan

    try:
        first, second, plan = asyncio.run(main())
    finally:
        lanes.shutdown()
    assert first.model_id == STANDIN and not first.downshifted
    assert next(e for e in events if isinstance(e, MoEDisabled)).p95_ms > 1.0
    assert not moe.enabled and "p95" in moe.disabled_reason
    assert second.model_id == PRIMARY and second.downshifted and "p95" in second.downshift_reason
    assert plan.model_id == PRIMARY and "not a whitelisted" in plan.downshift_reason
    assert "sova_scheduler_moe_enabled 0.0" in sched.metrics.exposition()


# -- shutdown: the state is saved and the next start offers it to the first prompt --------------------------


def test_shutdown_saves_state_and_the_next_start_offers_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = AssistantEnv(data, config())
    question = "Tell me a long story about a brave owl who lives in a tall oak tree."

    def close_on_first_delta(event: Event) -> None:
        if isinstance(event, ReplyDelta) and not first.assistant.closing:
            first.loop.create_task(first.assistant.close())

    sink = WavFileSink(tmp_path / "a.wav")
    first.run(first.assistant.ask_text("I am so sad today, my cat is ill.", sink))
    first.assistant.bus.subscribe(close_on_first_delta)
    cut = first.run(first.assistant.ask_text(question, sink))
    sink.close()
    first.run(wait_until_async(lambda: bool(first.assistant.shutdown_report), "the shutdown to finish", DEADLINE_S))
    first.loop.close()
    assert cut.interrupted
    assert [o.name for o in first.assistant.shutdown_report] == ["input", "processing", "state", "output"]
    assert all(o.ok for o in first.assistant.shutdown_report), first.assistant.shutdown_report
    assert (data / "metrics.prom").read_text().count("sova_stage_latency_ms_count") >= 1

    second = AssistantEnv(data, config())
    try:
        saved = second.assistant.restored  # a SessionState (engine/memory/session_state.py)
        assert saved is not None and saved.emotion is not None
        assert [t.user_text for t in saved.cut_off] == [question]
        prompts: list[str] = []
        build = second.assistant.prompts.build

        def spy(*args: Any, **kwargs: Any) -> Any:
            prompts.append(kwargs.get("memory_summary", ""))
            return build(*args, **kwargs)

        second.assistant.prompts.build = spy  # type: ignore[method-assign]
        sink = WavFileSink(tmp_path / "b.wav")
        second.run(second.assistant.ask_text("Hello again.", sink))
        second.run(second.assistant.ask_text("How are you?", sink))
        sink.close()
        assert f"seemed {saved.emotion.label}" in prompts[0] and question in prompts[0]
        assert prompts[1] == ""  # offered once
    finally:
        second.close()
