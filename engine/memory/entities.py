"""Entities (seed 5): the people, pets, places and things of the user's world, and the words that name them.

Russian names come from natasha's NER (its models ship in the wheel; loaded once, lazily), English ones
from the LLM's extraction. "My sister Olga" makes "sister" and "сестра" aliases of Olga, so a later
"my sister" (in either language) finds Olga's facts. Everything here but `RussianNER` is pure.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine.memory.extract import ExtractedEntity
from engine.memory.types import EntityType, MemoryItem

# one relation, its words in both languages (Russian forms as stems: "сестр" matches сестра/сестру/сестре)
_RELATIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], EntityType], ...] = (
    ("sister", ("sister",), ("сестр",), "person"),
    ("brother", ("brother",), ("брат",), "person"),
    ("mother", ("mother", "mom", "mum"), ("мам", "мать", "матер"), "person"),
    ("father", ("father", "dad"), ("пап", "отец", "отц"), "person"),
    ("wife", ("wife",), ("жен",), "person"),
    ("husband", ("husband",), ("муж",), "person"),
    ("son", ("son",), ("сын",), "person"),
    ("daughter", ("daughter",), ("доч",), "person"),
    ("grandmother", ("grandmother", "grandma", "granny"), ("бабушк", "бабул"), "person"),
    ("grandfather", ("grandfather", "grandpa"), ("дедушк", "дед"), "person"),
    ("friend", ("friend",), ("друг", "друз", "подруг"), "person"),
    ("girlfriend", ("girlfriend",), ("девушк",), "person"),
    ("boyfriend", ("boyfriend",), ("парен", "парн"), "person"),
    ("colleague", ("colleague", "coworker"), ("коллег",), "person"),
    ("boss", ("boss", "manager"), ("начальни", "шеф"), "person"),
    ("cat", ("cat", "kitten"), ("кот", "кошк", "котен", "котят"), "pet"),
    ("dog", ("dog", "puppy"), ("собак", "пес", "пс", "щен"), "pet"),
    ("parrot", ("parrot",), ("попуга",), "pet"),
    ("hamster", ("hamster",), ("хомяк", "хомячк"), "pet"),
)
#: the alias stored for each relation in Russian (nominative)
_RU_ALIAS = {
    "sister": "сестра", "brother": "брат", "mother": "мама", "father": "папа", "wife": "жена", "husband": "муж",
    "son": "сын", "daughter": "дочь", "grandmother": "бабушка", "grandfather": "дедушка", "friend": "друг",
    "girlfriend": "девушка", "boyfriend": "парень", "colleague": "коллега", "boss": "начальник", "cat": "кот",
    "dog": "собака", "parrot": "попугай", "hamster": "хомяк",
}
_WORD = re.compile(r"[\w'-]+")


# what may follow a Russian stem in _RELATIONS: a case ending, nothing else ("кота", not "котлеты")
_STEM_TAIL = re.compile(
    r"(а|я|у|ю|е|и|ы|о|ь|ой|ей|ою|ею|ом|ем|ам|ям|ами|ями|ах|ях|ов|ев|ья|ьям|ьями|ьях|ери|ерью|ок|ка|ке|ку|ки|кой)?"
)


_NOT_RELATIONS = frozenset({"брать", "дела", "домой"})


def _relation_of(word: str) -> tuple[str, EntityType] | None:
    w = word.casefold().replace("ё", "е").replace("’", "'").removesuffix("'s").removesuffix("'")
    if w in _NOT_RELATIONS:
        return None
    for name, en, ru, kind in _RELATIONS:
        if w in en or (w.endswith("s") and w[:-1] in en):
            return name, kind
        for stem in ru:
            st = stem.replace("ё", "е")
            if w.startswith(st) and _STEM_TAIL.fullmatch(w[len(st):]):
                return name, kind
    return None


def relation_mentions(text: str) -> tuple[str, ...]:
    """The relations a text names ("my sister" / "моей сестре" -> "sister"), canonical English, in order."""
    found: list[str] = []
    for word in _WORD.findall(text):
        rel = _relation_of(word)
        if rel and rel[0] not in found:
            found.append(rel[0])
    return tuple(found)


def aliases_for(relation: str) -> tuple[str, ...]:
    """The aliases a relation gives its entity, in both languages ("sister" -> ("sister", "сестра"))."""
    rel = _relation_of(relation.strip()) if relation.strip() else None
    if rel is None:
        return ()
    return (rel[0], _RU_ALIAS[rel[0]])


@dataclass(frozen=True)
class EntityPlan:
    """An entity to store or find, with its type and the aliases to add."""

    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()


_RU_ENDING = re.compile(r"(ами|ями|ого|его|ому|ему|ой|ей|ом|ем|ою|ею|ую|юю|ая|яя|ий|ый|ов|ев|а|я|у|ю|е|ы|и|о|ь|й)$")


def name_key(name: str) -> str:
    """A name's comparison key: casefolded, ё as е, without a Russian case ending (Ольгой ~ Ольга ~ Ольгу)."""
    k = " ".join(name.casefold().replace("ё", "е").split())
    if k.isascii():
        return k.removesuffix("'s")
    return " ".join(_RU_ENDING.sub("", w) if len(w) > 3 else w for w in k.split())


