"""The memory writer over the real SQLite store, the real embeddings and natasha; the real 0.5B LLM extracting.

The writer's own decisions are tested with a scripted extractor (so each case states exactly what the
model said); `test_real_extractor_*` run the installed lightweight model on RU and EN utterances.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from engine.memory.embedding import EmbeddingModel
from engine.memory.entities import RussianNER, entity_facts
from engine.memory.extract import Extraction, FactExtractor, validate
from engine.memory.store import MemoryStore
from engine.memory.summaries import summarise
from engine.memory.types import Exchange, MemoryItem
from engine.memory.writer import MemoryWriter
from engine.registry.registry import ModelProvider
from engine.stages.llm.llama_cpp import LlamaChatModel, load_model
from engine.stages.options import LLMOptions

pytestmark = pytest.mark.models

LIGHT = "qwen2.5-coder-0.5b-instruct-q4_k_m-v1.0"


@pytest.fixture(scope="module")
def embedder(e5: EmbeddingModel) -> EmbeddingModel:
    return e5


@pytest.fixture(scope="module")
def ner() -> RussianNER:
    return RussianNER()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MemoryStore]:
    s = MemoryStore(tmp_path / "memory.sqlite3")
    yield s
    s.close()


class Scripted:
    """An extractor that answers with the JSON the test gives, validated like the model's."""

    def __init__(self, *answers: dict[str, object]) -> None:
        self.answers = [json.dumps(a) for a in answers]
        self.known: list[Sequence[MemoryItem]] = []

    def extract(self, exchange: Exchange, known: Sequence[MemoryItem]) -> Extraction:
        self.known.append(known)
        return validate(self.answers.pop(0), exchange)


def turn(user: str, language: str = "en", n: int = 1) -> Exchange:
    return Exchange(conversation_id=n, turn_id=n, user_text=user, reply_text="", language=language, at=0.0)


def fact(text: str, subject: str, quote: str) -> dict[str, str]:
    return {"fact": text, "subject": subject, "quote": quote}


def test_update_supersedes_across_languages_and_repeats_are_skipped(
    store: MemoryStore, embedder: EmbeddingModel
) -> None:
    extractor = Scripted(
        {"facts": [fact("Пользователь живёт в Казани.", "user.city", "Я живу в Казани")], "entities": []},
        {"facts": [fact("Пользователь живёт в Казани.", "user.city", "живу в Казани")], "entities": []},
        {"facts": [fact("The user moved to Moscow.", "user.home_city", "I moved to Moscow")], "entities": []},
    )
    writer = MemoryWriter(store, embedder, extractor, known_facts=5)
    first = writer.remember(turn("Я живу в Казани.", "ru", 1))
    again = writer.remember(turn("Я живу в Казани, да.", "ru", 2))
    moved = writer.remember(turn("I moved to Moscow last month.", "en", 3))
    assert len(first.added) == 1 and again.added == () and again.duplicates == first.added
    assert moved.superseded == ((first.added[0], moved.added[0]),)
    old = store.get(first.added[0])
    assert old is not None and old.superseded_by == moved.added[0]  # kept, marked
    assert [m.text for m in store.current_with_subject("user.home_city")] == ["The user moved to Moscow."]
    assert [m.subject for m in extractor.known[2]] == ["user.home_city"]  # the model is shown what may change


def test_facts_of_one_turn_never_replace_each_other(store: MemoryStore, embedder: EmbeddingModel) -> None:
    said = "My dog is called Rex, he's a beagle."
    extractor = Scripted({"facts": [fact("The user's dog is named Rex.", "dog.name", "My dog is called Rex"),
                                    fact("The user's dog is a beagle.", "dog.name", "he's a beagle")],
                          "entities": [{"name": "Rex", "type": "pet", "relation": "dog"}]})
    report = MemoryWriter(store, embedder, extractor).remember(turn(said))
    assert len(report.added) == 2 and report.superseded == ()
    rex = store.entity("собака")
    assert rex is not None and rex.text == "Rex"
    assert [m.id for m in store.facts_about(rex.id)] == list(report.added)  # by name, and by "dog." subject


def test_my_sister_meets_olga_in_both_languages(store: MemoryStore, embedder: EmbeddingModel, ner: RussianNER) -> None:
    extractor = Scripted(
        {"facts": [fact("Сестру пользователя зовут Ольга, она живёт в Казани.", "sister.name",
                        "Мою сестру зовут Ольга, она живёт в Казани")],
         "entities": [{"name": "Ольга", "type": "pet", "relation": ""}]},  # the small model's wrong type
    )
    report = MemoryWriter(store, embedder, extractor, ner=ner).remember(
        turn("Мою сестру зовут Ольга, она живёт в Казани.", "ru")
    )
    olga = store.entity("Ольга")
    assert olga is not None and olga.entity_type == "person"
    for alias in ("сестра", "sister", "SISTER"):
        found = store.entity(alias)
        assert found is not None and found.id == olga.id
    assert [m.id for m in store.facts_about(olga.id)] == list(report.added)
    kazan = store.entity("Казань")  # natasha's dictionary form of "Казани"
    assert kazan is not None and kazan.entity_type == "place" and (report.added[0], kazan.id) in report.entities_linked
    # a later question about "my sister", in either language, finds Olga's facts
    for question in ("Where does my sister live?", "Где живёт моя сестра?", "Чем занимается Ольга?"):
        assert [m.id for m in entity_facts(store, question, ner)] == list(report.added), question
    assert entity_facts(store, "Where does my brother live?", ner) == []


