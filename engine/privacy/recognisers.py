"""Recognisers of structured personal data: phones, e-mail, cards, IBANs, INN, SNILS, passports.

Each is a plain function `text -> list[Span]`. Numbers with a check digit (cards: Luhn; IBAN: mod 97;
INN and SNILS: their own checksums) are caught only when the checksum holds, so ordinary numbers,
prices and dates are left alone. A Russian passport number has no checksum: it is caught only with
a word that names it ("паспорт", "серия", "passport") shortly before. Phones use `phonenumbers`
(libphonenumber's metadata; the library Presidio itself uses), valid numbers only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class Span:
    """A piece of personal data found in a text: `text[start:end]`, its kind, and a key for "the same item"."""

    start: int
    end: int
    kind: str
    key: str


#: regions a number without a country code is read in (Russian first: the user's own numbers)
PHONE_REGIONS = ("RU", "US", "GB", "DE")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_DATE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}")
_DIGITS_RUN = re.compile(r"(?<![\w])\d[\d \-]{8,30}\d(?![\w])")
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![\w])")
_INN = re.compile(r"(?<![\d\w])(\d{12}|\d{10})(?![\d\w])")
_SNILS = re.compile(r"(?<![\d\w])(\d{3})[- ]?(\d{3})[- ]?(\d{3})[- ]?(\d{2})(?![\d\w])")
_PASSPORT = re.compile(
    r"(?:паспорт\w*|серия|серии|passport(?:\s+(?:no\.?|number))?)\D{0,20}?"
    r"(?P<num>\d{2}\s?\d{2}(?:\s*(?:№|no\.?|номер)?\s*)\d{6})(?!\d)",
    re.IGNORECASE,
)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a card number."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    s = iban.replace(" ", "").upper()
    if not 15 <= len(s) <= 34 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_ok(digits: str) -> bool:
    """The checksum of a Russian INN (10 digits: an organisation; 12: a person)."""
    if len(digits) == 10:
        return _inn_digit(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(digits[9])
    if len(digits) == 12:
        first = _inn_digit(digits, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        second = _inn_digit(digits, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
        return first == int(digits[10]) and second == int(digits[11])
    return False


def snils_ok(digits: str) -> bool:
    """The checksum of a Russian SNILS (11 digits)."""
    if len(digits) != 11:
        return False
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    check = total % 101 if total > 101 else total
    return (0 if check in (100, 101) else check) == int(digits[9:])


def emails(text: str) -> list[Span]:
    """E-mail addresses."""
    return [Span(m.start(), m.end(), "EMAIL", m.group().lower()) for m in _EMAIL.finditer(text)]


def phones(text: str) -> list[Span]:
    """Valid phone numbers, international or national in one of `PHONE_REGIONS` (not dates, not times)."""
    found: dict[tuple[int, int], Span] = {}
    for region in PHONE_REGIONS:
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            # libphonenumber reads "15:30 12.05.2024" as a US number: a date or a time is none
            if _DATE.search(m.raw_string) or (m.start and text[m.start - 1] in ":./"):
                continue
            key = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
            found.setdefault((m.start, m.end), Span(m.start, m.end, "PHONE", key))
    return list(found.values())


def cards(text: str) -> list[Span]:
    """Payment card numbers (13-19 digits, grouped or not) that pass the Luhn check."""
    spans = []
    for m in _DIGITS_RUN.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            spans.append(Span(m.start(), m.end(), "CARD", digits))
    return spans


def ibans(text: str) -> list[Span]:
    """IBANs (upper case, grouped by 4 or not) whose mod-97 check holds."""
    spans = []
    for m in _IBAN.finditer(text):
        candidate = m.group()
        while candidate and not iban_ok(candidate):  # an upper-case word after it may have been taken in
            candidate = candidate.rpartition(" ")[0]
        if candidate:
            spans.append(Span(m.start(), m.start() + len(candidate), "IBAN", candidate.replace(" ", "")))
    return spans


def inns(text: str) -> list[Span]:
    """Russian INNs (10 or 12 digits in one run) whose checksum holds."""
    return [Span(m.start(), m.end(), "INN", m.group()) for m in _INN.finditer(text) if inn_ok(m.group())]


def snilses(text: str) -> list[Span]:
    """Russian SNILS numbers (11 digits, usually 123-456-789 01) whose checksum holds."""
    spans = []
    for m in _SNILS.finditer(text):
        digits = "".join(m.groups())
        if snils_ok(digits) and len(set(digits)) > 1:
            spans.append(Span(m.start(), m.end(), "SNILS", digits))
    return spans


def passports(text: str) -> list[Span]:
    """Russian passport numbers (series 4 digits, number 6) named by a word shortly before them."""
    return [
        Span(m.start("num"), m.end("num"), "PASSPORT", _digits(m.group("num"))) for m in _PASSPORT.finditer(text)
    ]


#: every structured recogniser, strongest claim first (a SNILS is never also read as a phone)
STRUCTURED: tuple[Callable[[str], list[Span]], ...] = (emails, ibans, cards, snilses, inns, passports, phones)