def _relation_before(name: str, text: str) -> str:
    """The relation word just before `name` in `text` ("my sister Olga", "мою сестру зовут Ольга"), or ""."""
    words = _WORD.findall(text)
    key = name_key(name.split()[0])
    for i, w in enumerate(words):
        if name_key(w) == key or w.casefold().startswith(key):
            for prev in reversed(words[max(0, i - 3) : i]):
                rel = _relation_of(prev)
                if rel:
                    return rel[0]
            break
    return ""


def plan_entities(
    extracted: Sequence[ExtractedEntity], recognised: Sequence[tuple[str, EntityType]], user_text: str
) -> list[EntityPlan]:
    """Merge the LLM's entities with the NER's names into one plan per entity (pure).

    The type comes from the relation ("cat" -> pet) first, then from the NER, then from the LLM (the
    small model calls people pets). Aliases: the relation's words in both languages, found in the
    LLM's output or written just before the name in the user's words.
    """
    plans: dict[str, EntityPlan] = {}
    ner_types = {name_key(n): t for n, t in recognised}
    # the NER's names first: they are in dictionary form ("Казань", where the model copies "Казани")
    order: list[tuple[str, EntityType, str]] = [(n, t, "") for n, t in recognised]
    order += [(e.name, e.type, e.relation) for e in extracted]
    said = relation_mentions(user_text)
    for name, kind, relation in order:
        key = name_key(name)
        # the model's relation only when the user said it (the small model copies its example's "dog")
        rel = aliases_for(_relation_before(name, user_text))
        if not rel and aliases_for(relation) and aliases_for(relation)[0] in said:
            rel = aliases_for(relation)
        rel_kind = _relation_of(rel[0])[1] if rel else None  # type: ignore[index]
        typ: EntityType = rel_kind or ner_types.get(key) or kind
        if key in plans:
            old = plans[key]
            merged = tuple(dict.fromkeys(old.aliases + rel))
            plans[key] = EntityPlan(old.name, rel_kind or old.type, merged)
        else:
            plans[key] = EntityPlan(name, typ, rel)
    # the user themself is not an entity of their world; nor are relation words taken for names
    return [p for p in plans.values() if p.name.casefold() not in {"user", "i", "я"} and not _relation_of(p.name)]


_NER_TYPES: dict[str, EntityType] = {"PER": "person", "LOC": "place", "ORG": "other"}


class RussianNER:
    """natasha's Russian NER, loaded once on first use (about 1 s, ~35 MB; then 1-15 ms per sentence)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: tuple[Any, ...] | None = None

    def _load(self) -> tuple[Any, ...]:
        with self._lock:
            if self._parts is None:
                # natasha 1.6 imports pymorphy2, which breaks with setuptools>=81; pymorphy3 is its successor
                import pymorphy3

                sys.modules.setdefault("pymorphy2", pymorphy3)
                from natasha import Doc, MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

                emb = NewsEmbedding()
                self._parts = (Doc, Segmenter(), NewsMorphTagger(emb), NewsNERTagger(emb), MorphVocab())
            return self._parts

    def names(self, text: str) -> list[tuple[str, EntityType]]:
        """The names in a Russian text, in their dictionary form ("Казани" -> "Казань"), with their type."""
        if not re.search(r"[а-яё]", text, re.IGNORECASE):
            return []
        doc_cls, segmenter, morph, ner, vocab = self._load()
        doc = doc_cls(text)
        doc.segment(segmenter)
        doc.tag_morph(morph)
        doc.tag_ner(ner)
        out: list[tuple[str, EntityType]] = []
        for span in doc.spans:
            span.normalize(vocab)
            name = str(span.normal or span.text).strip()
            if name and (name, _NER_TYPES.get(span.type, "other")) not in out:
                out.append((name, _NER_TYPES.get(span.type, "other")))
        return out


class EntityLookup(Protocol):
    """The part of `MemoryStore` that finds entities and their facts."""

    def entity(self, name: str) -> MemoryItem | None:
        """The current entity called `name` or aliased so (case-insensitive)."""
        ...

    def facts_about(self, entity_id: int) -> list[MemoryItem]:
        """The current memories linked to the entity."""
        ...


def entity_facts(store: EntityLookup, question: str, ner: RussianNER | None = None) -> list[MemoryItem]:
    """The facts of the entities a question names: by relation ("my sister" -> Olga) or by name, in order.

    For recall to merge with its search hits (an entity's facts need not share words with the question).
    """
    names: list[str] = list(relation_mentions(question))
    names += [_RU_ALIAS[r] for r in relation_mentions(question)]
    if ner is not None:
        names += [n for n, _ in ner.names(question)]
    names += [w for w in _WORD.findall(question)[1:] if w[:1].isupper()]  # capitalised, not the first word
    out: dict[int, MemoryItem] = {}
    seen: set[int] = set()
    for name in dict.fromkeys(names):
        entity = store.entity(name)
        if entity is None or entity.id in seen:
            continue
        seen.add(entity.id)
        for item in store.facts_about(entity.id):
            if item.id != entity.id:
                out.setdefault(item.id, item)
    return list(out.values())