def test_a_translated_quote_is_anchored_to_the_users_sentence(store: MemoryStore, embedder: EmbeddingModel) -> None:
    said = "Привет! У меня есть кот Барсик, ему три года. А погода сегодня плохая."
    extractor = Scripted({"facts": [
        fact("The user has a cat named Barsik.", "cat.name", "I have a cat named Barsik"),  # translated quote
        fact("The user lives on Mars.", "user.home_city", "I live on Mars"),  # nothing said it
    ], "entities": []})
    writer = MemoryWriter(store, embedder, extractor)
    report = writer.remember(turn(said, "ru"))
    assert len(report.added) == 1, report
    cat = store.get(report.added[0])
    assert cat is not None and cat.source_quote == "У меня есть кот Барсик, ему три года"
    assert any("Mars" in d for d in report.dropped)
    strict = MemoryWriter(store, embedder, Scripted({"facts": [fact("The user has a dog.", "user.pet", "I have a dog")],
                                                     "entities": []}), anchor_quotes=False)
    assert strict.remember(turn("У меня есть собака.", "ru")).added == ()


def test_bad_model_output_never_raises_and_stores_nothing(store: MemoryStore, embedder: EmbeddingModel) -> None:
    class Broken:
        def extract(self, exchange: Exchange, known: Sequence[MemoryItem]) -> Extraction:
            return validate('{"facts": [{"fact": "x", "quote": "nowhere"}, 17', exchange)

    report = MemoryWriter(store, embedder, Broken()).remember(turn("I live in Kazan."))
    assert report.added == () and report.dropped and store.count() == 0
    long = Scripted({"facts": [fact("x" * 90, "user.x", "I live in Kazan")], "entities": []})
    report = MemoryWriter(store, embedder, long, max_fact_chars=80).remember(turn("I live in Kazan."))
    assert report.added == () and "longer than 80" in report.dropped[0] and store.count() == 0


def test_summary_novelty(store: MemoryStore, embedder: EmbeddingModel) -> None:
    from engine.stages.base import ChatMessage

    chat = [ChatMessage("user", "I want to plan a trip to Japan."), ChatMessage("assistant", "When?"),
            ChatMessage("user", "In October, for two weeks.")]
    writer = MemoryWriter(store, embedder, Scripted())
    texts = iter(["The user planned a two-week trip to Japan in October.",
                  "The user is planning a two-week trip to Japan in October.",
                  "The user asked how to bake rye bread at home."])
    first = writer.remember_summary(summarise(chat, lambda i, t: next(texts), conversation_id=1, language="en"))
    same = writer.remember_summary(summarise(chat, lambda i, t: next(texts), conversation_id=2, language="en"))
    other = writer.remember_summary(summarise(chat, lambda i, t: next(texts), conversation_id=3, language="en"))
    assert len(first.added) == 1 and same.added == () and "not new" in same.skipped_reason
    assert len(other.added) == 1
    assert [m.kind for m in store.items()] == ["summary", "summary"]


@pytest.fixture(scope="module")
def light(installed: Callable[[str], ModelProvider]) -> Iterator[LlamaChatModel]:
    llm = load_model(installed(LIGHT), LLMOptions(threads=2, context_length=2048))
    yield llm
    llm.close()


@pytest.mark.slow
def test_real_extractor_reads_facts_and_skips_questions(light: LlamaChatModel) -> None:
    extractor = FactExtractor(light)
    dog = extractor.extract(turn("My dog is called Rex, he's a beagle."), [])
    # facts quoting the user's words, or (the 0.5B paraphrases quotes) set apart for the writer to anchor
    found = dog.facts + dog.unquoted
    assert found, dog.dropped
    assert all(f.source_quote in "My dog is called Rex, he's a beagle." for f in dog.facts)
    assert all(f.source_quote == "" for f in dog.unquoted)
    assert any("Rex" in f.text or "Rex" in f.source_quote for f in found)
    assert [e.name for e in dog.entities] == ["Rex"]
    question = extractor.extract(turn("What's the weather like today?"), [])
    assert question.facts == () and question.skipped_reason  # the pre-filter: no model call


@pytest.mark.slow
def test_real_extractor_update_in_russian(
    light: LlamaChatModel, store: MemoryStore, embedder: EmbeddingModel, ner: RussianNER
) -> None:
    writer = MemoryWriter(store, embedder, FactExtractor(light), ner=ner)
    first = writer.remember(turn("Я живу в Казани.", "ru", 1))
    moved = writer.remember(turn("Я переехал в Москву.", "ru", 2))
    assert first.added and moved.added, (first, moved)
    current = " ".join(m.text + m.source_quote for m in store.items(kind="fact", include_superseded=False))
    assert "Москв" in current
    assert moved.superseded, [(m.subject, m.text) for m in store.items()]
