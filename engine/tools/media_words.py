"""The user's words about media, read without a model (pure): which tool, which action, which volume.

Triggers are searched by the router in words lowered, with ё as е and number words as digits
(engine/tools/router.py); the readers below normalise the same way, so "громкость на тридцать" sets 30%.
"""

from __future__ import annotations

import re
from typing import Any

from engine.tools.numwords import words_to_digits

_MUSIC = r"(?:музык\w*|песн\w*|трек\w*|композици\w*|воспроизведени\w*|плеер\w*|радио|подкаст\w*)"
CONTROL_TRIGGERS: tuple[str, ...] = (
    r"\bпауз\w*",
    rf"\b(?:останови|остановить|выключи|стоп|продолжи|возобнови|включи|поставь)\s+(?:\w+\s+)?{_MUSIC}",
    rf"\b(?:следующ|предыдущ)\w*\s+{_MUSIC}",
    rf"\b(?:переключи|пропусти|перемотай)\s+(?:\w+\s+)?{_MUSIC}",
    r"\b(?:pause|unpause|resume)\b",
    r"\b(?:play|stop|start)\s+(?:the\s+|some\s+)?(?:music|song|track|playback|player|podcast)\b",
    r"\b(?:next|previous|last)\s+(?:track|song)\b",
    r"\bskip\s+(?:this\s+|the\s+)?(?:track|song)\b",
    r"\bgo back a (?:track|song)\b",
)
VOLUME_TRIGGERS: tuple[str, ...] = (
    r"\bгромкост\w*",
    r"\b(?:по)?(?:громче|тише)\b",
    r"\b(?:прибавь|убавь)\s+(?:звук|громкость)",
    r"\bvolume\b",
    r"\b(?:louder|quieter)\b",
    r"\bturn\s+(?:it|the\s+music|the\s+sound)\s+(?:up|down)\b",
    r"\bturn\s+(?:up|down)\s+(?:the\s+)?(?:music|sound)\b",
)
NOW_PLAYING_TRIGGERS: tuple[str, ...] = (
    rf"\bчто\s+(?:сейчас\s+)?(?:играет|звучит|за\s+{_MUSIC})",
    rf"\bкак(?:ая|ой)\s+(?:сейчас\s+)?(?:{_MUSIC})\s+(?:играет|звучит)",
    r"\bкто\s+(?:это\s+)?(?:поет|исполняет)\b",
    r"\bwhat(?:'s|s| is)\s+(?:this\s+|currently\s+|now\s+)?playing\b",
    r"\bwhat\s+(?:song|track|music)\s+is\s+(?:this|playing|on)\b",
    r"\bwho\s+(?:is\s+)?sings?\s+(?:this|that)\b",
)

_RESUME = re.compile(r"сним\w*\s+(?:с\s+)?пауз|продолжи|возобнови|\bunpause\b|\bresume\b")
_PREVIOUS = re.compile(r"предыдущ|назад|previous|last (?:track|song)|go back")
_NEXT = re.compile(r"следующ|переключи|пропусти|\bnext\b|\bskip\b")
_PAUSE = re.compile(r"пауз|останови|\bвыключи|\bстоп\b|\bpause\b|\bstop\b")
_PLAY = re.compile(r"\bвключи|\bпоставь\s+(?:\w+\s+)?музык|\bplay\b|\bstart\b")
_UP = re.compile(r"громче|прибавь|увеличь|повысь|louder|\bup\b|increase|raise")
_DOWN = re.compile(r"тише|убавь|уменьш|понизь|quieter|\bdown\b|decrease|lower")
_TO_LEVEL = re.compile(r"(?:\bдо|\bto)\s+(\d{1,3})\b")
_PERCENT = re.compile(r"\b(\d{1,3})\b")
_EXTREME = {"максимум": 100, "max": 100, "full": 100, "минимум": 0, "min": 0}


def normalise(text: str) -> str:
    """The words as the router sees them: lower case, ё as е, number words as digits."""
    return words_to_digits(text.lower().replace("ё", "е").strip())


def control_args(text: str) -> dict[str, Any] | None:
    """The media action the words ask for ("поставь на паузу" -> pause), or None when unclear."""
    words = normalise(text)
    if _RESUME.search(words):
        return {"action": "play"}
    for pattern, action in ((_PREVIOUS, "previous"), (_NEXT, "next"), (_PAUSE, "pause"), (_PLAY, "play")):
        if pattern.search(words):
            return {"action": action}
    return None


def volume_args(text: str) -> dict[str, Any] | None:
    """The volume change the words ask for ("громкость на 30" -> set 30, "погромче" -> up), or None.

    "до 80" / "to 80" is a level; "громче на 20" / "up by 20" is a step; a bare number is a level.
    """
    words = normalise(text)
    level = _TO_LEVEL.search(words)
    if level and int(level.group(1)) <= 100:
        return {"mode": "set", "percent": int(level.group(1))}
    extreme = next((v for k, v in _EXTREME.items() if re.search(rf"\b{k}\w*", words)), None)
    if extreme is not None:
        return {"mode": "set", "percent": extreme}
    found = _PERCENT.search(words)
    percent = int(found.group(1)) if found and int(found.group(1)) <= 100 else None
    if _UP.search(words):
        return {"mode": "up", "percent": percent}
    if _DOWN.search(words):
        return {"mode": "down", "percent": percent}
    if percent is not None:
        return {"mode": "set", "percent": percent}
    return None
