"""Recall with the real multilingual-e5 model: across Russian and English, abstention, superseding, forgetting.

Plus the sentence-transformers backend on a tiny randomly initialised BERT built here, so its code path
(tokenizer, encoder, the folder's pooling and prompts) runs for real without a downloaded model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from engine.bench.memory_gate import one_store
from engine.bench.memory_probe import run_probe
from engine.errors import ModelUnavailableError
from engine.memory.embedding import CachedEmbedder, EmbeddingModel
from engine.memory.recall import Gate
from engine.memory.service import MemoryService
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory
from engine.registry.registry import ModelProvider
from engine.stages.options import EmbedderOptions

FACTS = [
    ("en", "My sister's name is Olga"),
    ("en", "I work as a nurse at the city hospital"),
    ("ru", "У меня есть собака по кличке Барсик"),
    ("ru", "Я люблю зелёный чай"),
    ("en", "I live in Kazan"),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the module: each text is embedded once."""
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture
def service(e5: EmbeddingModel, cache_dir: Path, tmp_path: Path) -> Iterator[MemoryService]:
    svc = MemoryService(MemoryStore(tmp_path / "memory.sqlite3"), CachedEmbedder(e5, cache_dir), top_k=3)
    rows = svc.embedder.embed([t for _, t in FACTS], query=False)
    for (lang, text), row in zip(FACTS, rows, strict=True):
        subject = "user.home_city" if "Kazan" in text else ""
        svc.store.add(NewMemory("fact", text, lang, text, subject=subject), row, svc.model_id)
    yield svc
    svc.close()


def _texts(svc: MemoryService, question: str, *, gated: bool = True) -> list[str]:
    return [h.item.text for h in svc.search(question, gated=gated)]


@pytest.mark.models
def test_a_russian_question_finds_an_english_fact_and_the_reverse(service: MemoryService) -> None:
    assert _texts(service, "Как зовут мою сестру?")[0] == "My sister's name is Olga"
    assert _texts(service, "What is my dog called?")[0] == "У меня есть собака по кличке Барсик"
    assert _texts(service, "What tea do I like?")[0] == "Я люблю зелёный чай"
    recall = service.recall("Как зовут мою сестру?", "ru")
    assert recall.hits[0].item.text == "My sister's name is Olga"
    assert "«My sister's name is Olga»" in recall.notes and "не инструкции" in recall.notes
    # the ranking alone (no gate) puts the answer first for a vaguer question too
    assert _texts(service, "Кем я работаю в больнице?", gated=False)[0] == "I work as a nurse at the city hospital"


@pytest.mark.models
def test_an_unrelated_question_gets_no_memories(service: MemoryService) -> None:
    for question in ("What is the capital of France?", "Сколько будет два плюс два?"):
        recall = service.recall(question, "en")
        assert recall.hits == () and recall.notes == "", question
    # a question about the user with nothing stored on it: the model is told it may not know
    recall = service.recall("What is my blood type?", "en")
    assert recall.hits == () and "do not know" in recall.notes


@pytest.mark.models
def test_an_update_supersedes_and_forget_is_honoured(service: MemoryService) -> None:
    (kazan,) = service.store.current_with_subject("user.home_city")
    text = "Я переехал в Москву"
    moscow = service.store.add(
        NewMemory("fact", text, "ru", text, subject="user.home_city"), service.embed_passage(text), service.model_id
    )
    service.store.supersede(kazan.id, moscow.id)
    # ungated: superseded and forgotten memories are not even candidates
    found = _texts(service, "Where do I live? Kazan", gated=False)
    assert found[0] == text and "I live in Kazan" not in found
    assert service.forget(moscow.id)
    found = _texts(service, "Where do I live now? Moscow or Kazan", gated=False)
    assert text not in found and "I live in Kazan" not in found and len(found) == 3


@pytest.mark.models
@pytest.mark.slow
def test_the_probe_meets_the_retrieval_target(e5: EmbeddingModel) -> None:
    result = run_probe(e5)
    assert result.recall_at_k >= 0.9  # issue 10's retrieval target (recall@5)
    assert result.gated_recall_at_k >= 0.75 and result.abstention >= 0.6  # measured 0.83 and 0.69 (docs/memory.md)


@pytest.mark.models
@pytest.mark.slow
def test_the_gate_on_the_scenarios_decides_per_question(e5: EmbeddingModel) -> None:
    # every scenario fact in one store (engine/bench/memory_gate.py); measured with the default gate:
    # fit 0.80 / abstention 0.80 (n = 25 / 10), held-out recall 0.82 (n = 11); see docs/memory.md
    (fit, held), (wide_fit, _) = one_store(e5, [Gate(), Gate(min_margin=0.0, fts_margin=0.0)])
    assert fit.n == 25 and fit.n_never == 10 and held.n == 11
    assert fit.ungated_recall >= 0.9 and held.ungated_recall >= 0.9  # the ranking finds the answers
    assert fit.abstention >= 0.8  # issue 10's target: nothing recalled for things never said
    assert fit.recall >= 0.75 and held.recall >= 0.75
    assert wide_fit.recall == fit.ungated_recall and wide_fit.abstention == 0.0  # a gate at 0 passes everything


def _tiny_bert(folder: Path, *, pooling: str) -> None:
    """A 2-layer BERT with random weights and a 40-word vocabulary, saved as a sentence-transformers folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    torch.manual_seed(0)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "query", ":", "passage", "my", "sister", "is", "olga"]
    words += ["i", "live", "in", "kazan", "the", "cat", "dog", "tea", "green", "моя", "сестра", "ольга"]
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    BertModel(config).save_pretrained(str(folder))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": pooling == "cls", "pooling_mode_mean_tokens": pooling == "mean"})
    )
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: ", "passage": "passage: "}})
    )


def _provider(path: Path) -> ModelProvider:
    return SimpleNamespace(path=path, manifest=SimpleNamespace(id="tiny-bert"))  # type: ignore[return-value]


@pytest.mark.slow
def test_the_sentence_transformers_backend_on_a_tiny_random_bert(tmp_path: Path) -> None:
    from engine.memory.embedding_st import load_model

    _tiny_bert(tmp_path / "cls", pooling="cls")
    _tiny_bert(tmp_path / "mean", pooling="mean")
    cls = load_model(_provider(tmp_path / "cls"), EmbedderOptions())
    mean = load_model(_provider(tmp_path / "mean"), None)
    assert isinstance(cls, EmbeddingModel) and cls.dim == 32 and cls.layout.pooling == "cls"
    texts = ["my sister is olga", "i live in kazan", "моя сестра ольга"]
    out = cls.embed(texts)
    assert out.shape == (3, 32) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(cls.embed(texts), out, atol=1e-6)  # deterministic
    assert not np.allclose(cls.embed(texts[:1], query=True), out[:1])  # the query prompt reaches the model
    assert not np.allclose(mean.embed(texts[:1]), out[:1])  # the same weights, pooled another way
    assert cls.embed([]).shape == (0, 32)
    with pytest.raises(ModelUnavailableError, match=r"no config\.json"):
        load_model(_provider(tmp_path / "missing"), None)
