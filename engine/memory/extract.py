"""What is worth remembering from a finished turn: a rule pre-filter, then the LLM with JSON-constrained output.

Only the user's words are evidence: every fact carries a ``source_quote`` that must be found in them
(`validate` drops the rest), so the assistant's own claims never become facts about the user. The
reply is shown to the model as context only. Everything here except `FactExtractor.extract` is pure.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

from engine.memory.types import EntityType, Exchange, MemoryItem, NewMemory
from engine.stages.base import ChatMessage, LanguageModel, SamplingParams

log = logging.getLogger(__name__)

MAX_FACT_CHARS = 300
MAX_FACTS = 6
MAX_OUTPUT_TOKENS = 320
ENTITY_TYPES: tuple[str, ...] = get_args(EntityType)

SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": MAX_FACTS,
            "items": {
                "type": "object",
                "properties": {
                    "fact": {"type": "string", "maxLength": 200},
                    "subject": {"type": "string", "maxLength": 40},
                    "quote": {"type": "string", "maxLength": 200},
                },
                "required": ["fact", "subject", "quote"],
            },
        },
        "entities": {
            "type": "array",
            "maxItems": MAX_FACTS,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 60},
                    "type": {"type": "string", "enum": list(ENTITY_TYPES)},
                    "relation": {"type": "string", "maxLength": 30},
                },
                "required": ["name", "type", "relation"],
            },
        },
    },
    "required": ["facts", "entities"],
}

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "resources" / "prompts"


@lru_cache(maxsize=4)
def system_prompt(language: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    """The extraction instructions with one worked example, in the turn's language (ru, else en).

    Short on purpose: on 2 cores, reading the prompt is most of the cost; it is constant per language,
    so llama.cpp reuses its cached prefix from one extraction to the next. A Russian prompt keeps the
    small model's quotes in Russian (with the English one it translates them, and they fail `find_quote`).
    """
    lang = "ru" if language == "ru" else "en"
    return (prompts_dir / f"memory_extract.{lang}.md").read_text(encoding="utf-8").strip()


# a turn with none of these cannot hold a fact about the user (checked on lowercased text)
_SELF = re.compile(
    r"\b(i|i'm|im|i've|i'd|i'll|my|mine|me|we|we're|our|us)\b"
    r"|(?<![а-яё])(я|мне|меня|мой|моя|мою|моё|мое|мои|моего|моему|моей|моих|моим|моими|моём|моем|мною|мной"
    r"|у нас|мы|наш|наша|наше|наши|нас|нам)(?![а-яё])"
)
_SMALL_TALK = re.compile(
    r"^(hi|hello|hey|thanks|thank you|ok|okay|bye|good (morning|night|evening)|yes|no|"
    r"привет|здравствуй(те)?|спасибо|пока|ок|хорошо|да|нет|доброе утро|добрый (день|вечер)|спокойной ночи)"
    r"( (sova|сова))?[.!? ]*$"
)
# a request's "me" is not a statement about the user ("tell me a joke", "напомни мне")
_REQUEST_ME = re.compile(
    r"\b(tell|give|show|remind|help|let|send|find|teach|ask|wake) (me|us)\b"
    r"|(?<![а-яё])(расскажи|покажи|напомни|скажи|помоги|дай|найди|объясни|подскажи)(те)? (мне|нам)(?![а-яё])"
)
# "what is my ...?" asks about a fact, it does not state one
_QUESTION_ONLY = re.compile(r"^[^.!]*\?\s*$")


def worth_extracting(user_text: str) -> bool:
    """Whether a turn may hold a durable fact about the user (False: skip the LLM).

    Skipped: empty text, greetings and thanks, a single question, and text with no first person.
    """
    text = " ".join(user_text.lower().split())
    if len(text) < 4 or _SMALL_TALK.match(text):
        return False
    if _QUESTION_ONLY.match(text):
        return False
    return bool(_SELF.search(_REQUEST_ME.sub(" ", text)))


@dataclass(frozen=True)
class ExtractedEntity:
    """A person, pet, place or object the user named, and how it relates to the user ("sister", or "")."""

    name: str
    type: EntityType
    relation: str


@dataclass(frozen=True)
class Extraction:
    """What one turn yielded: facts (with provenance), entities, and what was dropped and why."""

    facts: tuple[NewMemory, ...] = ()
    entities: tuple[ExtractedEntity, ...] = ()
    #: facts whose quote is not the user's words (the small model translates or paraphrases it), with
    #: `source_quote` "": the writer may anchor them to the user's sentence they come from, or drop them
    unquoted: tuple[NewMemory, ...] = ()
    dropped: tuple[str, ...] = ()
    skipped_reason: str = ""


def build_messages(exchange: Exchange, known: Sequence[MemoryItem] = ()) -> list[ChatMessage]:
    """The extraction prompt: a constant system part, then the turn (and a few current facts, for subjects)."""
    parts: list[str] = []
    if known:
        facts = "\n".join(f"- {m.subject}: {m.text}" for m in known[:5] if m.subject)
        if facts:
            parts.append(f"Already known (reuse these subjects when a fact changes):\n{facts}")
    reply = " ".join(exchange.reply_text.split())[:200]
    if reply:
        parts.append(f"Assistant (context only, not evidence): {reply}")
    parts.append(f"User: {exchange.user_text.strip()}")
    return [ChatMessage("system", system_prompt(exchange.language)), ChatMessage("user", "\n\n".join(parts))]


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def find_quote(quote: str, user_text: str) -> str | None:
    """The span of `user_text` that `quote` names, exactly as the user wrote it, or None.

    Case, "ё"/"е", runs of spaces and the quote's outer punctuation are forgiven; the words are not.
    """
    q = _norm(quote).strip(" \"'«».,!?;:")
    if len(q) < 2:
        return None
    # map each character of the normalised text back to its place in the original
    index: list[int] = []
    flat: list[str] = []
    prev_space = True
    for i, ch in enumerate(user_text):
        c = ch.casefold().replace("ё", "е")
        if ch.isspace():
            if prev_space:
                continue
            c, prev_space = " ", True
        else:
            prev_space = False
        flat.append(c)
        index.extend([i] * len(c))
    at = "".join(flat).find(q)
    if at < 0:
        return None
    start, end = index[at], index[at + len(q) - 1] + 1
    return user_text[start:end]


def sentences(text: str) -> list[str]:
    """The sentences of `text`, each an exact substring of it (without its final punctuation)."""
    out = []
    for m in re.finditer(r"[^.!?;\n]+", text):
        part = m.group().strip(" \t,:-—«»\"'")
        if len(part) >= 3 and part in text:
            out.append(part)
    return out


def sentence_of(quote: str, text: str) -> str:
    """The whole sentence of `text` that holds `quote` (an exact substring of it), else `quote` itself (pure).

    A fact's provenance is the user's sentence, not the model's cut of it: "Марина — архитектор" keeps
    "Моя жена", "My dog is called Rex" keeps "he's a beagle", so recall finds what the cut left out.
    """
    return next((part for part in sentences(text) if quote and quote in part), quote)


def _clean(value: Any, limit: int) -> str:
    return " ".join(str(value).split())[:limit] if isinstance(value, str) else ""


def _subject(value: str) -> str:
    s = re.sub(r"[^\w.]+", "_", value.strip().casefold()).strip("_.")
    return s[:40]


def validate(
    raw: str, exchange: Exchange, *, max_fact_chars: int = MAX_FACT_CHARS
) -> Extraction:
    """The model's JSON as checked facts and entities; anything unusable is dropped with a reason, never raised."""
    try:
        data = json.loads(raw)
    except ValueError:
        log.warning("memory extraction: the model's output is not JSON: %r", raw[:120])
        return Extraction(dropped=("invalid JSON",))
    if not isinstance(data, Mapping):
        log.warning("memory extraction: the model's output is not a JSON object: %r", raw[:120])
        return Extraction(dropped=("not an object",))
    facts: list[NewMemory] = []
    unquoted: list[NewMemory] = []
    dropped: list[str] = []
    seen: set[str] = set()
    raw_facts = data.get("facts")
    for item in raw_facts if isinstance(raw_facts, list) else []:
        if not isinstance(item, Mapping):
            dropped.append("fact not an object")
            continue
        text = " ".join(str(item.get("fact", "")).split()) if isinstance(item.get("fact"), str) else ""
        if not text:
            dropped.append("empty fact")
            continue
        if len(text) > max_fact_chars:
            dropped.append(f"fact longer than {max_fact_chars} characters: {text[:40]!r}")
            continue
        quote = find_quote(_clean(item.get("quote"), 400), exchange.user_text)
        if _norm(text) in seen:
            dropped.append(f"repeated: {text[:40]!r}")
            continue
        seen.add(_norm(text))
        (facts if quote is not None else unquoted).append(NewMemory(
            kind="fact", text=text, language=exchange.language, source_quote=quote or "",
            conversation_id=exchange.conversation_id, turn_id=exchange.turn_id,
            subject=_subject(_clean(item.get("subject"), 80)),
        ))
    entities: list[ExtractedEntity] = []
    raw_entities = data.get("entities")
    for item in raw_entities if isinstance(raw_entities, list) else []:
        if not isinstance(item, Mapping):
            continue
        name = _clean(item.get("name"), 60).strip(" .,!?\"'«»")
        kind = item.get("type")
        if not name or kind not in ENTITY_TYPES:
            dropped.append(f"entity without a name or a known type: {name!r}")
            continue
        # the name must be something the user said (the reply's names are not the user's world)
        if find_quote(name, exchange.user_text) is None and not _named_inflected(name, exchange.user_text):
            dropped.append(f"entity not in the user's words: {name!r}")
            continue
        entities.append(ExtractedEntity(name, kind, _clean(item.get("relation"), 30).casefold()))
    facts = [_with_entities(f, entities) for f in facts]
    unquoted = [_with_entities(f, entities) for f in unquoted]
    return Extraction(tuple(facts), tuple(entities), unquoted=tuple(unquoted), dropped=tuple(dropped))


