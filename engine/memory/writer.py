"""The memory writer: a finished turn -> checked facts, knowledge updates, entities and their links.

Blocking (the LLM extraction, the embeddings, SQLite): run it on the LLM lane after the reply is out.
Bad model output never raises here (it is dropped, with a reason in the report); a `SovaError` from the
store or the model does, for the caller to report.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from engine.memory.embedding import EmbeddingModel
from engine.memory.entities import EntityPlan, RussianNER, name_key, plan_entities
from engine.memory.extract import MAX_FACT_CHARS, Extraction, find_quote, sentence_of, sentences
from engine.memory.store import MemoryStore
from engine.memory.summaries import NOVELTY_THRESHOLD, is_novel
from engine.memory.supersede import checked_subject, decide
from engine.memory.types import Exchange, MemoryItem, NewMemory, recall_passage

log = logging.getLogger(__name__)

#: stored facts compared with each new fact
CANDIDATES = 8
#: a fact whose quote the model translated is anchored to the user's sentence it is closest to, if this close
#: (multilingual-e5 cosine: a fact and its source sentence across languages 0.835-0.90, other sentences <= 0.817, n=6)
ANCHOR_SIMILARITY = 0.825


class Extractor(Protocol):
    """What finds facts in a turn (`engine.memory.extract.FactExtractor`)."""

    def extract(self, exchange: Exchange, known: Sequence[MemoryItem]) -> Extraction:
        """Facts and entities the user's words state."""
        ...


@dataclass(frozen=True)
class WriteReport:
    """What one `remember` stored: ids added, (old, new) updates, repeats skipped, (memory, entity) links."""

    added: tuple[int, ...] = ()
    superseded: tuple[tuple[int, int], ...] = ()
    duplicates: tuple[int, ...] = ()
    entities_linked: tuple[tuple[int, int], ...] = ()
    skipped_reason: str = ""
    dropped: tuple[str, ...] = ()


