"""Reminder times: the RU/EN phrase splitter and the dateparser wrapper, at a fixed `now`."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.errors import ConfigError
from engine.tools.timeparse import normalise_when, parse_when, resolve_timezone, split_reminder

ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=ZONE)  # a Sunday


@pytest.mark.parametrize(
    ("text", "when", "what"),
    [
        ("напомни завтра в 9 позвонить маме", "завтра в 9", "позвонить маме"),
        ("напомни мне через 10 минут выключить плиту", "через 10 минут", "выключить плиту"),
        ("через десять минут напомни мне про чайник", "через 10 минут", "чайник"),
        ("поставь таймер на 10 минут", "на 10 минут", "таймер"),
        ("разбуди меня в 7 утра", "в 7 утра", "будильник"),
        ("напомни в пятницу в 17:00 отправить отчёт", "в пятницу в 17:00", "отправить отчёт"),
        ("remind me to call mom at 6 pm tomorrow", "at 6 pm tomorrow", "call mom"),
        ("remind me at 6 pm tomorrow to call mom", "at 6 pm tomorrow", "call mom"),
        ("set a timer for five minutes", "for 5 minutes", "timer"),
        ("set an alarm for 7 am", "for 7 am", "alarm"),
        ("remind me tomorrow at 9am about the meeting", "tomorrow at 9am", "the meeting"),
    ],
)
def test_split_reminder(text: str, when: str, what: str) -> None:
    assert split_reminder(text) == (when, what)


@pytest.mark.parametrize("text", ["привет", "напомни мне позвонить маме", "remind me to call mom"])
def test_split_reminder_without_a_time(text: str) -> None:
    assert split_reminder(text) is None


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("завтра в 9", "завтра в 9:00"),
        ("в 9 вечера", "в 21:00"),
        ("завтра в девять утра", "завтра в 9:00"),
        ("at 6 pm tomorrow", "at 18:00 tomorrow"),
        ("12 am", "0:00"),
        ("на 10 минут", "через 10 минут"),
        ("for 5 minutes", "in 5 minutes"),
        ("10 минут", "через 10 минут"),
    ],
)
def test_normalise_when(phrase: str, expected: str) -> None:
    assert normalise_when(phrase) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("через 10 минут", NOW + timedelta(minutes=10)),
        ("in 2 hours", NOW + timedelta(hours=2)),
        ("через полчаса", NOW + timedelta(minutes=30)),
        ("на пять минут", NOW + timedelta(minutes=5)),
        ("завтра в 9", datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)),
        ("at 6 pm tomorrow", datetime(2026, 11, 30, 18, 0, tzinfo=ZONE)),
        ("в 9 вечера", datetime(2026, 11, 29, 21, 0, tzinfo=ZONE)),
        ("в 8", datetime(2026, 11, 30, 8, 0, tzinfo=ZONE)),  # 8:00 has passed today: tomorrow
        ("в пятницу в 17:00", datetime(2026, 12, 4, 17, 0, tzinfo=ZONE)),
        ("tomorrow at 9am", datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)),
    ],
)
def test_parse_when(phrase: str, expected: datetime) -> None:
    assert parse_when(phrase, NOW) == expected


def test_parse_when_gives_none_for_no_time_and_needs_a_zone() -> None:
    assert parse_when("позвонить маме", NOW) is None
    with pytest.raises(ValueError, match="zone"):
        parse_when("через 10 минут", NOW.replace(tzinfo=None))


def test_resolve_timezone() -> None:
    assert resolve_timezone("Europe/Moscow") == ZONE
    assert resolve_timezone("") is not None
    with pytest.raises(ConfigError, match=r"tools\.timezone"):
        resolve_timezone("Mars/Olympus")
