"""Knowledge updates: a new fact is new, repeats a stored one, or replaces one (a pure decision).

"I moved to Moscow" replaces "I live in Kazan" because both are about `user.home_city`, a subject that
holds one value at a time. "I also like tea" does not replace "I like jazz": `user.likes` holds many.
Embedding similarity alone cannot decide this (multilingual-e5's cosines sit in a narrow 0.8-0.95 band,
and "I live in Kazan" / "I live in Moscow" are close), so it only confirms repeats, together with the
entities the two facts name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from engine.memory.types import MemoryItem, NewMemory

#: at or above this cosine (and naming the same entities) a new fact repeats a stored one
DUPLICATE_SIMILARITY = 0.96
#: a fact about a many-valued subject replaces a stored one only when this close (a restatement)
SAME_TOPIC_SIMILARITY = 0.95
#: below this cosine two facts are about different things whatever their subjects say (the small model
#: filed a cat's age under `user.name`: 0.75); updates measured 0.82-0.92, 0.82 across languages (n = 5)
SUPERSEDE_MIN_SIMILARITY = 0.80

# the small model names one subject several ways: fold the variants it was seen to produce
_SYNONYMS: dict[str, str] = {
    "user.city": "user.home_city",
    "user.home": "user.home_city",
    "user.location": "user.home_city",
    "user.residence": "user.home_city",
    "user.lives_in": "user.home_city",
    "user.address": "user.home_city",
    "user.hometown": "user.home_city",
    "user.occupation": "user.job",
    "user.profession": "user.job",
    "user.work": "user.job",
    "user.first_name": "user.name",
    "user.age": "user.age",
    "user.birthday": "user.birthday",
    "user.birth_date": "user.birthday",
    "user.like": "user.likes",
    "user.preference": "user.likes",
    "user.preferences": "user.likes",
    "user.dislike": "user.dislikes",
    "user.plans": "user.plan",
    "user.pets": "user.pet",
}
# subjects that hold many values at once: a new one adds, it does not replace
_MANY = re.compile(
    r"(^|\.)(likes?|dislikes?|preferences?|plans?|hobb(y|ies)|friends?|pets?|children|kids|facts?|info)$"
)


def canonical_subject(subject: str) -> str:
    """`subject` lowercased, with the variants of one key folded ("user.city" -> "user.home_city")."""
    s = re.sub(r"[^\w.]+", "_", subject.strip().casefold()).strip("_.")
    return _SYNONYMS.get(s, s)


_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|i've|my|me|we|our|us)\b|(?<![а-яё])(я|мне|меня|мой|моя|мою|мое|мои|моего|моей|моих|мы|наш|наша|"
    r"наше|наши|нас|нам|у нас)(?![а-яё])"
)


def owner_checked(subject: str, quote: str) -> str:
    """`subject`, or "" when it says "user." but the quote is not about the user ("she is a nurse").

    The small model files a sister's job under `user.job`; left so, the user's next job would replace it.
    """
    s = canonical_subject(subject)
    if s.startswith("user.") and not _FIRST_PERSON.search(quote.casefold().replace("ё", "е")):
        return ""
    return s


def single_valued(subject: str) -> bool:
    """Whether a subject holds one value at a time (a home city, a name), so a new value replaces the old."""
    s = canonical_subject(subject)
    return bool(s) and "." in s and not _MANY.search(s)


@dataclass(frozen=True)
class Decision:
    """What to do with a new fact: add it, skip it as a repeat of `target_id`, or add it replacing `target_id`."""

    action: Literal["add", "duplicate", "supersede"]
    target_id: int | None = None
    reason: str = ""


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold().replace("ё", "е")).split())


def _same_entities(new: NewMemory, old: MemoryItem) -> bool:
    a = {e.casefold() for e in new.entities}
    b = {e.casefold() for e in old.entities}
    return a <= b or b <= a


def decide(new: NewMemory, candidates: Sequence[tuple[MemoryItem, float]]) -> Decision:
    """Decide by subject and cosine similarity against stored memories (`candidates`: (item, cosine)).

    Only current memories of the same kind count. Repeats win over updates: saying "I live in Moscow"
    twice stores it once.
    """
    live = [(m, sim) for m, sim in candidates if m.current and m.kind == new.kind]
    text = _norm(new.text)
    for m, sim in sorted(live, key=lambda c: -c[1]):
        if _norm(m.text) == text:
            return Decision("duplicate", m.id, "the same words")
        if sim >= DUPLICATE_SIMILARITY and _same_entities(new, m) and (
            not new.subject or not m.subject or canonical_subject(new.subject) == canonical_subject(m.subject)
        ):
            return Decision("duplicate", m.id, f"cosine {sim:.3f} with the same entities")
    subject = canonical_subject(new.subject)
    if not subject:
        return Decision("add", None, "no subject")
    same = sorted(((m, sim) for m, sim in live if canonical_subject(m.subject) == subject), key=lambda c: -c[1])
    if not same:
        return Decision("add", None, f"nothing stored about {subject}")
    best, sim = same[0]
    if sim < SUPERSEDE_MIN_SIMILARITY:
        return Decision("add", None, f"{subject}, but unrelated (cosine {sim:.3f})")
    if single_valued(subject):
        return Decision("supersede", best.id, f"a new value of {subject}")
    if sim >= SAME_TOPIC_SIMILARITY:
        return Decision("supersede", best.id, f"{subject} restated (cosine {sim:.3f})")
    return Decision("add", None, f"{subject} holds many values")