def _named_inflected(name: str, text: str) -> bool:
    """Whether a (Russian) name occurs inflected: "Ольга" in "с Ольгой" (same stem, case endings differ)."""
    stem = _norm(name)
    stem = stem[: max(3, len(stem) - 2)]
    return bool(stem) and stem in _norm(text)


def _with_entities(fact: NewMemory, entities: Sequence[ExtractedEntity]) -> NewMemory:
    names = tuple(e.name for e in entities if _named_inflected(e.name, fact.text + " " + fact.source_quote))
    if not names:
        return fact
    return NewMemory(
        kind=fact.kind, text=fact.text, language=fact.language, source_quote=fact.source_quote,
        conversation_id=fact.conversation_id, turn_id=fact.turn_id, subject=fact.subject, entities=names,
    )


class FactExtractor:
    """Extracts facts and entities from a finished turn with an LLM (blocking: run it on the LLM lane)."""

    def __init__(self, llm: LanguageModel, *, max_fact_chars: int = MAX_FACT_CHARS, prefilter: bool = True) -> None:
        self.llm = llm
        self.max_fact_chars = max_fact_chars
        self.prefilter = prefilter

    def extract(self, exchange: Exchange, known: Sequence[MemoryItem] = ()) -> Extraction:
        """Facts in `exchange.user_text`; `known`: current facts that may be updated (their subjects are reused)."""
        if self.prefilter and not worth_extracting(exchange.user_text):
            return Extraction(skipped_reason="no statement about the user")
        params = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=MAX_OUTPUT_TOKENS, json_schema=SCHEMA)
        raw = "".join(self.llm.stream_chat(build_messages(exchange, known), params))
        return validate(raw, exchange, max_fact_chars=self.max_fact_chars)
