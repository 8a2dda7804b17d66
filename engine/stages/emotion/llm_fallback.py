"""Seed 5's fallback: when the text classifier is unsure, ask the lightweight LLM with a few-shot prompt."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from engine.stages.base import ChatMessage, EmotionResult, LanguageModel, SamplingParams
from engine.stages.emotion.prototypes import DEFAULT_PROTOTYPES, load_labels

#: the LLM gives a label, not a probability: this is the confidence its answer is reported with.
#: Just above the default min_confidence (0.35): it is asked only when the text classifier was less
#: sure, and the 0.5B model is right on clear cases only about half the time (measured, 4/8).
LLM_CONFIDENCE = 0.4
MAX_TOKENS = 40
#: longer utterances are cut: the emotion shows early, and the prompt must stay cheap
MAX_TEXT_CHARS = 600

SYSTEM_PROMPT = (
    "You label the emotion of one message a person said to a voice assistant. The message may be in "
    "Russian or English. Choose exactly one label from: {labels}. Use neutral for plain requests, "
    'questions and statements without a feeling. Reply only with JSON like {{"label": "joy"}}.'
)

# (message, label): short, everyday, both languages; none of them are prototypes or test probes
FEW_SHOT: tuple[tuple[str, str], ...] = (
    ("I finally finished my thesis, I can't stop smiling!", "joy"),
    ("Опять дождь, и на душе так тоскливо.", "sadness"),
    ("Why is this thing broken AGAIN? I've had enough!", "anger"),
    ("Мне кажется, кто-то ходит по квартире, мне не по себе.", "fear"),
    ("Погоди, ты что, уже вернулся?", "surprise"),
    ("Add eggs to the shopping list.", "neutral"),
)

_JSON_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)


@lru_cache(maxsize=4)
def _default_values(path: str) -> dict[str, tuple[float, float]]:
    return {name: (label.valence, label.arousal) for name, label in load_labels(Path(path)).items()}


def label_schema(labels: Sequence[str]) -> dict[str, object]:
    """Return the JSON schema the reply is constrained to: one label out of `labels`."""
    return {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": list(labels)}},
        "required": ["label"],
    }


def build_messages(text: str, labels: Sequence[str]) -> list[ChatMessage]:
    """Build the few-shot chat: system rules, example exchanges (RU and EN), then `text`."""
    messages = [ChatMessage("system", SYSTEM_PROMPT.format(labels=", ".join(labels)))]
    for example, label in FEW_SHOT:
        if label in labels:
            messages.append(ChatMessage("user", example))
            messages.append(ChatMessage("assistant", json.dumps({"label": label})))
    messages.append(ChatMessage("user", text.strip()[:MAX_TEXT_CHARS]))
    return messages


def parse_label(reply: str, labels: Sequence[str]) -> str | None:
    """Return the label in the model's reply, or None when it is not JSON with a known label."""
    candidates = [reply.strip(), *(m.group(0) for m in _JSON_OBJECT.finditer(reply))]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("label"), str):
            label = data["label"].strip().lower()
            return label if label in labels else None
    return None


def classify_with_llm(
    llm: LanguageModel,
    text: str,
    values: Mapping[str, tuple[float, float]] | None = None,
    cancel: threading.Event | None = None,
) -> EmotionResult | None:
    """Ask `llm` for the label of `text`; None when the reply is unusable (or the text is empty).

    `values` maps each allowed label to its (valence, arousal); by default the prototypes file's labels.
    """
    if not text.strip():
        return None
    table = dict(values) if values is not None else _default_values(str(DEFAULT_PROTOTYPES))
    labels = list(table)
    params = SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS, json_schema=label_schema(labels))
    reply = "".join(llm.stream_chat(build_messages(text, labels), params, cancel))
    label = parse_label(reply, labels)
    if label is None:
        return None
    valence, arousal = table[label]
    return EmotionResult(label, valence, arousal, LLM_CONFIDENCE, "llm")
