"""A model under test: the real engine (`Assistant`) configured for measurement.

The model answers as the primary (temperature 0, so the same items give the same replies), long-term
memory is off (items must not leak into each other; the memory suite measures memory), and Russian
is spoken with the fastest installed voice: the eval measures what is said, not the voice, and a
slow voice would cost minutes of CPU. Each turn's reply is synthesised into a temporary WAV file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.assistant import Assistant
from engine.audio.sinks import WavFileSink
from engine.config import LLMRoleSection, SovaConfig
from engine.errors import ModelUnavailableError
from engine.eval.judge import Judge
from engine.events import TurnResult
from engine.registry.registry import Registry
from engine.scheduler.moe import MoE
from engine.stages.base import LanguageModel
from engine.stages.options import LLMOptions

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
RESOURCES_DIR = ROOT / "resources"
EVAL_DIR = ROOT / "eval"
#: replies longer than this are cut (the persona asks for one or two sentences: about 60 words at most;
#: a cut reply fails the persona's `short` check; the cut saves minutes of CPU on a long list)
EVAL_MAX_OUTPUT_TOKENS = 80
EVAL_TASK_TIMEOUT_S = 600.0
#: the fastest Russian voice, used when installed
FAST_RU_VOICE = "espeak-ng-ru"
LLM_ROLES = ("primary", "lightweight", "micro", "secondary")


def eval_config(config: SovaConfig, registry: Registry, model_id: str, role: str = "primary") -> SovaConfig:
    """`config` with `model_id` answering as the primary, sampled deterministically, memory off."""
    section = getattr(config.llm, role, None) if role in LLM_ROLES else None
    base: LLMRoleSection = section if isinstance(section, LLMRoleSection) else config.llm.primary
    primary = base.model_copy(
        update={
            "id": model_id,
            "temperature": 0.0,
            "top_p": 1.0,
            "max_output_tokens": min(base.max_output_tokens, EVAL_MAX_OUTPUT_TOKENS),
        }
    )
    update: dict[str, Any] = {
        "llm": config.llm.model_copy(update={"primary": primary}),
        "memory": config.memory.model_copy(update={"enabled": False}),
        # a busy machine must slow the eval down, not fail its turns
        "scheduler": config.scheduler.model_copy(
            update={
                "task_timeout_s": max(config.scheduler.task_timeout_s, EVAL_TASK_TIMEOUT_S),
                "moe": config.scheduler.moe.model_copy(
                    update={"timeout_s": max(config.scheduler.moe.timeout_s, EVAL_TASK_TIMEOUT_S)}
                ),
            }
        ),
    }
    if FAST_RU_VOICE in registry and registry.get(FAST_RU_VOICE).status().installed:
        tts = config.audio.tts.model_copy(update={"ru": FAST_RU_VOICE})
        update["audio"] = config.audio.model_copy(update={"tts": tts})
    return config.model_copy(update=update)


@dataclass
class TurnRecord:
    """One measured turn: what was asked, the reply, its token counts and timings."""

    item_id: str
    language: str
    prompt: str
    result: TurnResult
    user_tokens: int
    reply_tokens: int


@dataclass
class ModelSession:
    """A started assistant answering with the model under test, and the judge to grade it."""

    assistant: Assistant
    judge: Judge
    model_id: str
    workdir: Path
    turns: list[TurnRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def llm(self) -> LanguageModel:
        """The loaded model under test (its tokenizer counts the tokens)."""
        stages = self.assistant.stages
        assert stages is not None  # started
        return stages.llm.model

    @property
    def max_output_tokens(self) -> int:
        """The reply token cap the model under test runs with."""
        return self.assistant.config.llm.primary.max_output_tokens

    @property
    def template_version(self) -> str:
        """The prompt templates' version hashes of the turns run (one per reply language), joined."""
        versions = {f"{t.language}:{t.result.template_version}" for t in self.turns if t.result.template_version}
        return ",".join(sorted(versions))

    def new_conversation(self) -> None:
        """Each item starts from an empty conversation."""
        self.assistant.new_conversation()

    async def ask(self, item_id: str, text: str, language: str, *, record: bool = True) -> TurnResult:
        """One real turn; the reply is synthesised to a temporary WAV file."""
        sink = WavFileSink(self.workdir / "reply.wav")
        started = time.perf_counter()
        try:
            result = await self.assistant.ask_text(text, sink, language=language)
        finally:
            sink.close()
        log.info("%s: %.1f s: %r", item_id, time.perf_counter() - started, result.reply_text[:80])
        answered_by = result.models.get("llm", "")
        if answered_by and answered_by != self.model_id:
            self.notes.append(f"{item_id}: answered by {answered_by}, not {self.model_id} ({result.downshift_reason})")
        if record:
            self.turns.append(
                TurnRecord(item_id, language, text, result, self.llm.count_tokens(text),
                           self.llm.count_tokens(result.reply_text))
            )
        return result

    def second_judge(self) -> Judge | None:
        """The primary as a second judge when the MoE judged (two judges installed); else None."""
        moe = self.judge.moe
        if moe.config.model not in self.judge.models:
            return None
        off = moe.config.model_copy(update={"enabled": False})
        return Judge(MoE(moe.scheduler, moe.registry, off, moe.stand_ins), self.judge.rubrics_dir)

    async def close(self) -> None:
        """Shut the assistant down."""
        await self.assistant.close()


async def open_session(
    config: SovaConfig, registry: Registry, model_id: str, role: str, data_dir: Path
) -> ModelSession:
    """Start the engine with `model_id` under test; the judge is the configured judge, never the candidate.

    The judge is the MoE when installed, else the configured primary standing in. When the model
    under test is not the configured primary, the configured primary is loaded beside it as the
    judge's stand-in, so two models compared with each other are graded by the same judge.
    """
    assistant = Assistant(eval_config(config, registry, model_id, role), registry, data_dir, resources=RESOURCES_DIR)
    started = time.perf_counter()
    try:
        await assistant.start()
        stages = assistant.stages
        assert stages is not None and assistant.moe is not None  # set by start()
        if stages.llm.model.model_id != model_id:  # the engine fell back to another model: measure nothing
            raise ModelUnavailableError(
                f"{model_id} could not be loaded for the eval: " + "; ".join(stages.notices),
                hint="check it with `sova models verify`",
            )
        moe = assistant.moe
        judge_id = config.llm.primary.id
        if model_id != judge_id:
            moe = await _judge_moe(assistant, config, registry, judge_id)
    except BaseException:
        await assistant.close()
        raise
    session = ModelSession(assistant, Judge(moe, EVAL_DIR / "rubrics"), model_id, data_dir)
    session.notes.append(f"engine started in {time.perf_counter() - started:.1f} s")
    return session


async def _judge_moe(assistant: Assistant, config: SovaConfig, registry: Registry, judge_id: str) -> MoE:
    """A MoE whose primary stand-in is the configured primary (loaded on the aux lane)."""
    settings = config.llm.primary
    options = LLMOptions(context_length=settings.context_length, n_gpu_layers=settings.n_gpu_layers,
                         threads=settings.threads or 0)
    provider = registry.get(judge_id)
    model: LanguageModel = await assistant.lanes.run("aux", provider.load, options)
    stages = assistant.stages
    assert stages is not None
    return MoE(assistant.scheduler, registry, assistant.config.scheduler.moe,
               {"primary": model, "lightweight": stages.lightweight.model})
