"""`sova bench --memory`: what recall adds to a turn with 10,000 and 100,000 stored facts, and its memory.

A throw-away store is filled with varied synthetic facts (RU and EN sentences from templates, so the
full-text index sees real words) and random unit vectors (the scan costs the same whatever the
numbers). Over >= 100 questions it times recall without the query's embedding (the scan, FTS5, the
fusion, the gate, fetching the hits, the note) and with it (the real model embedding each
question), and states the matrix's size and the process's RSS. Then the RU/EN probe
(memory_probe.py) measures recall's quality with the real model.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.bench.stats import machine
from engine.memory import vectors as vec
from engine.memory.embedding import EmbeddingModel
from engine.memory.recall import Recaller, notes
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = "multilingual-e5-small-q4"
DIM = 384
TARGETS_MS = {10_000: 30.0, 100_000: 100.0}

NAMES_EN = ["Olga", "Pavel", "Maria", "John", "Anna", "Igor", "Kate", "Boris", "Lena", "Mark", "Sofia", "Dmitry"]
NAMES_RU = ["Ольга", "Павел", "Мария", "Иван", "Анна", "Игорь", "Катя", "Борис", "Лена", "Марк", "Софья", "Дмитрий"]
PLACES_EN = ["Kazan", "Moscow", "Berlin", "Lisbon", "Samara", "Tbilisi", "Riga", "Sochi", "Prague", "Oslo"]
PLACES_RU = ["Казани", "Москве", "Берлине", "Лиссабоне", "Самаре", "Тбилиси", "Риге", "Сочи", "Праге", "Осло"]
THINGS_EN = ["green tea", "jazz", "chess", "football", "mushrooms", "old films", "spicy food", "poetry", "cycling"]
THINGS_RU = ["зелёный чай", "джаз", "шахматы", "футбол", "грибы", "старое кино", "острую еду", "стихи", "велосипед"]
RELATIONS_EN = ["sister", "brother", "friend", "colleague", "neighbour", "cousin", "daughter", "son"]
RELATIONS_RU = ["сестра", "брат", "подруга", "коллега", "сосед", "кузина", "дочь", "сын"]
MONTHS_EN = ["January", "March", "May", "July", "September", "November"]
MONTHS_RU = ["январе", "марте", "мае", "июле", "сентябре", "ноябре"]

FACTS_EN = [
    "My {rel} {name} lives in {place}",
    "I love {thing}",
    "My {rel} {name} is visiting me in {month}",
    "I was in {place} in {month} with {name}",
    "{name} gave me a book about {thing}",
    "My dog is called {name}",
    "I want to move to {place} one day",
]
FACTS_RU = [
    "Мой {rel} {name} живёт в {place}",
    "Я люблю {thing}",
    "В {month} ко мне приедет {name}",
    "Я был в {place} в {month} с другом по имени {name}",
    "{name} подарил мне книгу про {thing}",
    "Мою кошку зовут {name}",
    "Когда-нибудь я хочу переехать жить в {place}",
]
QUESTIONS_EN = [
    "Where does my {rel} live?",
    "What do I love?",
    "Who is visiting me in {month}?",
    "What is my dog called?",
]
QUESTIONS_RU = ["Где живёт мой {rel}?", "Что я люблю?", "Кто приедет ко мне в {month}?", "Как зовут мою кошку?"]


def synthetic_facts(n: int, seed: int = 7) -> list[NewMemory]:
    """`n` varied facts, half Russian, half English."""
    rng = random.Random(seed)
    out: list[NewMemory] = []
    for i in range(n):
        ru = i % 2 == 1
        template = rng.choice(FACTS_RU if ru else FACTS_EN)
        text = template.format(
            rel=rng.choice(RELATIONS_RU if ru else RELATIONS_EN),
            name=rng.choice(NAMES_RU if ru else NAMES_EN),
            place=rng.choice(PLACES_RU if ru else PLACES_EN),
            thing=rng.choice(THINGS_RU if ru else THINGS_EN),
            month=rng.choice(MONTHS_RU if ru else MONTHS_EN),
        )
        out.append(NewMemory("fact", text, "ru" if ru else "en", text, conversation_id=i // 20 + 1))
    return out


def questions(n: int, seed: int = 11) -> list[tuple[str, str]]:
    """`n` questions (text, language), alternating RU and EN."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ru = i % 2 == 0
        template = rng.choice(QUESTIONS_RU if ru else QUESTIONS_EN)
        out.append(
            (
                template.format(
                    rel=rng.choice(RELATIONS_RU if ru else RELATIONS_EN),
                    month=rng.choice(MONTHS_RU if ru else MONTHS_EN),
                ),
                "ru" if ru else "en",
            )
        )
    return out


