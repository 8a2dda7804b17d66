"""When a reminder is due: RU/EN time phrases, through dateparser, and the reminder's own words.

dateparser reads "через 10 минут", "tomorrow at 6 pm", "в пятницу 17:00" but not spoken Russian
hours ("завтра в 9", "в 9 вечера"), so `normalise_when` first writes those as "9:00" / "21:00".
`split_reminder` cuts an utterance into the time phrase and the thing to be reminded of. All pure,
with `now` passed in (tests fix it).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import ConfigError
from engine.tools.numwords import words_to_digits

_PERIOD_SHIFT = {"утра": 0, "ночи": 0, "дня": 12, "вечера": 12, "am": 0, "pm": 12, "a.m.": 0, "p.m.": 12}
_UNIT = (
    r"(?:секунд\w*|минут\w*|час(?:а|ов)?|дн(?:я|ей)|день|недел\w*|seconds?|secs?|minutes?|mins?|hours?|days?|weeks?)"
)
_DURATION = (
    rf"(?:\d+(?:[.,]\d+)?\s*{_UNIT}(?:\s*(?:и|and)?\s*\d+\s*{_UNIT})?"
    r"|полчаса|полтора часа|минуту|час|an? (?:minute|hour)|half an hour)"
)
_CLOCK = r"\d{1,2}(?:[:.]\d{2})?(?:\s*(?:утра|ночи|дня|вечера|am|pm|a\.m\.|p\.m\.))?"
_DAY = (
    r"(?:сегодня|завтра|послезавтра|today|tomorrow|tonight|"
    r"(?:в |во |on |next )?(?:понедельник|вторник|сред[ау]|четверг|пятниц[ау]|суббот[ау]|воскресенье|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
)
_WHEN_PART = re.compile(
    rf"(?<!\w)(?:(?:через|in|на|for|after)\s+{_DURATION}|{_DAY}|(?:в|во|at|к|by|for)\s+{_CLOCK}"
    rf"|{_CLOCK}\s*(?:am|pm)|\d{{1,2}}:\d{{2}}|\d+(?:[.,]\d+)?\s*{_UNIT})(?!\w)",
    re.IGNORECASE,
)
_TRIGGER = re.compile(
    r"(?:пожалуйста\s+)?(?:напомни(?:те)?(?:\s+мне)?|поставь(?:те)?\s+(?:мне\s+)?(?:таймер|будильник|напоминание)|"
    r"засеки|разбуди(?:\s+меня)?|(?:please\s+)?remind\s+me|set\s+(?:a|an|the)\s+(?:timer|alarm|reminder)|"
    r"start\s+a\s+timer|wake\s+me(?:\s+up)?)\b",
    re.IGNORECASE,
)
_GLUE = re.compile(r"^(?:что(?:бы)?|о том,? что|про|to|about|that|:|,|-)\s+|\s+(?:пожалуйста|please)$", re.IGNORECASE)


def resolve_timezone(name: str) -> tzinfo:
    """The configured zone ("" = the system's); raise `ConfigError` for an unknown name."""
    if not name:
        import tzlocal  # the system zone as a real zone (DST-aware), not a fixed offset

        return tzlocal.get_localzone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            [f"tools.timezone: unknown time zone {name!r}"],
            keys=("tools.timezone",),
            hint='use an IANA name such as "Europe/Moscow", or "" for the system zone',
        ) from exc


