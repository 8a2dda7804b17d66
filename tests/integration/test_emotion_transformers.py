"""The transformers emotion backend through the registry, on a tiny random model built here.

No text emotion classifier can be downloaded on this machine (docs: STACK.md), so the test builds a
tiny BERT with our label names, saves it like a downloaded folder, and loads it the way the app does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from engine.errors import ModelUnavailableError  # noqa: E402
from engine.registry.registry import Registry  # noqa: E402
from engine.stages.base import EmotionClassifier  # noqa: E402
from engine.stages.emotion.classifier import EmotionStage  # noqa: E402
from engine.stages.emotion.transformers_backend import LABEL_VALUES, TransformersEmotionClassifier  # noqa: E402
from engine.stages.options import ClassifierOptions  # noqa: E402

pytestmark = pytest.mark.models

MODEL_ID = "tiny-emotion-test"
ID2LABEL = {0: "joy", 1: "sadness", 2: "neutral"}
WORDS = ["i", "am", "so", "happy", "sad", "today", "the", "weather", "is", "nice", "я", "рад", "грустно", "мне"]

MANIFEST = """\
id: {id}
family: tiny-bert
role: primary
path: {path}
format: safetensors
quant: fp32
capabilities: [classify_emotion]
revision: '2026-11-24'
checksum_sha256: null
skip_checksum: true
adapter: transformers
kind: classifier
languages: [ru, en]
source:
  kind: manual
  url: https://example.invalid/tiny-emotion
"""


def build_tiny_model(folder: Path) -> None:
    folder.mkdir(parents=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(vocab))
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=len(ID2LABEL),
        id2label=ID2LABEL,
        label2id={v: k for k, v in ID2LABEL.items()},
    )
    model = transformers.BertForSequenceClassification(config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))


@pytest.fixture(scope="module")
def tiny_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root = tmp_path_factory.mktemp("tiny-emotion")
    build_tiny_model(root / "models" / "tiny-emotion")
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / f"{MODEL_ID}.yaml").write_text(MANIFEST.format(id=MODEL_ID, path="tiny-emotion"))
    (manifests / "missing.yaml").write_text(MANIFEST.format(id="missing-emotion", path="not-there"))
    (manifests / "empty.yaml").write_text(MANIFEST.format(id="empty-emotion", path="empty-folder"))
    (root / "models" / "empty-folder").mkdir()
    registry = Registry.from_dirs([manifests], root / "models", root / "state")
    assert registry.problems == []
    return registry


def test_loads_through_the_registry_and_classifies(tiny_registry: Registry) -> None:
    classifier = tiny_registry.get(MODEL_ID).load(ClassifierOptions(device="cpu", threads=1))
    assert isinstance(classifier, TransformersEmotionClassifier)
    assert isinstance(classifier, EmotionClassifier)
    assert classifier.id2label == ID2LABEL
    texts = ["I am so happy today", "мне грустно", "the weather is nice"]
    probs = classifier.probabilities(texts)
    assert probs.shape == (3, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.all(probs > 0)
    for text, row in zip(texts, probs, strict=True):
        out = classifier.classify(text)
        assert out.label == ID2LABEL[int(np.argmax(row))]  # our names map onto themselves
        assert out.confidence == pytest.approx(float(row.max()), abs=1e-6)
        assert out.source == "classifier"
        expected_valence = sum(p * LABEL_VALUES[ID2LABEL[i]][0] for i, p in enumerate(row))
        assert out.valence == pytest.approx(expected_valence, abs=1e-6)
    assert classifier.classify("").confidence == 0.0


def test_the_stage_uses_the_classifier(tiny_registry: Registry) -> None:
    classifier = tiny_registry.get(MODEL_ID).load()
    out = EmotionStage(classifier, min_confidence=0.0).classify("I am so happy today")
    assert out.source == "classifier" and out.label in ID2LABEL.values()


@pytest.mark.parametrize("model_id", ["missing-emotion", "empty-emotion"])
def test_missing_or_empty_folder_is_unavailable(tiny_registry: Registry, model_id: str) -> None:
    with pytest.raises(ModelUnavailableError):
        tiny_registry.get(model_id).load()
