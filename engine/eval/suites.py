"""The built-in suites: persona, relevance, hallucination, emotion, and token efficiency over every turn.

Each suite runs its items through a `ModelSession` (one fresh conversation per item) and returns a
`SuiteResult`: its metrics (each a `MetricValue` with n and an interval) and one record per item
(the prompt, the reply, the verdicts), so a person can read why a score is what it is.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import SovaError
from engine.eval import checks
from engine.eval.judge import LabelledPair, inter_judge_agreement
from engine.eval.metrics import MetricValue, mean_value, median_iqr, proportion, reflection_latency, token_efficiency
from engine.eval.scenarios import Scenario
from engine.eval.session import ModelSession
from engine.events import TurnResult


@dataclass
class SuiteResult:
    """What one suite measured (or why it was skipped)."""

    suite: str
    metrics: dict[str, MetricValue] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    skipped: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The suite's part of a report."""
        return {
            "suite": self.suite,
            "skipped": self.skipped or None,
            "seconds": round(self.seconds, 1),
            "metrics": {name: m.to_json() for name, m in self.metrics.items()},
            "items": self.items,
            "notes": self.notes,
        }


async def _ask(session: ModelSession, out: SuiteResult, item: Scenario, text: str, *, record: bool = True
               ) -> TurnResult | None:
    """One turn; a failed turn (a time limit on a busy machine) leaves the item out, with a note."""
    try:
        return await session.ask(item.id, text, item.language, record=record)
    except SovaError as exc:
        out.notes.append(f"{item.id}: left out, the turn failed: {exc.message}")
        out.items.append({"id": item.id, "error": exc.message})
        return None


async def run_persona(session: ModelSession, items: Sequence[Scenario]) -> SuiteResult:
    """Persona adherence: the share of the persona's rules each reply keeps (pure checks), 0-1."""
    out = SuiteResult("persona")
    scores, ids = [], []
    for item in items:
        session.new_conversation()
        result = await _ask(session, out, item, item.prompt)
        if result is None:
            continue
        ids.append(item.id)
        truncated = session.turns[-1].reply_tokens >= session.max_output_tokens - 1
        verdicts = checks.persona_checks(result.reply_text, item.language, item.checks, truncated=truncated,
                                          prompt=item.prompt)
        scores.append(checks.persona_score(verdicts))
        out.items.append({"id": item.id, "language": item.language, "prompt": item.prompt,
                          "reply": result.reply_text, "checks": verdicts, "truncated": truncated,
                          "score": scores[-1]})
    if scores:
        out.metrics["persona.adherence"] = mean_value(scores, ids)
    return out


async def run_relevance(session: ModelSession, items: Sequence[Scenario]) -> SuiteResult:
    """Answer relevance: the judge's verdict on each reply against a reference answer (1: as good or better)."""
    out = SuiteResult("relevance")
    scores, facts, ids = [], [], []
    for item in items:
        session.new_conversation()
        result = await _ask(session, out, item, item.prompt)
        if result is None:
            continue
        try:
            verdict = await session.judge.judge("relevance", item.prompt, result.reply_text, item.reference)
        except SovaError as exc:
            out.notes.append(f"{item.id}: left out, the judge failed: {exc.message}")
            continue
        ids.append(item.id)
        scores.append(verdict.score)
        facts.append(checks.mentions_any(result.reply_text, item.expect_any))
        out.items.append({"id": item.id, "language": item.language, "prompt": item.prompt,
                          "reply": result.reply_text, "reference": item.reference, "verdict": verdict.winner,
                          "verdict_swapped": verdict.swapped,
                          "reason": verdict.reason, "judge": verdict.judge_id, "score": verdict.score,
                          "expected_fact": facts[-1]})
    if scores:
        out.metrics["relevance.judge_score"] = mean_value(scores, ids)
        out.metrics["relevance.expected_fact_rate"] = proportion(facts, ids)
    return out


async def run_hallucination(session: ModelSession, items: Sequence[Scenario]) -> SuiteResult:
    """Hallucination risk: abstention on facts never given; the right answer for facts given earlier."""
    out = SuiteResult("hallucination")
    right, abstained, known, ids = [], [], [], []
    for item in items:
        session.new_conversation()
        told = [await _ask(session, out, item, line, record=False) for line in item.setup]  # said earlier
        result = await _ask(session, out, item, item.prompt) if None not in told else None
        if result is None:
            continue
        ids.append(item.id)
        declined = checks.abstains(result.reply_text, item.language)
        if item.expect == "abstain":
            ok = declined
            abstained.append((item.id, declined))
        else:
            ok = checks.mentions_any(result.reply_text, item.expect_any)
            known.append((item.id, ok))
        right.append(ok)
        out.items.append({"id": item.id, "language": item.language, "setup": list(item.setup), "prompt": item.prompt,
                          "reply": result.reply_text, "expect": item.expect, "abstained": declined, "correct": ok})
    if right:
        out.metrics["hallucination.score"] = proportion(right, ids)
    if abstained:
        out.metrics["hallucination.abstention_rate"] = proportion([f for _, f in abstained], [i for i, _ in abstained])
    if known:
        out.metrics["hallucination.known_accuracy"] = proportion([f for _, f in known], [i for i, _ in known])
    return out


