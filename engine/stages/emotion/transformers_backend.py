"""A downloaded text emotion classifier (any transformers sequence-classification folder), seed 5.

Needs the optional `[transformers]` extra (torch + transformers); both are imported only here, when
such a model is loaded. Its labels (GoEmotions, Ekman, Russian CEDR, "LABEL_0"...) are mapped onto
Sova's basic labels; a label the table does not know counts as neutral and lowers the confidence.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.audio.types import Audio
from engine.errors import ModelUnavailableError, StageError
from engine.registry.registry import ModelProvider
from engine.stages.base import EmotionResult
from engine.stages.options import ClassifierOptions, options_for

#: Sova's labels and their (valence, arousal): the same places as resources/emotion/prototypes.yaml
#: (a unit test keeps the two in step)
LABEL_VALUES: dict[str, tuple[float, float]] = {
    "joy": (0.8, 0.5),
    "sadness": (-0.7, -0.4),
    "anger": (-0.7, 0.8),
    "fear": (-0.6, 0.6),
    "surprise": (0.2, 0.7),
    "neutral": (0.0, -0.2),
}

#: a model's label name (lower case) -> Sova's label
LABEL_ALIASES: dict[str, str] = {
    **{name: name for name in LABEL_VALUES},
    **dict.fromkeys(
        [
            "happy",
            "happiness",
            "love",
            "amusement",
            "excitement",
            "optimism",
            "gratitude",
            "pride",
            "relief",
            "admiration",
            "approval",
            "caring",
            "desire",
            "enthusiasm",
            "радость",
            "joyful",
        ],
        "joy",
    ),
    **dict.fromkeys(
        ["sad", "grief", "remorse", "disappointment", "embarrassment", "loneliness", "грусть", "печаль"],
        "sadness",
    ),
    **dict.fromkeys(["angry", "annoyance", "disapproval", "disgust", "rage", "злость", "гнев"], "anger"),
    **dict.fromkeys(["fearful", "scared", "nervousness", "anxiety", "worry", "страх"], "fear"),
    **dict.fromkeys(["surprised", "realization", "confusion", "curiosity", "удивление"], "surprise"),
    **dict.fromkeys(["no_emotion", "no emotion", "none", "other", "calm", "нейтрально"], "neutral"),
}

#: probability mass on labels the table does not know counts this much towards confidence
UNKNOWN_LABEL_WEIGHT = 0.5
MAX_TOKENS = 256


def map_label(name: str) -> str | None:
    """Sova's label for a model's label name, or None when unknown."""
    return LABEL_ALIASES.get(name.strip().lower().replace("-", "_"))


def mapped_result(probs: npt.NDArray[np.float64], id2label: Mapping[int, str]) -> EmotionResult:
    """Fold a model's class probabilities onto Sova's labels (pure: the tests drive it by tables)."""
    totals = dict.fromkeys(LABEL_VALUES, 0.0)
    unknown = 0.0
    for index, p in enumerate(probs):
        label = map_label(id2label.get(index, ""))
        if label is None:
            unknown += float(p)
            totals["neutral"] += float(p)
        else:
            totals[label] += float(p)
    best = max(totals, key=lambda k: totals[k])
    valence = sum(p * LABEL_VALUES[k][0] for k, p in totals.items())
    arousal = sum(p * LABEL_VALUES[k][1] for k, p in totals.items())
    confidence = totals[best]
    if best == "neutral":  # mass the table could not place is a guess: it counts only partly
        confidence -= (1.0 - UNKNOWN_LABEL_WEIGHT) * unknown
    return EmotionResult(best, float(valence), float(arousal), float(confidence), "classifier")


class TransformersEmotionClassifier:
    """An `EmotionClassifier` over a transformers sequence-classification model (text only)."""

    def __init__(self, tokenizer: Any, model: Any, model_id: str, device: str) -> None:
        self._tokenizer = tokenizer
        self._model = model
        self.model_id = model_id
        self._device = device
        config_labels = getattr(model.config, "id2label", None) or {}
        self.id2label: dict[int, str] = {int(k): str(v) for k, v in config_labels.items()}
        # one forward pass at a time: torch's intra-op threads already use the cores
        self._lock = threading.Lock()

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """(len(texts), n_classes) class probabilities in the model's own label order."""
        import torch

        batch = self._tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        batch = {k: v.to(self._device) for k, v in batch.items()}
        with self._lock, torch.inference_mode():
            logits = self._model(**batch).logits
        if getattr(self._model.config, "problem_type", None) == "multi_label_classification":
            scores = torch.sigmoid(logits)
            scores = scores / scores.sum(dim=-1, keepdim=True).clamp_min(1e-9)
        else:
            scores = torch.softmax(logits, dim=-1)
        out: npt.NDArray[np.float64] = scores.float().cpu().numpy().astype(np.float64)
        return out

    def classify(self, text: str, audio: Audio | None = None) -> EmotionResult:
        """Classify `text` (`audio` is ignored: voice cues are fused by the emotion stage)."""
        if not text.strip():
            return EmotionResult("neutral", 0.0, 0.0, 0.0, "classifier")
        try:
            probs = self.probabilities([text])[0]
        except RuntimeError as exc:
            raise StageError("emotion", f"{self.model_id} failed: {exc}") from exc
        return mapped_result(probs, self.id2label)

    def close(self) -> None:
        """Drop the weights so their memory can be freed."""
        self._model = None


def _import_backend() -> tuple[Any, Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the transformers emotion classifier needs the Python package {exc.name!r}, which is not installed",
            hint="install the extra: `.venv/bin/pip install -e .[transformers]`",
        ) from exc
    return torch, transformers.AutoTokenizer, transformers.AutoModelForSequenceClassification


def load_model(provider: ModelProvider, options: ClassifierOptions | None = None) -> TransformersEmotionClassifier:
    """Load the classifier folder at `provider.path` (offline) with `options` (None: the defaults)."""
    opts = options_for(ClassifierOptions, options, provider.manifest.id)
    path = Path(provider.path)
    if not (path / "config.json").is_file():
        raise ModelUnavailableError(
            f"model {provider.manifest.id}: {path} is not a transformers model folder (no config.json)",
            hint=f"put the classifier folder there, or `sova models add FOLDER --manifest {provider.manifest.id}`",
        )
    torch, auto_tokenizer, auto_model = _import_backend()
    device = str(opts.device or "auto")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    threads = int(opts.threads or 0)
    if threads > 0 and device == "cpu":
        torch.set_num_threads(threads)
    try:
        tokenizer = auto_tokenizer.from_pretrained(str(path), local_files_only=True)
        model = auto_model.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(
            f"model {provider.manifest.id}: transformers cannot load {path}: {exc}",
            hint="the folder needs config.json (with id2label), the tokenizer files and the weights",
        ) from exc
    model.eval()
    model.to(device)
    return TransformersEmotionClassifier(tokenizer, model, provider.manifest.id, device)
