"""The emotion stage's pure decisions (fusion, LLM fallback parsing, label mapping, calibration) and its
orchestration with fakes. The real models are exercised in tests/integration/test_emotion*.py.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from engine.audio.types import Audio
from engine.errors import ConfigError, ModelUnavailableError, StageError
from engine.stages.base import ChatMessage, EmotionClassifier, EmotionResult, SamplingParams
from engine.stages.emotion import transformers_backend
from engine.stages.emotion.classifier import EmotionStage
from engine.stages.emotion.fusion import LOW_TEXT_CONFIDENCE, fuse, prefer_llm
from engine.stages.emotion.llm_fallback import LLM_CONFIDENCE, build_messages, classify_with_llm, parse_label
from engine.stages.emotion.prototypes import (
    DEFAULT_PROTOTYPES,
    fit_temperature,
    label_scores,
    load_labels,
    load_prototypes,
    softmax,
)
from engine.stages.emotion.transformers_backend import LABEL_VALUES, mapped_result

LABELS = ["joy", "sadness", "anger", "fear", "surprise", "neutral"]


def text(label: str, valence: float, arousal: float, confidence: float, source: str = "text") -> EmotionResult:
    return EmotionResult(label, valence, arousal, confidence, source)


# --- fuse ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "voice", "label", "arousal", "source"),
    [
        # no voice evidence: the text result comes back as it was
        (text("joy", 0.8, 0.5, 0.9), None, "joy", 0.5, "text"),
        (text("joy", 0.8, 0.5, 0.9), (1.0, 0.0), "joy", 0.5, "text"),
        # a sure text and a calm voice: arousal moves towards the voice, weighted by confidences
        (text("anger", -0.7, 0.8, 0.8), (-0.4, 0.4), "anger", (0.8 * 0.8 - 0.4 * 0.4) / 1.2, "text+voice"),
        # an unsure neutral text said loudly with a negative tinge: the voice makes it anger
        (text("neutral", -0.3, -0.1, 0.2), (0.9, 0.6), "anger", (0.2 * -0.1 + 0.6 * 0.9) / 0.8, "text+voice"),
        # unsure, positive, aroused voice: joy
        (text("neutral", 0.4, 0.0, 0.3), (0.8, 0.6), "joy", (0.6 * 0.8) / 0.9, "text+voice"),
        # unsure, no polarity, aroused voice: surprise
        (text("neutral", 0.0, 0.0, 0.2), (0.7, 0.5), "surprise", (0.5 * 0.7) / 0.7, "text+voice"),
        # unsure, negative, very calm voice: sadness
        (text("fear", -0.5, 0.3, 0.25), (-0.8, 0.6), "sadness", (0.25 * 0.3 - 0.6 * 0.8) / 0.85, "text+voice"),
        # unsure text but the voice is only mildly aroused: the label stays
        (text("fear", -0.5, 0.3, 0.25), (0.3, 0.6), "fear", (0.25 * 0.3 + 0.6 * 0.3) / 0.85, "text+voice"),
        # unsure text but the voice itself is unsure: the label stays
        (text("fear", -0.5, 0.3, 0.25), (0.9, 0.2), "fear", (0.25 * 0.3 + 0.2 * 0.9) / 0.45, "text+voice"),
        # a confident text is never relabelled by the voice
        (text("sadness", -0.7, -0.4, 0.9), (0.9, 0.7), "sadness", (0.9 * -0.4 + 0.7 * 0.9) / 1.6, "text+voice"),
        # other sources keep their name
        (text("joy", 0.8, 0.5, 0.4, "llm"), (0.0, 0.5), "joy", (0.4 * 0.5) / 0.9, "llm+voice"),
    ],
)
def test_fuse_table(
    given: EmotionResult, voice: tuple[float, float] | None, label: str, arousal: float, source: str
) -> None:
    out = fuse(given, voice)
    assert out.label == label
    assert out.arousal == pytest.approx(arousal)
    assert out.valence == given.valence  # valence is always the text's
    assert out.source == source
    assert 0.0 <= out.confidence <= 1.0
    if label != given.label:
        assert out.confidence <= LOW_TEXT_CONFIDENCE
    else:
        assert out.confidence == given.confidence


# --- prefer_llm ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "llm", "label", "confidence", "source"),
    [
        (text("joy", 0.6, 0.5, 0.3), None, "joy", 0.3, "text"),
        (text("joy", 0.6, 0.5, 0.3), text("neutral", 0.0, -0.2, 0.4, "llm"), "neutral", 0.4, "llm"),
        # agreement keeps the higher confidence
        (text("fear", -0.5, 0.5, 0.34), text("fear", -0.6, 0.6, 0.4, "llm"), "fear", 0.4, "llm"),
        (text("fear", -0.5, 0.5, 0.2), text("fear", -0.6, 0.6, 0.1, "llm"), "fear", 0.2, "llm"),
    ],
)
def test_prefer_llm_table(
    given: EmotionResult, llm: EmotionResult | None, label: str, confidence: float, source: str
) -> None:
    out = prefer_llm(given, llm)
    assert (out.label, out.confidence, out.source) == (label, confidence, source)
    if llm is not None:
        assert out.valence == pytest.approx((given.valence + llm.valence) / 2)
        assert out.arousal == pytest.approx((given.arousal + llm.arousal) / 2)


# --- LLM reply parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ('{"label": "joy"}', "joy"),
        ('  {"label" : "Sadness" }\n', "sadness"),
        ('Sure! {"label": "fear"} is my answer', "fear"),
        ('```json\n{"label": "anger"}\n```', "anger"),
        ('{"label": "happiness"}', None),  # not one of ours
        ('{"label": 3}', None),
        ('{"emotion": "joy"}', None),
        ("joy", None),  # not JSON
        ('{"label": "joy"', None),  # cut off
        ("", None),
    ],
)
def test_parse_label_table(reply: str, label: str | None) -> None:
    assert parse_label(reply, LABELS) == label


class ScriptedLLM:
    """A LanguageModel that streams a fixed reply and records what it was asked."""

    model_id = "scripted"
    context_length = 2048

    def __init__(self, reply: str, fail: bool = False) -> None:
        self.reply = reply
        self.fail = fail
        self.calls: list[tuple[list[ChatMessage], SamplingParams]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self.calls.append((list(messages), params))
        if self.fail:
            raise StageError("llm", "scripted failure")
        yield from (self.reply[i : i + 3] for i in range(0, len(self.reply), 3))


def test_classify_with_llm_uses_schema_and_label_values() -> None:
    llm = ScriptedLLM('{"label": "sadness"}')
    result = classify_with_llm(llm, "  Ну не знаю...  ")
    labels = load_labels()
    assert result == EmotionResult(
        "sadness", labels["sadness"].valence, labels["sadness"].arousal, LLM_CONFIDENCE, "llm"
    )
    messages, params = llm.calls[0]
    assert params.temperature == 0 and params.max_tokens == 40
    assert params.json_schema is not None
    assert params.json_schema["properties"]["label"]["enum"] == list(labels)  # type: ignore[index]
    assert messages[0].role == "system" and messages[-1] == ChatMessage("user", "Ну не знаю...")
    # few-shot pairs in both languages
    shots = [m.content for m in messages[1:-1] if m.role == "user"]
    assert any(any("а" <= ch <= "я" for ch in s) for s in shots)
    assert any(s.isascii() for s in shots)


def test_classify_with_llm_rejects_bad_replies() -> None:
    assert classify_with_llm(ScriptedLLM("I think it is joy."), "ok") is None
    assert classify_with_llm(ScriptedLLM('{"label": "bliss"}'), "ok") is None
    empty = ScriptedLLM('{"label": "joy"}')
    assert classify_with_llm(empty, "   ") is None
    assert empty.calls == []


def test_build_messages_drops_examples_of_unknown_labels() -> None:
    messages = build_messages("hi", ["joy", "neutral"])
    assert all('"sadness"' not in m.content for m in messages)
    assert sum(m.role == "assistant" for m in messages) == 2


# --- transformers label mapping -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("id2label", "probs", "label", "confidence"),
    [
        ({0: "joy", 1: "sadness", 2: "neutral"}, [0.7, 0.2, 0.1], "joy", 0.7),
        # several model labels fold onto one of ours
        ({0: "amusement", 1: "excitement", 2: "grief", 3: "neutral"}, [0.3, 0.3, 0.35, 0.05], "joy", 0.6),
        ({0: "Happiness", 1: "Anger", 2: "Disgust"}, [0.2, 0.4, 0.4], "anger", 0.8),
        # unknown names count as neutral, but only half towards the confidence
        ({0: "LABEL_0", 1: "LABEL_1"}, [0.6, 0.4], "neutral", 0.5),
        ({0: "LABEL_0", 1: "neutral", 2: "joy"}, [0.3, 0.4, 0.3], "neutral", 0.55),
    ],
)
def test_mapped_result_table(id2label: dict[int, str], probs: list[float], label: str, confidence: float) -> None:
    out = mapped_result(np.array(probs), id2label)
    assert out.label == label
    assert out.confidence == pytest.approx(confidence)
    assert out.source == "classifier"
    assert -1 <= out.valence <= 1 and -1 <= out.arousal <= 1


def test_transformers_table_matches_the_prototypes_file() -> None:
    labels = load_labels()
    assert {n: (lab.valence, lab.arousal) for n, lab in labels.items()} == LABEL_VALUES


# --- prototypes file and calibration ------------------------------------------------------------


def test_default_prototypes_file_is_valid_and_bilingual() -> None:
    spec = load_prototypes(DEFAULT_PROTOTYPES)
    assert set(LABELS) <= set(spec.labels)
    for label in spec.labels.values():
        assert -1 <= label.valence <= 1 and -1 <= label.arousal <= 1
        assert len(label.examples["ru"]) >= 8 and len(label.examples["en"]) >= 8
    prototypes = {t for lab in spec.labels.values() for items in lab.examples.values() for t in items}
    assert {name for _, name in spec.calibration} == set(spec.labels)
    assert not prototypes & {sentence for sentence, _ in spec.calibration}  # calibration is held out


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("labels: []\n", "labels: expected a mapping"),
        ("labels:\n  joy: {valence: 2, arousal: 0, examples: {en: [a, b, c, d]}}\n", "joy.valence"),
        ("labels:\n  joy: {valence: 0, arousal: 0, examples: {en: [a, b]}}\n", "needs at least"),
        (
            "labels:\n  joy: {valence: 0, arousal: 0, examples: {en: [a, b, c, d]}}\ncalibration:\n  fear: [x]\n",
            "calibration.fear: not one of the labels",
        ),
        ("labels: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_prototypes_files_are_reported(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_prototypes(path)
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_label_scores_average_the_top_k_and_skip_held_out() -> None:
    sims = np.array([[0.9, 0.8, 0.7, 0.1, 0.5, 0.4, 0.3, -np.inf]])
    owner = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    scores = label_scores(sims, owner, 2, k=3)
    assert scores[0] == pytest.approx([0.8, 0.4])


def test_fit_temperature_is_sharper_when_the_margins_are_reliable() -> None:
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 4, size=200)
    base = rng.normal(0.85, 0.01, size=(200, 4))
    clean = base.copy()
    clean[np.arange(200), targets] += 0.05  # the right label always wins clearly
    noisy = base.copy()
    noisy[np.arange(200), targets] += 0.005  # the right label wins only slightly, often loses
    t_clean, t_noisy = fit_temperature(clean, targets), fit_temperature(noisy, targets)
    assert t_clean < t_noisy
    assert softmax(clean, t_clean).max(axis=1).mean() > softmax(noisy, t_noisy).max(axis=1).mean()


# --- EmotionStage orchestration (fakes) ---------------------------------------------------------


class FixedText:
    """A text classifier that always answers the same."""

    def __init__(self, result: EmotionResult) -> None:
        self.result = result
        self.seen: list[str] = []

    def classify(self, text: str, audio: Audio | None = None) -> EmotionResult:
        self.seen.append(text)
        return self.result


def loud_speech() -> Audio:
    rate = 16000
    t = np.arange(2 * rate) / rate
    phase = 2 * np.pi * np.cumsum(170 + 80 * np.sin(2 * np.pi * 1.5 * t)) / rate
    return Audio((0.6 * np.sin(phase)).astype(np.float32), rate)


def test_stage_is_an_emotion_classifier() -> None:
    stage = EmotionStage(FixedText(text("joy", 0.8, 0.5, 0.9)))
    assert isinstance(stage, EmotionClassifier)


def test_stage_asks_the_llm_only_below_min_confidence() -> None:
    sure = ScriptedLLM('{"label": "anger"}')
    assert EmotionStage(FixedText(text("joy", 0.8, 0.5, 0.9)), llm=sure).classify("great").label == "joy"
    assert sure.calls == []
    unsure = ScriptedLLM('{"label": "anger"}')
    out = EmotionStage(FixedText(text("joy", 0.8, 0.5, 0.2)), llm=unsure).classify("hm")
    assert (out.label, out.source) == ("anger", "llm")
    assert len(unsure.calls) == 1


def test_stage_keeps_the_text_result_when_the_llm_fails() -> None:
    given = text("joy", 0.8, 0.5, 0.2)
    assert EmotionStage(FixedText(given), llm=ScriptedLLM("", fail=True)).classify("hm") == given
    assert EmotionStage(FixedText(given), llm=ScriptedLLM("nonsense")).classify("hm") == given


def test_stage_fuses_voice_when_audio_is_given() -> None:
    given = text("neutral", 0.0, -0.2, 0.9)
    stage = EmotionStage(FixedText(given))
    assert stage.classify("open the file") == given
    with_voice = stage.classify("open the file", audio=loud_speech(), words=3)
    assert with_voice.source == "text+voice"
    assert with_voice.arousal > given.arousal
    assert with_voice.label == "neutral"  # a sure text keeps its label
    assert EmotionStage(FixedText(given), use_voice=False).classify("x", audio=loud_speech()) == given


@pytest.mark.parametrize("package", ["torch", "transformers"])
def test_missing_backend_package_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setitem(sys.modules, package, None)  # import now fails as if not installed
    provider = SimpleNamespace(path=tmp_path, manifest=SimpleNamespace(id="x"))
    with pytest.raises(ModelUnavailableError) as info:
        transformers_backend.load_model(provider)  # type: ignore[arg-type]
    assert package in str(info.value) and ".[transformers]" in str(info.value)
