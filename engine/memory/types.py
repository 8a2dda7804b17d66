"""What long-term memory stores and returns: typed, frozen, shared by the store, the writer and recall."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: fact: a durable fact about the user or their world; entity: a person, pet, place or object;
#: summary: what a past conversation was about (seed 4's reflections)
MemoryKind = Literal["fact", "entity", "summary"]
EntityType = Literal["person", "pet", "place", "object", "other"]


def recall_passage(text: str, quote: str, kind: str = "fact") -> str:
    """What a memory's vector embeds (pure): a fact's quoted words, then its text when it differs; else the text.

    The small extractor's paraphrase can be wrong ("Queen is Queen's band." for "My favourite band is
    Queen"); the quote is what the user said. On the extracted scenario store, recall@5 by vector alone
    was 0.89 embedding the text and 0.97 embedding this (docs/memory.md).
    """
    text, quote = text.strip(), quote.strip()
    return f"{quote} ({text})" if kind == "fact" and quote and quote != text else text


@dataclass(frozen=True)
class NewMemory:
    """A memory about to be stored, with its provenance (the exact words it rests on, and where)."""

    kind: MemoryKind
    text: str
    language: str
    source_quote: str
    conversation_id: int | None = None
    #: the turn (TurnResult.turn_id) it came from
    turn_id: int | None = None
    #: what the fact is about, normalised ("user.home_city", "sister.name"); equal subjects supersede
    subject: str = ""
    #: names of the entities it mentions ("Olga", "Kazan")
    entities: tuple[str, ...] = ()
    #: for kind "entity": what it is
    entity_type: EntityType | None = None


@dataclass(frozen=True)
class MemoryItem:
    """A stored memory."""

    id: int
    kind: MemoryKind
    text: str
    language: str
    source_quote: str
    created_at: float
    conversation_id: int | None
    turn_id: int | None
    subject: str
    entities: tuple[str, ...]
    entity_type: EntityType | None
    #: the id of the memory that replaced it (a knowledge update), or None while it is current
    superseded_by: int | None

    @property
    def current(self) -> bool:
        """Not superseded."""
        return self.superseded_by is None


@dataclass(frozen=True)
class MemoryHit:
    """A memory found by a search, with its fused score (higher is better)."""

    item: MemoryItem
    score: float


@dataclass(frozen=True)
class Exchange:
    """One finished turn, handed to the memory writer after the reply is out."""

    conversation_id: int
    turn_id: int
    user_text: str
    reply_text: str
    language: str
    at: float


@dataclass(frozen=True)
class Recall:
    """What recall found for a question, and the prompt's memory note ("" when nothing relevant).

    `unknown`: the question asks for a fact of the user's own life and no memory fits it (engine/memory/unknown.py).
    """

    hits: tuple[MemoryHit, ...]
    notes: str
    unknown: bool = False
