"""The judge (seed 19): the strongest installed model for the `judge` use case, through the MoE.

`Judge` is a real caller of `MoE.handle(NeedJudge(...))`: the MoE when it is installed and allowed,
the primary standing in otherwise (the MoE module decides; each verdict says which model gave it).
A metric that needs judgement has a rubric (eval/rubrics/<metric>.md) that is put before the
question; the judge compares the reply under test (answer A) with the item's reference answer
(answer B). Temperature 0 and a JSON schema make its verdicts repeatable.

Agreement is measured, not assumed: `agreement` runs the hand-labelled pairs of eval/labels/ with
their labels as the reference verdict, so the scheduler's `moe_judge_agreement_rate` gauge counts
them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.eval.metrics import MetricValue, proportion
from engine.eval.scenarios import ScenarioError
from engine.events import JudgeResult
from engine.scheduler.moe import MoE, NeedJudge


def pair_score(as_a: str, as_b: str) -> float:
    """The reply's score from two verdicts, the reply shown first (`as_a`) then second (`as_b`).

    Each order in which the reply is at least as good as the reference earns half: 1.0 when both
    orders agree that it is, 0.5 when only one does (the judge's position bias), 0.0 when neither.
    """
    return (float(as_a in ("a", "tie")) + float(as_b in ("b", "tie"))) / 2


@dataclass(frozen=True)
class Verdict:
    """One judgement of a reply against a reference, asked in both orders."""

    winner: str  # the verdict with the reply as answer A
    swapped: str  # the verdict with the reply as answer B
    score: float
    reason: str
    judge_id: str
    downshifted: bool


@dataclass(frozen=True)
class LabelledPair:
    """One hand-labelled item: which answer a careful person judged better."""

    id: str
    language: str
    question: str
    answer_a: str
    answer_b: str
    label: str


def load_rubric(rubrics_dir: Path, metric: str) -> str:
    """The rubric text of `metric` (eval/rubrics/<metric>.md)."""
    path = rubrics_dir / f"{metric}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ScenarioError([f"{path}: the rubric of {metric} cannot be read: {exc.strerror or exc}"]) from None


def load_labels(path: Path) -> list[LabelledPair]:
    """The hand-labelled pairs of a YAML file (`items: [{id, language, question, a, b, label}]`)."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError([f"{path}: cannot be read as YAML: {exc}"]) from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise ScenarioError([f"{path}: items: a non-empty list of labelled pairs is required"])
    pairs, problems = [], []
    for i, raw in enumerate(items):
        where = f"{path}: items[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        missing = [k for k in ("id", "language", "question", "a", "b", "label") if not str(raw.get(k, "")).strip()]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if raw["label"] not in ("a", "b", "tie"):
            problems.append(f"{where}: label: must be a, b or tie (got {raw['label']!r})")
            continue
        pairs.append(LabelledPair(str(raw["id"]), str(raw["language"]), str(raw["question"]), str(raw["a"]),
                                  str(raw["b"]), str(raw["label"])))
    if problems:
        raise ScenarioError(problems)
    return pairs


def rubric_question(rubric: str, question: str) -> str:
    """The judge's question: the rubric, then the user's question."""
    return f"{rubric}\n\nThe user's question: {question}"


class Judge:
    """Scores replies through the MoE's judge task (or its stand-in)."""

    def __init__(self, moe: MoE, rubrics_dir: Path) -> None:
        self.moe = moe
        self.rubrics_dir = rubrics_dir
        self._rubrics: dict[str, str] = {}
        #: the model ids that gave verdicts so far (the report names them)
        self.models: set[str] = set()

    def rubric(self, metric: str) -> str:
        """The rubric of `metric`, read once."""
        if metric not in self._rubrics:
            self._rubrics[metric] = load_rubric(self.rubrics_dir, metric)
        return self._rubrics[metric]

    async def judge(self, metric: str, question: str, reply: str, reference: str) -> Verdict:
        """The verdict on `reply` against `reference` under `metric`'s rubric, in both orders (position bias)."""
        asked = rubric_question(self.rubric(metric), question)
        first = await self.moe.handle(NeedJudge(asked, reply, reference))
        second = await self.moe.handle(NeedJudge(asked, reference, reply))
        assert isinstance(first, JudgeResult) and isinstance(second, JudgeResult)  # NeedJudge yields them
        self.models.update((first.model_id, second.model_id))
        return Verdict(first.winner, second.winner, pair_score(first.winner, second.winner), first.reason,
                       first.model_id, first.downshifted)

    async def agreement(self, pairs: Sequence[LabelledPair]) -> tuple[MetricValue, list[dict[str, Any]]]:
        """The share of labelled pairs on which the judge agrees with the label (Wilson interval)."""
        rubric = self.rubric("relevance")
        flags, records = [], []
        for pair in pairs:
            result = await self.moe.handle(
                NeedJudge(rubric_question(rubric, pair.question), pair.answer_a, pair.answer_b, reference=pair.label)
            )
            assert isinstance(result, JudgeResult)
            self.models.add(result.model_id)
            flags.append(bool(result.agrees))
            records.append({"id": pair.id, "label": pair.label, "verdict": result.winner, "reason": result.reason,
                            "judge": result.model_id})
        return proportion(flags, [p.id for p in pairs]), records


def inter_judge_agreement(first: Sequence[str], second: Sequence[str], ids: Sequence[str]) -> MetricValue:
    """The share of items on which two judges gave the same verdict."""
    return proportion([a == b for a, b in zip(first, second, strict=True)], ids)