async def run_emotion(session: ModelSession, items: Sequence[Scenario]) -> SuiteResult:
    """Emotion reflection latency (docs/eval.md): turns and ms from the emotional message to an adapted reply."""
    out = SuiteResult("emotion")
    turns_lat: list[tuple[str, float]] = []
    ms_lat: list[tuple[str, float]] = []
    adapted_flags, detected_flags, ids = [], [], []
    for item in items:
        session.new_conversation()
        adapted, labels, totals, replies = [], [], [], []
        for text in item.turns:
            result = await _ask(session, out, item, text)
            if result is None:
                break
            adapted.append(checks.adapted_tone(result.reply_text, item.language))
            labels.append(result.emotion.label if result.emotion else "")
            totals.append(result.timings_ms.get("total_ms", 0.0))
            replies.append(result.reply_text)
        if len(adapted) < len(item.turns):
            continue
        ids.append(item.id)
        latency = reflection_latency(adapted, item.change_at)
        change_label = labels[item.change_at]
        detected = change_label not in ("", "neutral") and (not item.emotion or change_label == item.emotion)
        adapted_flags.append(latency is not None)
        detected_flags.append(detected)
        if latency is not None:
            turns_lat.append((item.id, float(latency)))
            ms_lat.append((item.id, sum(totals[item.change_at : item.change_at + latency + 1])))
        out.items.append({"id": item.id, "language": item.language, "turns": list(item.turns), "replies": replies,
                          "change_at": item.change_at, "emotion_labels": labels, "adapted": adapted,
                          "latency_turns": latency, "detected": detected,
                          "adapted_before_change": any(adapted[: item.change_at])})
    if not ids:
        return out
    out.metrics["emotion.adapted_rate"] = proportion(adapted_flags, ids)
    out.metrics["emotion.detected_rate"] = proportion(detected_flags, ids)
    if turns_lat:
        out.metrics["emotion.reflection_latency_turns"] = median_iqr(
            [v for _, v in turns_lat], [i for i, _ in turns_lat], "turns")
        out.metrics["emotion.reflection_latency_ms"] = median_iqr([v for _, v in ms_lat], [i for i, _ in ms_lat], "ms")
    else:
        out.notes.append("no reply adapted its tone within the script: no latency to report")
    return out


def token_efficiency_suite(session: ModelSession) -> SuiteResult:
    """Reply tokens per user token over every recorded turn (the model's own tokenizer)."""
    out = SuiteResult("token_efficiency")
    turns = session.turns
    if not turns:
        out.skipped = "no turns were run: token efficiency needs another suite's turns"
        return out
    ratios = [token_efficiency(t.reply_tokens, t.user_tokens) for t in turns]
    ids = [f"{t.item_id}#{n}" for n, t in enumerate(turns)]
    out.metrics["token_efficiency.reply_per_user_token"] = mean_value(ratios, ids, "tokens/token")
    out.metrics["token_efficiency.reply_tokens"] = median_iqr([float(t.reply_tokens) for t in turns], ids, "tokens")
    out.notes.append(f"median user tokens {statistics.median(t.user_tokens for t in turns):.0f}")
    return out


async def run_judge(session: ModelSession, pairs: Sequence[LabelledPair]) -> SuiteResult:
    """The judge's agreement with the hand-labelled pairs, and with a second judge when two are installed."""
    out = SuiteResult("judge")
    agreement, records = await session.judge.agreement(pairs)
    out.metrics["judge.moe_judge_agreement_rate"] = agreement
    out.items = records
    second = session.second_judge()
    if second is None:
        out.notes.append(f"one judge installed ({', '.join(sorted(session.judge.models))}): "
                         "no agreement between two judges to report")
        return out
    agreement2, records2 = await second.agreement(pairs)
    ids = [p.id for p in pairs]
    out.metrics["judge.second_judge_agreement_rate"] = agreement2
    out.metrics["judge.inter_judge_agreement"] = inter_judge_agreement(
        [r["verdict"] for r in records], [r["verdict"] for r in records2], ids)
    for record, other in zip(out.items, records2, strict=True):
        record["second_verdict"], record["second_judge"] = other["verdict"], other["judge"]
    return out
