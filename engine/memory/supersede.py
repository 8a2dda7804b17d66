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

from engine.memory.relations import ATTRIBUTE_WORDS, RELATION_WORDS, mentions, relations_in
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
    "user.birthdate": "user.birthday",
    "user.date_of_birth": "user.birthday",
    "user.dob": "user.birthday",
    "user.current_city": "user.home_city",
    "user.job_title": "user.job",
    # bare attribute names are the user's (owner_checked still asks for the first person in the quote)
    "job": "user.job",
    "work": "user.job",
    "occupation": "user.job",
    "profession": "user.job",
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


def subject_fits(subject: str, quote: str) -> bool:
    """Whether the quote mentions what `subject` names (pure): "sister.name" needs a sister, "user.job" a job.

    The small model filed a brother's job under `sister.name`, a game and a drink under `pet.name`, and
    the next fact with that label then replaced them. Only the heads and attributes of
    engine/memory/relations.py are checked; any other subject fits.
    """
    parts = canonical_subject(subject).split(".")
    head, attribute = parts[0], parts[-1] if len(parts) > 1 else ""
    if head in RELATION_WORDS and not mentions(quote, RELATION_WORDS[head]):
        return False
    return not (head == "user" and attribute in ATTRIBUTE_WORDS and not mentions(quote, ATTRIBUTE_WORDS[attribute]))


def user_attribute(quote: str) -> str:
    """The one attribute of the user ("user.home_city") a first-person quote names, else "" (pure).

    "Я переехал в Москву" names where the user lives; "My sister lives in Berlin" names a relation, not
    the user; "My name is Alex and I work as an engineer" names two attributes: neither is chosen.
    """
    if relations_in(quote) or not _FIRST_PERSON.search(quote.casefold().replace("ё", "е")):
        return ""
    found = [name for name, words in ATTRIBUTE_WORDS.items() if mentions(quote, words)]
    return f"user.{found[0]}" if len(found) == 1 else ""


def checked_subject(subject: str, quote: str) -> str:
    """`subject` as the writer keeps it: "" when the quote is not about its owner or does not mention it.

    A subject outside the known ones ("date", "interests": the small model's labels vary from run to run)
    gives way to the user's attribute the quote names, so that "I moved to Moscow" still replaces
    "I live in Kazan".
    """
    owned = owner_checked(subject, quote)
    kept = owned if owned and subject_fits(owned, quote) else ""
    head = kept.split(".")[0]
    if head == "user" or head in RELATION_WORDS:
        return kept
    return user_attribute(quote) or kept


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
