"""The on-demand MoE role (seed 19): judge, plan and long-context work, loaded only when asked for.

Lifecycle: a trigger (Eval.NeedJudge / Reflection.LongContext / Plan.Generate, a tool plan's too) -> lazy load (within
the memory budget) -> the task, with a time limit -> a typed result event (Judge.Result /
Plan.Result / Reflection.Result) -> the idle watchdog unloads it after `idle_unload_s`.
Only whitelisted use cases load it; it switches itself off when its p95 latency breaks the SLA.
When it cannot be used, the primary stands in and the result says so (`downshifted`).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.cancel import CancelToken
from engine.config import MoESection, MoEUseCase
from engine.errors import BudgetExceeded, ModelUnavailableError, StageError, TaskTimeout
from engine.events import JudgeResult, MoEDisabled, PlanResult, ReflectionResult, ToolPlanResult
from engine.registry.manifest import Role
from engine.registry.registry import Registry
from engine.scheduler.policy import Decision
from engine.scheduler.scheduler import Scheduler, default_threads
from engine.stages.base import ChatMessage, LanguageModel, SamplingParams
from engine.stages.options import LLMOptions


@dataclass(frozen=True)
class NeedJudge:
    """Eval.NeedJudge: which of two answers to `question` is better (`reference`: the expected verdict)."""

    NAME: ClassVar[str] = "Eval.NeedJudge"
    USE_CASE: ClassVar[MoEUseCase] = "judge"

    question: str
    answer_a: str
    answer_b: str
    reference: str | None = None

    @property
    def subject(self) -> str:
        """What the task is about, in a few words (saved if the shutdown cuts it off)."""
        return self.question


@dataclass(frozen=True)
class LongContext:
    """Reflection.LongContext: summarise a long text (a whole session, a long memory)."""

    NAME: ClassVar[str] = "Reflection.LongContext"
    USE_CASE: ClassVar[MoEUseCase] = "long_context"

    text: str
    instruction: str = "Summarise the text in a few sentences."

    @property
    def subject(self) -> str:
        """What the task is about, in a few words (saved if the shutdown cuts it off)."""
        return f"{self.instruction} ({len(self.text)} characters)"


@dataclass(frozen=True)
class PlanGenerate:
    """Plan.Generate: a short structured plan for `goal` with the given tools."""

    NAME: ClassVar[str] = "Plan.Generate"
    USE_CASE: ClassVar[MoEUseCase] = "plan"

    goal: str
    tools: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        """What the task is about, in a few words (saved if the shutdown cuts it off)."""
        return self.goal


@dataclass(frozen=True)
class ToolPlan:
    """Plan.Generate for a tool turn: which tools to call, with which arguments.

    `messages` under `schema` ask for the internal JSON plan (any model, llama.cpp's grammar); `native`
    asks the same in the MoE's own function calling, used when its manifest names that format
    (`metadata.planner_format`, gpt-oss: "harmony"). The caller reads the result's text accordingly.
    """

    NAME: ClassVar[str] = "Plan.Generate"
    USE_CASE: ClassVar[MoEUseCase] = "plan"

    question: str
    messages: tuple[ChatMessage, ...]
    schema: dict[str, object] = field(hash=False)
    native: tuple[ChatMessage, ...] = ()

    @property
    def subject(self) -> str:
        """What the task is about, in a few words (saved if the shutdown cuts it off)."""
        return self.question


Trigger = NeedJudge | LongContext | PlanGenerate | ToolPlan
MoEResult = JudgeResult | PlanResult | ToolPlanResult | ReflectionResult

_JUDGE_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": ["a", "b", "tie"]},
        "reason": {"type": "string", "maxLength": 160},
    },
    "required": ["winner", "reason"],
}
_PLAN_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "steps": {"type": "array", "items": {"type": "string", "maxLength": 120}, "minItems": 1, "maxItems": 8}
    },
    "required": ["steps"],
}


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def sla_broken(latencies_ms: Sequence[float], sla_ms: float, min_samples: int) -> bool:
    """Whether enough latencies were seen and their p95 exceeds the SLA (seed 19's mitigation)."""
    return len(latencies_ms) >= min_samples and p95(latencies_ms) > sla_ms


def _with_reasoning(messages: Sequence[ChatMessage], reasoning: str | None) -> list[ChatMessage]:
    """`messages` with gpt-oss's reasoning-effort switch at the end of the system message."""
    if not reasoning or not messages or messages[0].role != "system":
        return list(messages)
    first = ChatMessage("system", f"{messages[0].content}\nReasoning: {reasoning}")
    return [first, *messages[1:]]


def _messages(
    trigger: Trigger, reasoning: str | None, native: bool = False
) -> tuple[list[ChatMessage], dict[str, object] | None]:
    if isinstance(trigger, ToolPlan):
        if native:  # the model's own format: no JSON grammar (it would forbid the format's markers)
            return _with_reasoning(trigger.native, reasoning), None
        return _with_reasoning(trigger.messages, reasoning), trigger.schema
    system = "You are a careful assistant that answers in the exact format asked for."
    if reasoning:
        system += f"\nReasoning: {reasoning}"  # gpt-oss's reasoning-effort switch
    if isinstance(trigger, NeedJudge):
        user = (
            f"Question: {trigger.question}\nAnswer A: {trigger.answer_a}\nAnswer B: {trigger.answer_b}\n"
            'Which answer is more correct and helpful? Reply as JSON: {"winner": "a" | "b" | "tie", "reason": "..."}'
        )
        return [ChatMessage("system", system), ChatMessage("user", user)], _JUDGE_SCHEMA
    if isinstance(trigger, PlanGenerate):
        tools = f"\nAvailable tools: {', '.join(trigger.tools)}" if trigger.tools else ""
        user = f'Goal: {trigger.goal}{tools}\nWrite a short plan as JSON: {{"steps": ["..."]}}'
        return [ChatMessage("system", system), ChatMessage("user", user)], _PLAN_SCHEMA
    user = f"{trigger.instruction}\n\n{trigger.text}"
    return [ChatMessage("system", system), ChatMessage("user", user)], None


def _fit_text(model: LanguageModel, trigger: LongContext, budget: int) -> LongContext:
    """Keep the end of a text too long for the context (the latest part matters most)."""
    n = model.count_tokens(trigger.text)
    if n <= budget:
        return trigger
    keep = max(1, int(len(trigger.text) * budget / n * 0.9))
    return LongContext(trigger.text[-keep:], trigger.instruction)


def _parse(model_id: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StageError(
            "moe",
            f"{model_id} did not answer with valid JSON: {text[:80]!r}",
            hint="raise [scheduler.moe] max_output_tokens",
        ) from exc
    if not isinstance(data, dict):
        raise StageError("moe", f"{model_id} answered with JSON that is not an object: {text[:80]!r}")
    return data


class MoE:
    """Runs the seed-19 triggers on the on-demand MoE model, or on the primary when it cannot."""

    def __init__(
        self,
        scheduler: Scheduler,
        registry: Registry,
        config: MoESection,
        stand_ins: Mapping[Role, LanguageModel],
    ) -> None:
        self.scheduler = scheduler
        self.registry = registry
        self.config = config
        self.stand_ins = dict(stand_ins)
        self.enabled = config.enabled
        self.disabled_reason = "" if config.enabled else "switched off in the config ([scheduler.moe] enabled)"
        self.latencies_ms: deque[float] = deque(maxlen=config.sla_window)
        self._lock = asyncio.Lock()
        self._pending: dict[int, Trigger] = {}
        self._ids = 0

    # -- availability ----------------------------------------------------------------------------------

    def _blocked_reason(self, use_case: MoEUseCase) -> str:
        """Why the MoE may not run `use_case` now ("" when it may)."""
        if not self.enabled:
            return f"the MoE is off: {self.disabled_reason}"
        if use_case not in self.config.use_cases:
            return f"{use_case} is not a whitelisted MoE use case"
        if self.config.model not in self.registry:
            return f"no manifest {self.config.model}"
        provider = self.registry.get(self.config.model)
        if provider.manifest.role != "optional_moe":
            return f"{self.config.model} is not an optional_moe model"
        status = provider.status()
        if not status.installed:
            return f"{self.config.model} is not installed"
        return ""

    def pending(self) -> tuple[Trigger, ...]:
        """The triggers in progress (saved as incomplete chains at shutdown)."""
        return tuple(self._pending.values())

    # -- running -----------------------------------------------------------------------------------------

    async def handle(self, trigger: Trigger) -> MoEResult:
        """Run one trigger to its result event (published on the bus and returned)."""
        self._ids += 1
        key = self._ids
        self._pending[key] = trigger
        try:
            async with self._lock:  # one MoE task at a time: they share one model and one KV cache
                return await self._handle(trigger)
        finally:
            self._pending.pop(key, None)

    def _decide(self, use_case: MoEUseCase) -> Decision:
        blocked = self._blocked_reason(use_case)
        cost: int | None = None
        loaded: set[Role] = set(self.stand_ins)
        if not blocked:
            cost = self.scheduler.cost_mb(self.registry.get(self.config.model).manifest)
            if self.config.model in self.scheduler.residents:
                loaded.add("optional_moe")
        state = self.scheduler.device_state(loaded=loaded, moe_cost_mb=cost, moe_blocked=blocked)
        return self.scheduler.decide(use_case, state)

    async def _handle(self, trigger: Trigger) -> MoEResult:
        decision = self._decide(trigger.USE_CASE)
        model: LanguageModel | None = None
        if decision.role == "optional_moe":
            try:
                model = await self._load(decision)
            except (BudgetExceeded, ModelUnavailableError) as exc:
                role: Role = "primary" if "primary" in self.stand_ins else "lightweight"
                decision = Decision(
                    role,
                    decision.context_length,
                    decision.n_gpu_layers,
                    decision.reasoning,
                    True,
                    f"{exc.message}: the {role} model stands in",
                )
        if model is None:
            model = self.stand_ins.get(decision.role) or next(iter(self.stand_ins.values()))
        on_moe = decision.role == "optional_moe"
        manifest = self.registry.get(self.config.model).manifest if on_moe else None
        manifest_modes = manifest.reasoning_modes if manifest else None
        reasoning = decision.reasoning if manifest_modes and decision.reasoning in manifest_modes else None
        native = self._native_format(trigger, manifest.metadata) if manifest else None
        if isinstance(trigger, LongContext):
            budget = model.context_length - self.config.max_output_tokens - 256
            trigger = _fit_text(model, trigger, max(64, budget))
        messages, schema = _messages(trigger, reasoning, native is not None)
        params = SamplingParams(
            temperature=0.0, top_p=1.0, max_tokens=self.config.max_output_tokens, json_schema=schema
        )
        t0 = time.perf_counter()
        try:
            text = await self._generate(model, messages, params, in_use=self.config.model if on_moe else None)
        except TaskTimeout:
            if on_moe:
                self._record_latency((time.perf_counter() - t0) * 1000.0)
            raise
        latency = round((time.perf_counter() - t0) * 1000.0, 1)
        result = self._result(trigger, text, model.model_id, latency, decision, native)
        if on_moe:
            if isinstance(result, JudgeResult):
                self.scheduler.metrics.moe_judge_latency_ms.observe(latency)
            elif isinstance(result, PlanResult | ToolPlanResult):
                self.scheduler.metrics.moe_planner_latency_ms.observe(latency)
            else:
                self.scheduler.metrics.moe_reflection_latency_ms.observe(latency)
            self._record_latency(latency)
        if isinstance(result, JudgeResult) and result.agrees is not None:
            self.scheduler.metrics.observe_agreement(result.agrees)
        self.scheduler.bus.publish(result)
        return result

    async def _load(self, decision: Decision) -> LanguageModel:
        provider = self.registry.get(self.config.model)
        options = LLMOptions(
            context_length=decision.context_length,
            n_gpu_layers=decision.n_gpu_layers,
            threads=self.config.threads or default_threads(),
        )
        model: LanguageModel = await self.scheduler.load(provider, options, idle_unload_s=self.config.idle_unload_s)
        return model

    async def _generate(
        self, model: LanguageModel, messages: list[ChatMessage], params: SamplingParams, *, in_use: str | None
    ) -> str:
        cancel = CancelToken()

        def work() -> str:
            pieces = self.scheduler.stream("moe", model.stream_chat(messages, params, cancel), cancel)
            if in_use is None:
                return "".join(pieces)
            with self.scheduler.residents.using(in_use):  # the watchdog waits while it works
                return "".join(pieces)

        try:
            return await asyncio.wait_for(self.scheduler.lanes.run("aux", work), self.config.timeout_s)
        except TimeoutError:
            cancel.set()  # the model stops at its next token and frees the lane
            raise TaskTimeout(
                f"the {model.model_id} task ran past {self.config.timeout_s:.0f} s",
                hint="raise [scheduler.moe] timeout_s, or lower max_output_tokens",
            ) from None

    @staticmethod
    def _native_format(trigger: Trigger, metadata: Mapping[str, Any]) -> str | None:
        """The MoE's own planning format for a tool plan that offers one ("harmony"), else None."""
        fmt = metadata.get("planner_format")
        return str(fmt) if isinstance(trigger, ToolPlan) and trigger.native and fmt else None

    def _result(
        self, trigger: Trigger, text: str, model_id: str, latency: float, decision: Decision, native: str | None
    ) -> MoEResult:
        reason = decision.reason if decision.downshifted else ""
        if isinstance(trigger, ToolPlan):
            return ToolPlanResult(text, native, model_id, latency, decision.downshifted, reason)
        if isinstance(trigger, NeedJudge):
            data = _parse(model_id, text)
            winner = str(data.get("winner", "")).lower()
            if winner not in ("a", "b", "tie"):
                raise StageError("moe", f"{model_id} gave no verdict: {text[:80]!r}")
            agrees = None if trigger.reference is None else winner == trigger.reference.lower()
            return JudgeResult(
                winner, str(data.get("reason", "")), model_id, latency, decision.downshifted, reason, agrees
            )
        if isinstance(trigger, PlanGenerate):
            data = _parse(model_id, text)
            steps = tuple(str(s).strip() for s in data.get("steps", []) if str(s).strip())
            if not steps:
                raise StageError("moe", f"{model_id} gave an empty plan: {text[:80]!r}")
            return PlanResult(steps, model_id, latency, decision.downshifted, reason)
        return ReflectionResult(text.strip(), model_id, latency, decision.downshifted, reason)

    def _record_latency(self, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        if self.enabled and sla_broken(list(self.latencies_ms), self.config.p95_sla_ms, self.config.sla_min_samples):
            observed = p95(list(self.latencies_ms))
            self.enabled = False
            self.scheduler.moe_enabled = False
            sla = self.config.p95_sla_ms
            self.disabled_reason = f"its p95 latency {observed:.0f} ms exceeds the SLA of {sla:.0f} ms"
            self.scheduler.bus.publish(MoEDisabled(self.disabled_reason, observed))
