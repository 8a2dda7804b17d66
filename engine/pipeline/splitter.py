"""Streaming sentence splitter for speech (pure): LLM pieces in, speakable sentences out.

The first sentence leaves as soon as it is certainly complete, so speech starts early. A boundary
is decided only from text already seen: when the decision needs the next character (a space after
"Hello.", a capital after "etc." or "..."), the splitter waits for it. So the output does not
depend on how the text was cut into pieces: one character at a time or all at once, same sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TERMINATORS = frozenset(".!?…")
#: closing quotes, brackets and markdown emphasis that belong to the sentence they follow
CLOSERS = frozenset("»\"”’')]}*_`")
#: what may stand between a boundary and the capital letter that confirms it
_OPENERS = "«\"“„'([{*_`#-–—•> \t\r\u00a0"

#: abbreviations that never end a sentence (titles before names, "e.g.", "ул.", "т.е."...), lower case
PREFIX_ABBREVIATIONS = frozenset(
    {
        "mr.",
        "mrs.",
        "ms.",
        "dr.",
        "st.",
        "prof.",
        "sr.",
        "jr.",
        "vs.",
        "e.g.",
        "i.e.",
        "cf.",
        "fig.",
        "approx.",
        "u.s.",
        "u.k.",
        "mt.",
        "т.е.",
        "т.к.",
        "ул.",
        "им.",
        "г.",
        "см.",
        "стр.",
        "ср.",
        "напр.",
        "пр.",
        "просп.",
        "пер.",
        "кв.",
        "тов.",
        "гр.",
        "проф.",
        "акад.",
        "доц.",
        "св.",
    }
)
#: abbreviations that end a sentence when a capital letter follows ("etc. Then" vs "etc. and")
TERMINAL_ABBREVIATIONS = frozenset(
    {
        "etc.",
        "a.m.",
        "p.m.",
        "inc.",
        "ltd.",
        "co.",
        "corp.",
        "т.д.",
        "т.п.",
        "и.т.д.",
        "и.т.п.",
        "др.",
        "гг.",
        "вв.",
        "руб.",
        "коп.",
        "тыс.",
        "млн.",
        "млрд.",
        "трлн.",
        "кг.",
        "км.",
        "мин.",
        "сек.",
        "ч.",
    }
)

#: a sentence longer than this splits at its next comma, semicolon or spaced dash
SOFT_LIMIT = 200
#: ... and, failing those, at its next space
HARD_LIMIT = 400

_BULLET = re.compile(r"^\s*(?:(?:[-*+•>]|#{1,6})\s+)+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*+|`+|(?<!\w)_+|_+(?!\w)|#{2,}")
_SPACES = re.compile(r"\s+")


def clean_for_speech(text: str) -> str:
    """Strip markdown (bullets, headings, emphasis, code ticks, link targets) and squeeze spaces."""
    text = _BULLET.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return text if any(ch.isalnum() for ch in text) else ""


@dataclass(frozen=True)
class _Cut:
    end: int  # the sentence is text[:end]
    resume: int  # the rest starts at text[resume:]
    newline: bool  # the rest starts a new line


class _Pending:
    """A decision that needs text not seen yet."""


_PENDING = _Pending()


class SentenceSplitter:
    """Feed pieces with `push`, collect finished sentences; `flush` at the end of the reply."""

    def __init__(
        self, soft_limit: int = SOFT_LIMIT, hard_limit: int = HARD_LIMIT, first_soft_limit: int | None = None
    ) -> None:
        """`first_soft_limit`: a lower soft limit until the first piece is out (speak the first clause sooner)."""
        self._buf = ""
        self._first_soft_limit = soft_limit if first_soft_limit is None else first_soft_limit
        self._emitted = False
        self._scan_from = 0  # every position before it is known not to be a boundary
        self._line_start = True  # whether _buf[0] starts a line (numbered lists)
        self._soft_limit = soft_limit
        self._hard_limit = hard_limit

    def push(self, piece: str) -> list[str]:
        """Add a piece of the reply; return the sentences it completed (cleaned for speech)."""
        self._buf += piece
        return self._drain(final=False)

    def flush(self) -> str | None:
        """End of the reply: the rest as one sentence, or None when nothing speakable is left."""
        rest = " ".join(self._drain(final=True))
        self._buf, self._scan_from, self._line_start, self._emitted = "", 0, True, False
        return rest or None

    def _drain(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            cut = self._find(final)
            if cut is None:
                if final:
                    tail = clean_for_speech(self._buf)
                    if tail:
                        out.append(tail)
                return out
            sentence = clean_for_speech(self._buf[: cut.end])
            if sentence:
                out.append(sentence)
                self._emitted = True
            self._buf = self._buf[cut.resume :]
            self._scan_from = 0
            self._line_start = cut.newline

    def _find(self, final: bool) -> _Cut | None:
        text, n = self._buf, len(self._buf)
        i = self._scan_from
        while i < n:
            ch = text[i]
            if ch == "\n":
                return _Cut(i, i + 1, True)
            if ch in TERMINATORS:
                verdict = self._judge_terminator(text, i, final)
                if isinstance(verdict, _Pending):
                    self._scan_from = i
                    return None
                if isinstance(verdict, _Cut):
                    return verdict
                i = verdict
                continue
            if i >= (self._soft_limit if self._emitted else self._first_soft_limit):
                long_cut = self._judge_long(text, i, final)
                if isinstance(long_cut, _Pending):
                    self._scan_from = i
                    return None
                if long_cut is not None:
                    return long_cut
            i += 1
        self._scan_from = n
        return None

    def _judge_terminator(self, text: str, i: int, final: bool) -> _Cut | int | _Pending:
        """Return a cut, the index to go on scanning from, or _PENDING when the text ends too soon."""
        n = len(text)
        k = i
        while k < n and text[k] in TERMINATORS:
            k += 1
        j = k
        while j < n and text[j] in CLOSERS:
            j += 1
        if j == n:
            return _Cut(n, n, False) if final else _PENDING
        if not text[j].isspace():
            return j  # inside a token: 3.14, e.g, U.S, 10.30, "Hi!"-style
        run = text[i:k]
        cut = _Cut(j, j, False)
        if "?" in run or "!" in run:
            return cut
        if run != ".":  # an ellipsis: ends a sentence only before a capital (or the end)
            return self._capital_follows(text, j, final, cut)
        start = i
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        word = text[start:i].lstrip("«\"“„'([{*_`")
        lower = word.lower() + "."
        if not word:
            return cut
        if word.isdigit() and self._line_start and not _BULLET.sub("", text[:start] + " ").strip():
            return j  # "1. Do this": a numbered list item
        if word.isalpha() and len(word) == 1 and word.isupper():
            return j  # an initial: "А. С. Пушкин", "J. R. R. Tolkien"
        if lower == "г." and _previous_word(text, start).isdigit():
            return self._capital_follows(text, j, final, cut)  # "в 1999 г. Он..." (a year, not a city)
        if lower in PREFIX_ABBREVIATIONS:
            return j
        if lower in TERMINAL_ABBREVIATIONS or (word.isalpha() and len(word) == 1):
            return self._capital_follows(text, j, final, cut)  # "т. д. Потом", "5 p. m. today"
        parts = word.split(".")
        if len(parts) > 1 and all(p.isalpha() and len(p) <= 2 for p in parts):
            # an unlisted dotted abbreviation (U.S.A., т.н.): capitals are initials, lower case waits
            return j if word[0].isupper() else self._capital_follows(text, j, final, cut)
        return cut

    def _capital_follows(self, text: str, j: int, final: bool, cut: _Cut) -> _Cut | int | _Pending:
        """`cut` when the next letter after the space is a capital (or the text ends), else go on."""
        n = len(text)
        m = j
        while m < n and text[m] in _OPENERS:
            m += 1
        if m == n:
            return _Cut(cut.end, cut.end, False) if final else _PENDING
        if text[m] == "\n" or text[m].isupper():
            return cut
        return j

    def _judge_long(self, text: str, i: int, final: bool) -> _Cut | _Pending | None:
        """Split an overlong sentence at a comma, semicolon or spaced dash, or at a space past the hard limit."""
        n = len(text)
        ch = text[i]
        if ch in ",;" or (ch in "-–—" and i > 0 and text[i - 1] == " "):
            if i + 1 == n:
                return None if final else _PENDING
            if text[i + 1].isspace():
                return _Cut(i + 1 if ch in ",;" else i, i + 1, False)
        if i >= self._hard_limit and ch.isspace():
            return _Cut(i, i, False)
        return None


def _previous_word(text: str, start: int) -> str:
    """Return the word before position `start` (which begins a word), without punctuation."""
    end = start
    while end > 0 and text[end - 1].isspace():
        end -= 1
    begin = end
    while begin > 0 and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:end].strip('.,;:!?«»"“”()')


def split_sentences(text: str) -> list[str]:
    """All sentences of a finished text (the same as pushing it whole, then flushing)."""
    splitter = SentenceSplitter()
    out = splitter.push(text)
    tail = splitter.flush()
    return [*out, tail] if tail else out
