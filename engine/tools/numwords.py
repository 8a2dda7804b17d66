"""Number words to digits, Russian and English ("двенадцать тысяч триста сорок пять" -> "12345").

Whisper writes spoken numbers as words and without punctuation; the calculator, the unit converter
and the reminder parser all want digits. `words_to_digits` replaces each maximal run of number words
by its value and leaves every other word alone. Pure and cheap (a dictionary look-up per word).
"""

from __future__ import annotations

import re

_UNITS: dict[str, int] = {
    # Russian, every case form a spoken number takes in these utterances
    "ноль": 0, "нуль": 0, "нуля": 0,
    "один": 1, "одна": 1, "одно": 1, "одну": 1, "одного": 1, "одной": 1, "одном": 1,
    "два": 2, "две": 2, "двух": 2, "двум": 2, "тремя": 3, "три": 3, "трёх": 3, "трех": 3, "трём": 3,
    "четыре": 4, "четырёх": 4, "четырех": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6,
    "семь": 7, "семи": 7, "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9,
    "десять": 10, "десяти": 10, "одиннадцать": 11, "одиннадцати": 11, "двенадцать": 12, "двенадцати": 12,
    "тринадцать": 13, "тринадцати": 13, "четырнадцать": 14, "четырнадцати": 14,
    "пятнадцать": 15, "пятнадцати": 15, "шестнадцать": 16, "шестнадцати": 16,
    "семнадцать": 17, "семнадцати": 17, "восемнадцать": 18, "восемнадцати": 18,
    "девятнадцать": 19, "девятнадцати": 19,
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS: dict[str, int] = {
    "двадцать": 20, "двадцати": 20, "тридцать": 30, "тридцати": 30, "сорок": 40, "сорока": 40,
    "пятьдесят": 50, "пятидесяти": 50, "шестьдесят": 60, "шестидесяти": 60,
    "семьдесят": 70, "семидесяти": 70, "восемьдесят": 80, "восьмидесяти": 80,
    "девяносто": 90, "девяноста": 90,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_HUNDREDS: dict[str, int] = {
    "сто": 100, "ста": 100, "двести": 200, "двухсот": 200, "триста": 300, "трёхсот": 300, "трехсот": 300,
    "четыреста": 400, "четырёхсот": 400, "пятьсот": 500, "пятисот": 500, "шестьсот": 600, "шестисот": 600,
    "семьсот": 700, "семисот": 700, "восемьсот": 800, "восьмисот": 800, "девятьсот": 900, "девятисот": 900,
}  # fmt: skip
_SCALES: dict[str, int] = {
    "тысяча": 10**3, "тысячи": 10**3, "тысяч": 10**3, "тысячу": 10**3, "тысячей": 10**3,
    "миллион": 10**6, "миллиона": 10**6, "миллионов": 10**6,
    "миллиард": 10**9, "миллиарда": 10**9, "миллиардов": 10**9,
    "thousand": 10**3, "million": 10**6, "billion": 10**9,
}  # fmt: skip
_EN_HUNDRED = "hundred"
#: words that may sit inside an English number without being one ("one hundred and five")
_JOINERS = frozenset({"and"})
_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]+|\d+(?:[.,]\d+)?|\S")


def _is_number_word(word: str) -> bool:
    return word in _UNITS or word in _TENS or word in _HUNDREDS or word in _SCALES or word == _EN_HUNDRED


def _value(words: list[str]) -> int | None:
    """The value of a run of number words, or None when the run is not one number."""
    total = 0
    group = 0
    for word in words:
        if word in _UNITS:
            group += _UNITS[word]
        elif word in _TENS:
            group += _TENS[word]
        elif word in _HUNDREDS:
            group += _HUNDREDS[word]
        elif word == _EN_HUNDRED:
            group = (group or 1) * 100
        elif word in _SCALES:
            total += (group or 1) * _SCALES[word]
            group = 0
        elif word in _JOINERS:
            continue
        elif word.isdigit():
            group += int(word)
        else:
            return None
    return total + group


def _splits(words: list[str]) -> list[list[str]]:
    """Cut a run where one number ends and the next begins ("два три" is two numbers, not five)."""
    runs: list[list[str]] = [[]]
    last_rank = 10**12
    for word in words:
        rank = _rank(word)
        if runs[-1] and rank is not None and rank >= last_rank and word not in _SCALES and word != _EN_HUNDRED:
            runs.append([])
        runs[-1].append(word)
        if word in _SCALES:
            last_rank = 10**12  # after a scale word any smaller part may follow
        elif word == _EN_HUNDRED:
            last_rank = 3  # "three hundred forty": tens and units may follow
        elif rank is not None:
            last_rank = rank
    return [r for r in runs if r]


def _rank(word: str) -> int | None:
    if word in _HUNDREDS:
        return 3
    if word in _TENS:
        return 2
    if word in _UNITS:
        return 1 if _UNITS[word] < 10 else 2
    if word.isdigit():
        return 4
    return None


def words_to_digits(text: str) -> str:
    """Replace each run of RU/EN number words in `text` by its digits; keep everything else as it was.

    A digit string directly followed by a scale word counts too ("12 тысяч" -> "12000").
    """
    words = list(_WORD.finditer(text))
    pieces: list[str] = []
    pos = 0
    i = 0
    while i < len(words):
        low = words[i].group().lower()
        nxt = words[i + 1].group().lower() if i + 1 < len(words) else ""
        if not (_is_number_word(low) or (low.isdigit() and nxt in _SCALES)):
            i += 1
            continue
        j = i
        run: list[str] = []
        while j < len(words):
            w = words[j].group().lower()
            after = words[j + 1].group().lower() if j + 1 < len(words) else ""
            if _is_number_word(w) or (w.isdigit() and not run) or (w in _JOINERS and run and _is_number_word(after)):
                run.append(w)
                j += 1
            else:
                break
        values = [_value(part) for part in _splits(run)]
        pieces.append(text[pos : words[i].start()])
        pieces.append(" ".join(str(v) if v is not None else "?" for v in values))
        pos = words[j - 1].end()
        i = j
    pieces.append(text[pos:])
    return "".join(pieces)