class MemoryWriter:
    """Turns finished exchanges (and finished conversations' summaries) into stored memories."""

    def __init__(
        self,
        store: MemoryStore,
        embedder: EmbeddingModel,
        extractor: Extractor,
        *,
        max_fact_chars: int = MAX_FACT_CHARS,
        ner: RussianNER | None = None,
        novelty_threshold: float = NOVELTY_THRESHOLD,
        anchor_quotes: bool = True,
        known_facts: int = 0,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.extractor = extractor
        self.max_fact_chars = max_fact_chars
        self.ner = ner
        self.novelty_threshold = novelty_threshold
        self.anchor_quotes = anchor_quotes
        # current facts shown to the extractor so it reuses their subjects; 0 with the 0.5B model: it
        # copied them onto unrelated facts (a cat's age filed as `user.name`, replacing the user's name)
        self.known_facts = known_facts

    # -- facts -------------------------------------------------------------------------------------

    def _nearest(self, vector: npt.NDArray[np.float32], k: int, kind: str = "fact") -> list[tuple[MemoryItem, float]]:
        ids, matrix = self.store.vectors(self.embedder.model_id)
        if len(ids) == 0:
            return []
        sims = matrix @ vector
        out: list[tuple[MemoryItem, float]] = []
        for row in np.argsort(-sims):
            item = self.store.get(int(ids[row]))
            if item is not None and item.kind == kind and item.current:
                out.append((item, float(sims[row])))
                if len(out) >= k:
                    break
        return out

    def _similarity(self, item: MemoryItem, vector: npt.NDArray[np.float32]) -> float:
        ids, matrix = self.store.vectors(self.embedder.model_id)
        hit = np.flatnonzero(ids == item.id)
        return float(matrix[hit[0]] @ vector) if hit.size else 0.0

    def remember(self, exchange: Exchange) -> WriteReport:
        """Extract what the user's words state and store it (updates supersede; repeats are skipped)."""
        if not exchange.user_text.strip():
            return WriteReport(skipped_reason="no words from the user")
        known: list[MemoryItem] = []
        if self.known_facts > 0:
            turn_vec = self.embedder.embed([exchange.user_text], query=False)[0]
            known = [m for m, _ in self._nearest(turn_vec, self.known_facts) if m.subject]
        extraction = self.extractor.extract(exchange, known)
        dropped = list(extraction.dropped)
        anchored = self._anchor(extraction.unquoted, exchange, dropped)
        facts: list[NewMemory] = []
        for fact in (*extraction.facts, *anchored):
            if len(fact.text) > self.max_fact_chars:
                dropped.append(f"fact longer than {self.max_fact_chars} characters: {fact.text[:40]!r}")
            else:
                # the subject is checked against the model's own cut; the provenance is the whole sentence
                subject = checked_subject(fact.subject, fact.source_quote)
                quote = sentence_of(fact.source_quote, exchange.user_text)
                facts.append(replace(fact, subject=subject, source_quote=quote))
        # entities only beside facts: a name alone ("Откуда ты, Сова?") says nothing about the user
        plans = self._plans(extraction, exchange) if facts else []
        if not facts:
            reason = extraction.skipped_reason or "no facts in the user's words"
            return WriteReport(skipped_reason=reason, dropped=tuple(dropped))
        added: list[int] = []
        superseded: list[tuple[int, int]] = []
        duplicates: list[int] = []
        stored: list[MemoryItem] = []  # the facts of this turn, new or repeated, for the entity links
        passages = [recall_passage(f.text, f.source_quote) for f in facts]
        vectors = self.embedder.embed(passages, query=False) if facts else np.zeros((0, 0), np.float32)
        for fact, vector in zip(facts, vectors, strict=True):
            candidates = dict((m.id, (m, s)) for m, s in self._nearest(vector, CANDIDATES))
            for m in self.store.current_with_subject(fact.subject) if fact.subject else []:
                if m.kind == "fact" and m.id not in candidates:
                    candidates[m.id] = (m, self._similarity(m, vector))
            # one turn's facts hold together: they never replace each other
            decision = decide(fact, [c for c in candidates.values() if c[0].id not in added])
            if decision.action == "duplicate" and decision.target_id is not None:
                duplicates.append(decision.target_id)
                stored.append(candidates[decision.target_id][0])
                continue
            item = self.store.add(fact, vector, self.embedder.model_id)
            added.append(item.id)
            stored.append(item)
            if decision.action == "supersede" and decision.target_id is not None:
                self.store.supersede(decision.target_id, item.id)
                superseded.append((decision.target_id, item.id))
        links = self._link(plans, stored, exchange)
        return WriteReport(tuple(added), tuple(superseded), tuple(duplicates), tuple(links), dropped=tuple(dropped))

    def _anchor(self, unquoted: Sequence[NewMemory], exchange: Exchange, dropped: list[str]) -> list[NewMemory]:
        """Give facts whose quote was not the user's words the user's sentence they are closest to, or drop them.

        The small model translates Russian quotes into English; the fact itself is often right. Its
        provenance then is the whole sentence of the user's words it came from (an exact substring).
        """
        if not unquoted:
            return []
        parts = sentences(exchange.user_text)
        if not self.anchor_quotes or not parts:
            dropped += [f"quote not in the user's words: {f.text[:40]!r}" for f in unquoted]
            return []
        sims = self.embedder.embed([f.text for f in unquoted], query=False) @ self.embedder.embed(parts).T
        out: list[NewMemory] = []
        for fact, row in zip(unquoted, sims, strict=True):
            best = int(np.argmax(row))
            if float(row[best]) >= ANCHOR_SIMILARITY:
                out.append(replace(fact, source_quote=parts[best]))
            else:
                dropped.append(f"quote not in the user's words (cosine {float(row[best]):.2f}): {fact.text[:40]!r}")
        return out

    # -- entities ----------------------------------------------------------------------------------

    def _plans(self, extraction: Extraction, exchange: Exchange) -> list[EntityPlan]:
        recognised = []
        if self.ner is not None and re.search(r"[а-яё]", exchange.user_text, re.IGNORECASE):
            recognised = self.ner.names(exchange.user_text)
            # a name the NER found but neither the LLM nor the facts mention is kept only with a relation
        return plan_entities(extraction.entities, recognised, exchange.user_text)

    def _entity(self, plan: EntityPlan, exchange: Exchange) -> MemoryItem:
        found = self.store.entity(plan.name)
        if found is not None and found.kind == "entity":
            return found
        quote = find_quote(plan.name, exchange.user_text) or _inflected_span(plan.name, exchange.user_text) or plan.name
        new = NewMemory(
            kind="entity", text=plan.name, language=exchange.language, source_quote=quote,
            conversation_id=exchange.conversation_id, turn_id=exchange.turn_id,
            subject=f"entity.{name_key(plan.name).replace(' ', '_')}", entities=(plan.name,), entity_type=plan.type,
        )
        return self.store.add(new, None, self.embedder.model_id)

    def _link(
        self, plans: Sequence[EntityPlan], facts: Sequence[MemoryItem], exchange: Exchange
    ) -> list[tuple[int, int]]:
        links: list[tuple[int, int]] = []
        for plan in plans:
            entity = self._entity(plan, exchange)
            for alias in plan.aliases:
                self.store.add_alias(entity.id, alias)
            key = name_key(plan.name)
            for fact in facts:
                words = {name_key(w) for w in re.findall(r"[\w'-]+", f"{fact.text} {fact.source_quote}")}
                about = key in words or any(name_key(e) == key for e in fact.entities)
                # "sister.name" is about the sister even when the fact words it otherwise
                about = about or any(fact.subject.startswith(f"{a}.") for a in plan.aliases)
                if about:
                    self.store.link(fact.id, entity.id)
                    links.append((fact.id, entity.id))
        return links

    # -- summaries ---------------------------------------------------------------------------------

    def remember_summary(self, summary: NewMemory | None) -> WriteReport:
        """Store a finished conversation's summary unless a stored one already says the same (cosine)."""
        if summary is None:
            return WriteReport(skipped_reason="conversation too short to summarise")
        vector = self.embedder.embed([summary.text], query=False)[0]
        ids, matrix = self.store.vectors(self.embedder.model_id)
        summaries = {m.id for m in self.store.items(kind="summary", include_superseded=False)}
        rows = [i for i, memory_id in enumerate(ids) if int(memory_id) in summaries]
        novel, best = is_novel(vector, matrix[rows] if rows else np.zeros((0,), np.float32), self.novelty_threshold)
        if not novel:
            return WriteReport(skipped_reason=f"not new: cosine {best:.3f} with a stored summary")
        item = self.store.add(summary, vector, self.embedder.model_id)
        return WriteReport(added=(item.id,))


def _inflected_span(name: str, text: str) -> str | None:
    key = name_key(name)
    for word in re.findall(r"[\w'-]+", text):
        if name_key(word) == key:
            return str(word)
    return None
