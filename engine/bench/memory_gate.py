"""Calibrating recall's abstention gate on the memory scenarios (issue 10), without the slow LLM extraction.

Each scenario turn that may hold a fact (`extract.worth_extracting`: the extractor's own pre-filter) is
stored as it was said (text = quote, the writer's provenance), embedded by the real multilingual-e5; the
update in 06 supersedes the home city it replaces. Every question is embedded once, then searched through
`Recaller.search_with_vector` under each candidate gate: recall@5 past the gate over the answerable
questions, and abstention (no hits at all) over the never-said ones. Two stores: one with every file's
facts (what a real store looks like: every fact a distractor), and one per file (its own questions; the
never-said questions asked of each). Thresholds are chosen on the fit files; the held-out files are
reported apart. Command: ``.venv/bin/python -m engine.bench.memory_gate [--holdout 03,05]``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.bench.memory_probe import run_probe
from engine.eval.memory_suite import EMBEDDER, SCENARIOS, K, Question, first_relevant, load_scenarios
from engine.memory.embedding import EmbeddingModel
from engine.memory.extract import worth_extracting
from engine.memory.recall import Gate, Recaller
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory

#: (told earlier, told later): the later replaces the earlier, as the writer's superseding does
UPDATES = (("Я живу в Казани.", "Я переехал в Москву в прошлом месяце."),)
HOLDOUT = ("03", "05")
#: the files the gate's defaults were chosen on; the later never-said rounds (08-10) test recall's filters and
#: the fixed "I don't know" on top of the gate (engine/memory/topics.py, unknown.py), not the gate alone
FIT = ("01", "02", "04", "06", "07")


@dataclass(frozen=True)
class Figures:
    """recall@5 past the gate over `n` answerable questions; abstention over `n_never` never-said ones."""

    recall: float
    n: int
    abstention: float
    n_never: int
    ungated_recall: float

    def row(self) -> str:
        """One line of the table."""
        return (f"recall@5 {self.recall:.2f} (n={self.n}, ungated {self.ungated_recall:.2f})  "
                f"abstention {self.abstention:.2f} (n={self.n_never})")


def file_facts(prefix: str) -> list[tuple[str, str]]:
    """The (language, words) of every turn in the file(s) starting with `prefix` that may hold a fact."""
    told = load_scenarios(files=[prefix]) if prefix else load_scenarios()
    return [(t.language, t.user) for c in told.conversations for t in c.turns if worth_extracting(t.user)]


class Memo:
    """An embedder that embeds each text once (the per-file stores are rebuilt for every gate)."""

    def __init__(self, inner: EmbeddingModel) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.seen: dict[tuple[str, bool], npt.NDArray[np.float32]] = {}

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        """Rows for `texts`, from the memo where seen."""
        todo = [t for t in dict.fromkeys(texts) if (t, query) not in self.seen]
        if todo:
            for text, row in zip(todo, self.inner.embed(todo, query=query), strict=True):
                self.seen[(text, query)] = row
        return np.stack([self.seen[(t, query)] for t in texts]) if texts else self.inner.embed([], query=query)


@contextmanager
def filled_store(facts: Sequence[tuple[str, str]], embedder: EmbeddingModel, folder: Path) -> Iterator[MemoryStore]:
    """A fresh store holding `facts` (updates superseding what they replace)."""
    store = MemoryStore(folder / "memory.sqlite3")
    try:
        ids: dict[str, int] = {}
        if facts:
            rows = embedder.embed([text for _, text in facts], query=False)
            for (lang, text), row in zip(facts, rows, strict=True):
                ids[text] = store.add(NewMemory("fact", text, lang, text), row, embedder.model_id).id
        for old, new in UPDATES:
            if old in ids and new in ids:
                store.supersede(ids[old], ids[new])
        yield store
    finally:
        store.close()


def score(
    store: MemoryStore, embedder: EmbeddingModel, gate: Gate,
    questions: Sequence[tuple[Question, npt.NDArray[np.float32]]],
) -> tuple[list[bool], list[bool], list[bool]]:
    """Per answerable question: golden in the gated top 5, in the ungated top 5; per never-said: no hits."""
    recaller = Recaller(store, embedder, gate=gate)
    kept, found, quiet = [], [], []
    for q, qvec in questions:
        hits = recaller.search_with_vector(q.question, qvec, K)
        if q.abstain:
            quiet.append(not hits)
            continue
        kept.append(first_relevant(hits, q.golden) is not None)
        ranked = recaller.search_with_vector(q.question, qvec, K, gated=False)
        found.append(first_relevant(ranked, q.golden) is not None)
    return kept, found, quiet


def figures(kept: Sequence[bool], found: Sequence[bool], quiet: Sequence[bool]) -> Figures:
    """The shares, with their n."""
    def share(xs: Sequence[bool]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    return Figures(share(kept), len(kept), share(quiet), len(quiet), share(found))


def candidate_gates() -> list[tuple[str, Gate]]:
    """The margins tried, with the gate deciding per question (docs/memory.md: the designs that lost)."""
    out: list[tuple[str, Gate]] = [("off (min_margin 0, fts 0)", Gate(min_margin=0.0, fts_margin=0.0))]
    for m in (0.03, 0.04, 0.05, 0.055, 0.06, 0.065, 0.07):
        for f in (0.0, 0.03):
            if f <= m:
                out.append((f"margin {m:.3f} fts {f:.2f}", Gate(min_margin=m, fts_margin=f)))
    return out


def one_store(
    embedder: EmbeddingModel, gates: Sequence[Gate], holdout: Sequence[str] = HOLDOUT
) -> list[tuple[Figures, Figures]]:
    """Every scenario fact in one store: (fit, held-out) figures per gate; never-said questions count as fit."""
    prefixes = sorted({*FIT, *holdout})
    by_file = {p: load_scenarios(files=[p]).questions for p in prefixes}
    every = [q for qs in by_file.values() for q in qs]
    qvecs = dict(zip([q.id for q in every], embedder.embed([q.question for q in every], query=True), strict=True))
    fit = [(q, qvecs[q.id]) for p, qs in by_file.items() if p not in holdout for q in qs]
    held = [(q, qvecs[q.id]) for p, qs in by_file.items() if p in holdout for q in qs if not q.abstain]
    out = []
    with tempfile.TemporaryDirectory(prefix="sova-memory-gate-") as tmp, \
            filled_store(file_facts(""), embedder, Path(tmp)) as store:
        for gate in gates:
            out.append((figures(*score(store, embedder, gate, fit)), figures(*score(store, embedder, gate, held))))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print every candidate gate's figures on the fit files, the held-out files, and per-file stores."""
    parser = argparse.ArgumentParser(prog="python -m engine.bench.memory_gate", description=main.__doc__)
    parser.add_argument("--holdout", default=",".join(HOLDOUT), help="file-name prefixes held out (default 03,05)")
    args = parser.parse_args(argv)
    from engine.registry.registry import Registry

    root = SCENARIOS.parents[2]
    holdout = {h for h in args.holdout.split(",") if h}
    prefixes = sorted({*FIT, *holdout})
    with tempfile.TemporaryDirectory(prefix="sova-memory-gate-") as tmp:
        registry = Registry.from_dirs([root / "models" / "manifests"], root / "models", Path(tmp) / "state")
        embedder = Memo(registry.get(EMBEDDER).load())
        by_file = {p: load_scenarios(files=[p]).questions for p in prefixes}
        never = [q for qs in by_file.values() for q in qs if q.abstain]
        every = [q for qs in by_file.values() for q in qs]
        qvecs = dict(zip([q.id for q in every], embedder.embed([q.question for q in every], query=True), strict=True))
        nev = [(q, qvecs[q.id]) for q in never]
        facts = file_facts("")
        print(f"one store: {len(facts)} facts; fit files {sorted(set(prefixes) - holdout)}, held out {sorted(holdout)}")
        gates = candidate_gates()
        measured = one_store(embedder, [g for _, g in gates], sorted(holdout))
        for (name, _), (fit, held) in zip(gates, measured, strict=True):
            print(f"{name:28} fit: {fit.row()}  |  held-out: {held.row()}")
        print("\nthe older probe (engine/bench/memory_probe.py: 24 facts, 16 never-answered questions), unseen here:")
        for name, gate in gates:
            r = run_probe(embedder, gate)
            print(f"{name:28} probe: recall@5 {r.gated_recall_at_k:.2f} (n={r.n_questions}, ungated "
                  f"{r.recall_at_k:.2f})  abstention {r.abstention:.2f} (n={r.n_unrelated})")
        print("\nper-file stores (each file's own facts and questions; the never-said asked of each):")
        for name, gate in gates:
            kept: list[bool] = []
            found: list[bool] = []
            quiet: list[bool] = []
            for p in prefixes:
                own = file_facts(p)
                if not own:
                    continue
                with tempfile.TemporaryDirectory(dir=tmp) as sub, filled_store(own, embedder, Path(sub)) as store:
                    mine = [(q, qvecs[q.id]) for q in by_file[p] if not q.abstain]
                    k, f, q = score(store, embedder, gate, mine + nev)
                    kept, found, quiet = kept + k, found + f, quiet + q
            print(f"{name:28} all: {figures(kept, found, quiet).row()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