def normalise_when(phrase: str) -> str:
    """Write a time phrase the way dateparser reads it ("завтра в 9 вечера" -> "завтра в 21:00")."""
    s = words_to_digits(phrase.lower().strip())
    s = re.sub(r"\bна\s+(?=\d|полчаса|минуту|час\b)", "через ", s)
    s = re.sub(r"\b(?:for|after)\s+(?=\d+\s*" + _UNIT + r"|an? |half)", "in ", s)
    s = re.sub(r"\bfor\s+(?=\d)", "at ", s)
    bare = re.match(r"^\d+(?:[.,]\d+)?\s*" + _UNIT, s)
    if bare:  # "10 минут" / "2 hours": from now
        s = ("in " if re.search(r"[a-z]", bare.group()) else "через ") + s
    s = s.replace("полтора часа", "90 минут")

    def clock(m: re.Match[str]) -> str:
        hour, minute, period = int(m.group(2)), m.group(3) or "00", (m.group(4) or "").lower()
        if period in _PERIOD_SHIFT and hour < 12:
            hour += _PERIOD_SHIFT[period]
        if period in ("am", "a.m.", "ночи", "утра") and hour == 12:
            hour = 0
        return f"{m.group(1)}{hour}:{minute}"

    s = re.sub(
        r"((?:^|\s)(?:в|во|at|к|by)?\s*)(\d{1,2})(?:[:.](\d{2}))?\s*(утра|ночи|дня|вечера|am|pm|a\.m\.|p\.m\.)(?!\w)",
        clock,
        s,
    )
    s = re.sub(r"((?:^|\s)(?:в|во|at|к|by)\s+)(\d{1,2})(?![\d:.]|\s*" + _UNIT + r")", r"\g<1>\2:00", s)
    s = re.sub(r"\b(?:к|by)\s+(?=\d)", "в ", s)
    return re.sub(r"\s+", " ", s).strip()


def parse_when(phrase: str, now: datetime) -> datetime | None:
    """The moment a phrase names, in `now`'s zone (future preferred), or None when it names none."""
    import dateparser  # heavy (~0.5 s): only when a reminder is set

    if now.tzinfo is None:
        raise ValueError("now must carry its time zone")
    text = normalise_when(phrase)
    if not text:
        return None
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now.replace(tzinfo=None)}
    found = dateparser.parse(text, languages=["ru", "en"], settings=settings)
    if not isinstance(found, datetime):
        return None
    due = found.replace(tzinfo=now.tzinfo)
    if due <= now and not _has_day(text) and re.search(r"\d:\d\d", text):
        due += timedelta(days=1)  # "в 9:00" said at 10:00 means tomorrow
    return due


def _has_day(text: str) -> bool:
    return re.search(_DAY, text, re.IGNORECASE) is not None


def split_reminder(text: str) -> tuple[str, str] | None:
    """(time phrase, what to remind of) in a reminder request, or None when it names no time (pure).

    "напомни завтра в 9 позвонить маме" -> ("завтра в 9", "позвонить маме").
    """
    s = re.sub(r"[?!.]+$", "", words_to_digits(text.strip()))
    trigger = _TRIGGER.search(s)
    body = f"{s[: trigger.start()]} {s[trigger.end() :]}" if trigger else s
    parts = list(_WHEN_PART.finditer(body))
    if not parts:
        return None
    # the time phrase: the first match and the ones right after it (only spaces or "and" between)
    spans = [parts[0]]
    for m in parts[1:]:
        if re.fullmatch(r"[\s,]*(?:и|and)?[\s,]*", body[spans[-1].end() : m.start()]):
            spans.append(m)
    start, end = spans[0].start(), spans[-1].end()
    when = body[start:end].strip()
    what = (body[:start] + " " + body[end:]).strip(" ,")
    what = re.sub(r"\s+", " ", what)
    while True:
        stripped = _GLUE.sub("", what).strip(" ,")
        if stripped == what:
            break
        what = stripped
    return when, what or _default_what(s)


def _default_what(text: str) -> str:
    """What to call a reminder that names no task ("поставь таймер на 10 минут")."""
    names = (
        ("таймер|засеки", "таймер"),
        ("разбуди|будильник", "будильник"),
        ("timer", "timer"),
        ("alarm|wake", "alarm"),
    )
    for pattern, name in names:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return "напоминание" if re.search(r"[а-яё]", text, re.IGNORECASE) else "reminder"
