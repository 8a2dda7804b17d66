"""The scrubber: personal data in a prompt becomes placeholders before it leaves; the reply gets it back.

`scrub(text, denylist=..., language=...)` is a pure function of its input (the recognisers' models
load once and are only read). Placeholders look like ``[PHONE_1]``: short, upper case, in brackets,
which models copy through unchanged; the same item twice gets the same placeholder, and `prior`
carries the numbering over the messages of one request. `restore` puts the originals back, also
when a model dropped the brackets or changed the case; `Restorer` does it on a stream of pieces,
holding back only a piece's tail that could be the start of a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from engine.privacy import recognisers
from engine.privacy.denylist import denylisted
from engine.privacy.names import english_names, russian_names
from engine.privacy.recognisers import Span

#: placeholder tag -> the kind named in `ExternalUse.scrubbed` and `sova ask --json`
KINDS: dict[str, str] = {
    "PRIVATE": "denylist",
    "EMAIL": "email",
    "IBAN": "iban",
    "CARD": "card",
    "SNILS": "snils",
    "INN": "inn",
    "PASSPORT": "passport",
    "PHONE": "phone",
    "PERSON": "person",
}
#: when spans overlap, their union is scrubbed as the kind that comes first here
_PRIORITY = {tag: i for i, tag in enumerate(KINDS)}
_PLACEHOLDER = re.compile(r"\[?(?<![A-Za-z0-9])(" + "|".join(KINDS) + r")_(\d+)(?![A-Za-z0-9])\]?", re.IGNORECASE)


@dataclass(frozen=True)
class Scrubbed:
    """A scrubbed text: what may be sent, each placeholder's original, the kinds found."""

    text: str
    #: placeholder -> the original text it stands for
    mapping: Mapping[str, str]
    #: the kinds replaced (sorted, `KINDS` values), over this text and `prior`'s
    kinds: tuple[str, ...]
    #: (tag, normalised item) -> placeholder: the same item again gets the same placeholder
    keys: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)


def find_spans(text: str, *, denylist: Sequence[str] = (), language: str = "en") -> list[Span]:
    """Every piece of personal data in `text`, overlapping ones merged, in order."""
    finders: list[Callable[[str], list[Span]]] = [*recognisers.STRUCTURED, english_names]
    if language == "ru" or re.search(r"[А-Яа-яЁё]", text):
        finders.append(russian_names)
    found = [s for finder in finders for s in finder(text)] + denylisted(text, denylist)
    found.sort(key=lambda s: (s.start, -s.end))
    merged: list[Span] = []
    for span in found:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            tag = min(last.kind, span.kind, key=_PRIORITY.__getitem__)
            end = max(last.end, span.end)
            key = last.key if tag == last.kind and end == last.end else text[last.start : end].lower()
            merged[-1] = Span(last.start, end, tag, key)
        else:
            merged.append(span)
    return merged


def scrub(
    text: str, *, denylist: Sequence[str] = (), language: str = "en", prior: Scrubbed | None = None
) -> Scrubbed:
    """`text` with its personal data replaced by placeholders (numbering continued from `prior`)."""
    mapping = dict(prior.mapping) if prior else {}
    keys = dict(prior.keys) if prior else {}
    kinds = set(prior.kinds) if prior else set()
    out: list[str] = []
    pos = 0
    for span in find_spans(text, denylist=denylist, language=language):
        placeholder = keys.get((span.kind, span.key))
        if placeholder is None:
            count = sum(1 for k in keys if k[0] == span.kind)
            placeholder = f"[{span.kind}_{count + 1}]"
            keys[(span.kind, span.key)] = placeholder
            mapping[placeholder] = text[span.start : span.end]
        kinds.add(KINDS[span.kind])
        out.append(text[pos : span.start])
        out.append(placeholder)
        pos = span.end
    out.append(text[pos:])
    return Scrubbed("".join(out), mapping, tuple(sorted(kinds)), keys)


def restore(text: str, mapping: Mapping[str, str]) -> str:
    """`text` with every placeholder of `mapping` replaced by its original (brackets and case forgiven)."""
    if not mapping:
        return text

    def put_back(m: re.Match[str]) -> str:
        return mapping.get(f"[{m.group(1).upper()}_{m.group(2)}]", m.group())

    return _PLACEHOLDER.sub(put_back, text)


class Restorer:
    """`restore` over a stream: `feed(piece)` returns what can be shown now, `flush()` the rest."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._mapping = mapping
        self._buffer = ""
        self._tags = tuple({p[1:].split("_")[0] for p in mapping})

    def feed(self, piece: str) -> str:
        """Restored text up to a possible partial placeholder at the end of what came so far."""
        if not self._tags:
            return piece
        self._buffer += piece
        cut = self._held_from(self._buffer)
        ready, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return restore(ready, self._mapping)

    def flush(self) -> str:
        """Whatever is still held, restored (the stream ended)."""
        rest, self._buffer = self._buffer, ""
        return restore(rest, self._mapping)

    def _held_from(self, text: str) -> int:
        """Where a tail that may still become a placeholder starts (`len(text)`: none)."""
        tail = _TAIL.search(text)
        if tail is None or not tail.group():
            return len(text)
        start = tail.start()
        body = tail.group().removeprefix("[")
        if body == tail.group() and start > 0 and text[start - 1].isalnum():
            return len(text)  # the end of a longer word, not a placeholder's start
        letters, underscore, _ = body.upper().partition("_")
        if underscore:
            return start if letters in self._tags else len(text)
        return start if any(t.startswith(letters) for t in self._tags) else len(text)


#: the end of a text that may be an unfinished placeholder: "[", "[PHO", "PHONE_", "[PHONE_1"
_TAIL = re.compile(r"\[?[A-Za-z]*(?:_\d*)?\Z")
