"""The media and screen tools' words: triggers and argument readers, Russian and English (tables)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.tools.media_words import (
    CONTROL_TRIGGERS,
    NOW_PLAYING_TRIGGERS,
    VOLUME_TRIGGERS,
    control_args,
    normalise,
    volume_args,
)
from engine.tools.screen import SPEC as SCREEN_SPEC

TRIGGERS = {
    "media_control": CONTROL_TRIGGERS,
    "media_volume": VOLUME_TRIGGERS,
    "media_now_playing": NOW_PLAYING_TRIGGERS,
    "read_screen": SCREEN_SPEC.triggers,
}


def triggered(text: str) -> set[str]:
    words = normalise(text)
    return {name for name, patterns in TRIGGERS.items() if any(re.search(p, words, re.I) for p in patterns)}


@pytest.mark.parametrize(
    ("text", "tools"),
    [
        ("Поставь музыку на паузу", {"media_control"}),
        ("Пауза", {"media_control"}),
        ("Следующий трек, пожалуйста", {"media_control"}),
        ("Включи предыдущую песню", {"media_control"}),
        ("Pause the music", {"media_control"}),
        ("Skip this song", {"media_control"}),
        ("next track", {"media_control"}),
        ("Сделай погромче", {"media_volume"}),
        ("Громкость на тридцать процентов", {"media_volume"}),
        ("Set the volume to 40%", {"media_volume"}),
        ("Turn it down", {"media_volume"}),
        ("Что сейчас играет?", {"media_now_playing"}),
        ("What's playing?", {"media_now_playing"}),
        ("What song is this?", {"media_now_playing"}),
        ("Что у меня на экране?", {"read_screen"}),
        ("Прочитай, что на экране", {"read_screen"}),
        ("What's on my screen?", {"read_screen"}),
        ("Read the text on the screen for me", {"read_screen"}),
        ("Какая твоя любимая музыка?", set()),
        ("Расскажи про экраны телефонов", set()),
        ("I love this song", set()),
        ("Сколько будет 2 плюс 2?", set()),
    ],
)
def test_triggers(text: str, tools: set[str]) -> None:
    assert triggered(text) == tools


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("Поставь на паузу", {"action": "pause"}),
        ("Сними с паузы", {"action": "play"}),
        ("Продолжи воспроизведение", {"action": "play"}),
        ("Выключи музыку", {"action": "pause"}),
        ("Включи музыку", {"action": "play"}),
        ("Следующая песня", {"action": "next"}),
        ("Переключи трек", {"action": "next"}),
        ("Верни предыдущий трек", {"action": "previous"}),
        ("pause", {"action": "pause"}),
        ("resume the music", {"action": "play"}),
        ("play the music", {"action": "play"}),
        ("skip the track", {"action": "next"}),
        ("go back a song", {"action": "previous"}),
        ("hello there", None),
    ],
)
def test_control_args(text: str, args: dict[str, Any] | None) -> None:
    assert control_args(text) == args


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("Громкость на тридцать процентов", {"mode": "set", "percent": 30}),
        ("Громкость 45", {"mode": "set", "percent": 45}),
        ("Сделай громче", {"mode": "up", "percent": None}),
        ("Сделай тише на 20 процентов", {"mode": "down", "percent": 20}),
        ("Убавь звук", {"mode": "down", "percent": None}),
        ("Прибавь громкость до 80", {"mode": "set", "percent": 80}),
        ("Громкость на максимум", {"mode": "set", "percent": 100}),
        ("Set the volume to 40%", {"mode": "set", "percent": 40}),
        ("turn the volume up by 15", {"mode": "up", "percent": 15}),
        ("louder", {"mode": "up", "percent": None}),
        ("turn it down", {"mode": "down", "percent": None}),
        ("volume", None),
    ],
)
def test_volume_args(text: str, args: dict[str, Any] | None) -> None:
    assert volume_args(text) == args