def unit_vectors(n: int, dim: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """`n` random rows of unit length."""
    return vec.normalise(rng.standard_normal((n, dim)))


def rss_mb() -> float:
    """The resident memory of the process now, in MB (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


class _RandomModel:
    """Stands in for the embedder's identity in the scan-only timing (its vectors are random)."""

    model_id = "bench-random"
    dim = DIM

    def embed(self, texts: Sequence[str], *, query: bool = False) -> npt.NDArray[np.float32]:
        return unit_vectors(len(texts), DIM, np.random.default_rng(len(texts)))


def measure(size: int, n_queries: int, embedder: EmbeddingModel | None, k: int = 5) -> dict[str, float]:
    """Fill a store with `size` facts; time recall over `n_queries` questions (without and with the embedding)."""
    rng = np.random.default_rng(size)
    facts = synthetic_facts(size)
    with tempfile.TemporaryDirectory(prefix="sova-bench-memory-") as tmp:
        store = MemoryStore(Path(tmp) / "memory.sqlite3")
        try:
            started = time.perf_counter()
            for start in range(0, size, 5000):
                chunk = facts[start : start + 5000]
                store.add_many(chunk, list(unit_vectors(len(chunk), DIM, rng)), _RandomModel.model_id)
            fill_s = time.perf_counter() - started
            rss_before = rss_mb()
            started = time.perf_counter()
            ids, matrix = store.vectors(_RandomModel.model_id)
            load_ms = (time.perf_counter() - started) * 1000
            rss_after = rss_mb()
            recaller = Recaller(store, _RandomModel())
            asked = questions(n_queries)
            qvecs = unit_vectors(len(asked), DIM, rng)
            for (q, lang), v in zip(asked[:5], qvecs[:5], strict=True):  # warm-up
                notes(recaller.search_with_vector(q, v, k, gated=False), lang, question=q)
            bare: list[float] = []
            # CPU time of the thread: what the work costs when the cores are not shared with other programs
            cpu: list[float] = []
            fts_hits = 0
            for (q, lang), v in zip(asked, qvecs, strict=True):
                c0, t0 = time.thread_time(), time.perf_counter()
                # ungated: the k hits are always fetched and framed, the costlier path
                hits = recaller.search_with_vector(q, v, k, gated=False)
                notes(hits, lang, question=q)
                bare.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
                fts_hits += len(store.fts(q, 50)) > 0
            full: list[float] = []
            embed_ms: list[float] = []
            if embedder is not None:
                embedder.embed(["warm-up"], query=True)
                for q, lang in asked:
                    t0 = time.perf_counter()
                    qv = embedder.embed([q], query=True)[0]
                    t1 = time.perf_counter()
                    # the real model's vectors do not match the random store's size when the dims differ
                    vq = qv if qv.shape[0] == DIM else qvecs[0]
                    notes(recaller.search_with_vector(q, vq, k, gated=False), lang, question=q)
                    full.append((time.perf_counter() - t0) * 1000)
                    embed_ms.append((t1 - t0) * 1000)
        finally:
            store.close()
    out = {
        "facts": size,
        "queries": len(bare),
        "queries_with_text_matches": fts_hits,
        "fill_s": fill_s,
        "matrix_load_ms": load_ms,
        "matrix_mb": (matrix.nbytes + ids.nbytes) / 1e6,
        "rss_before_matrix_mb": rss_before,
        "rss_after_matrix_mb": rss_after,
        "recall_p50_ms": percentile(bare, 50),
        "recall_p95_ms": percentile(bare, 95),
        "recall_cpu_p50_ms": percentile(cpu, 50),
        "recall_cpu_p95_ms": percentile(cpu, 95),
    }
    if full:
        out |= {
            "embed_p50_ms": percentile(embed_ms, 50),
            "with_embedding_p50_ms": percentile(full, 50),
            "with_embedding_p95_ms": percentile(full, 95),
        }
    return out


def _load_embedder(model_id: str) -> EmbeddingModel | None:
    if model_id == "none":
        return None
    from engine.errors import SovaError
    from engine.registry.registry import Registry
    from engine.stages.options import EmbedderOptions

    state = Path(tempfile.mkdtemp(prefix="sova-bench-state-"))
    registry = Registry.from_dirs([ROOT / "models" / "manifests"], ROOT / "models", state)
    try:
        model: EmbeddingModel = registry.get(model_id).load(EmbedderOptions())
    except SovaError as exc:
        print(f"embedding model {model_id} unavailable ({exc}); timing without it", file=sys.stderr)
        return None
    return model


def main(argv: Sequence[str] | None = None) -> int:
    """Print recall's latency and memory at each size, and the probe's quality figures (JSON when asked)."""
    parser = argparse.ArgumentParser(prog="python -m engine.bench.memory", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of stored facts")
    parser.add_argument("--queries", type=int, default=120, help="questions timed per size (>= 100)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the embeddings model's manifest id ('none': skip it)")
    parser.add_argument("--no-probe", action="store_true", help="skip the RU/EN quality probe")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    embedder = _load_embedder(args.model)
    env = machine()
    print(f"machine: {env['cpu']}, {env['cores']} cores, load {env['load_average']}, Python {env['python']}")
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"filling a store with {size:,} facts...", file=sys.stderr)
        r = measure(size, args.queries, embedder)
        results.append(r)
        target = TARGETS_MS.get(size)
        verdict = (
            ""
            if target is None
            else f" (target <= {target:.0f} ms: {'met' if r['recall_p95_ms'] <= target else 'MISSED'})"
        )
        print(f"{size:>7,} facts, {r['queries']} questions ({r['queries_with_text_matches']} with text matches):")
        print(
            f"  recall without the query embedding: p50 {r['recall_p50_ms']:.1f} ms, "
            f"p95 {r['recall_p95_ms']:.1f} ms{verdict}; its CPU time p50 {r['recall_cpu_p50_ms']:.1f} ms, "
            f"p95 {r['recall_cpu_p95_ms']:.1f} ms"
        )
        if "with_embedding_p95_ms" in r:
            print(
                f"  with the query embedding ({args.model}, p50 {r['embed_p50_ms']:.1f} ms): "
                f"p50 {r['with_embedding_p50_ms']:.1f} ms, p95 {r['with_embedding_p95_ms']:.1f} ms"
            )
        print(
            f"  vector matrix {r['matrix_mb']:.1f} MB in memory (loaded in {r['matrix_load_ms']:.0f} ms); "
            f"process RSS {r['rss_before_matrix_mb']:.0f} -> {r['rss_after_matrix_mb']:.0f} MB; "
            f"filled in {r['fill_s']:.1f} s"
        )
    probe = None
    if embedder is not None and not args.no_probe:
        from engine.bench.memory_probe import run_probe

        p = run_probe(embedder)
        probe = p.as_json()
        print(
            f"quality probe ({p.n_questions} questions, {p.n_unrelated} never answered, RU/EN): recall@{p.k} "
            f"{p.recall_at_k:.2f}, MRR {p.mrr:.2f}; past the gate: {p.gated_recall_at_k:.2f}; "
            f"abstention {p.abstention:.2f}"
        )
    if args.json:
        data = {"environment": env, "model": args.model, "sizes": results, "probe": probe}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
