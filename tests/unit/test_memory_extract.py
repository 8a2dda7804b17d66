"""The extraction's pure parts, by table: the pre-filter, quote provenance, validation of the model's JSON."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence

import pytest

from engine.memory.extract import (
    MAX_FACT_CHARS,
    SCHEMA,
    ExtractedEntity,
    FactExtractor,
    build_messages,
    find_quote,
    sentences,
    system_prompt,
    validate,
    worth_extracting,
)
from engine.memory.types import Exchange
from engine.stages.base import ChatMessage, SamplingParams


def turn(user: str, language: str = "en", reply: str = "") -> Exchange:
    return Exchange(conversation_id=3, turn_id=7, user_text=user, reply_text=reply, language=language, at=0.0)


@pytest.mark.parametrize(
    ("text", "worth"),
    [
        ("My sister Olga lives in Berlin.", True),
        ("I moved to Moscow last month.", True),
        ("We are planning a trip to Japan.", True),
        ("Мою сестру зовут Ольга.", True),
        ("У меня есть кот Барсик.", True),
        ("Я переехал в Москву.", True),
        ("Мы купили машину.", True),
        ("hi", False),
        ("Hello Sova!", False),
        ("thanks", False),
        ("Thank you.", False),
        ("Привет!", False),
        ("Спасибо, Сова!", False),
        ("What's the weather like today?", False),
        ("What is my name?", False),  # asks about a fact, states none
        ("Как меня зовут?", False),
        ("Какая сегодня погода?", False),
        ("Tell me a joke.", False),  # no first person
        ("The capital of France is Paris.", False),
        ("", False),
        ("Я люблю чай. А ты?", True),  # a statement before the question
        ("котлеты на ужин", False),  # "кот" inside a word is not "я/мой"
    ],
)
def test_prefilter(text: str, worth: bool) -> None:
    assert worth_extracting(text) is worth


@pytest.mark.parametrize(
    ("quote", "user", "found"),
    [
        ("My sister Olga", "Hi! My sister Olga lives in Berlin.", "My sister Olga"),
        ("my sister olga", "Hi! My sister Olga lives in Berlin.", "My sister Olga"),  # case forgiven
        ("My sister  Olga.", "Hi! My sister Olga lives in Berlin.", "My sister Olga"),  # spaces, outer punctuation
        ("«Мою сестру зовут Ольга»", "Мою сестру зовут Ольга, она в Казани.", "Мою сестру зовут Ольга"),
        ("зеленый чай", "Я пью только зелёный чай.", "зелёный чай"),  # ё/е forgiven, original kept
        ("My sister's name is Olga", "My sister Olga lives in Berlin.", None),  # paraphrase: not the user's words
        ("The user's cat is named Barsik.", "У меня есть кот Барсик.", None),  # a translation
        ("Berlin", "Hi!\n\n  I  live in   Berlin", "Berlin"),
        ("I live in", "Hi!\n\n  I  live in   Berlin", "I  live in"),  # the user's own spacing comes back
        ("", "anything", None),
        (".", "anything.", None),
    ],
)
def test_find_quote(quote: str, user: str, found: str | None) -> None:
    assert find_quote(quote, user) == found
    if found is not None:
        assert found in user


def out(*facts: dict[str, object], entities: Sequence[dict[str, object]] = ()) -> str:
    return json.dumps({"facts": list(facts), "entities": list(entities)})


OLGA = "My sister Olga lives in Berlin, she is a nurse."


@pytest.mark.parametrize(
    ("raw", "texts", "dropped"),
    [
        (out({"fact": "The user's sister Olga lives in Berlin.", "subject": "sister.home_city",
              "quote": "My sister Olga lives in Berlin"}), ["The user's sister Olga lives in Berlin."], 0),
        ('{"facts": [', [], 1),  # invalid JSON: no facts, never an exception
        ("[1, 2]", [], 1),  # not an object
        (out({"fact": "", "subject": "x", "quote": "Olga"}), [], 1),  # empty fact
        (out({"fact": "   ", "subject": "x", "quote": "Olga"}), [], 1),
        (out({"fact": "x" * (MAX_FACT_CHARS + 1), "subject": "x", "quote": "Olga"}), [], 1),  # too long
        (out({"fact": "Olga is a doctor.", "subject": "sister.job", "quote": "Olga is a doctor"}), [], 0),  # unquoted
        (out({"fact": 42, "subject": "x", "quote": "Olga"}), [], 1),  # not text
        (out({"fact": "Sister: Olga.", "subject": "sister.name", "quote": "sister Olga"},
             {"fact": "sister:  olga.", "subject": "sister.name", "quote": "Olga"}), ["Sister: Olga."], 1),  # repeat
        ('{"facts": "none", "entities": null}', [], 0),  # wrong shapes are empty, not errors
        (out("not an object"), [], 1),  # type: ignore[arg-type]
    ],
)
def test_validate_facts(raw: str, texts: list[str], dropped: int) -> None:
    result = validate(raw, turn(OLGA))
    assert [f.text for f in result.facts] == texts
    assert len(result.dropped) == dropped
    for fact in result.facts:
        assert fact.source_quote in OLGA
        assert (fact.kind, fact.conversation_id, fact.turn_id, fact.language) == ("fact", 3, 7, "en")


def test_a_fact_with_a_translated_quote_is_set_apart_for_anchoring() -> None:
    raw = out({"fact": "The user's cat is named Barsik.", "subject": "cat.name", "quote": "The user's cat is Barsik"})
    result = validate(raw, turn("У меня есть кот Барсик.", "ru"))
    assert result.facts == () and result.dropped == ()
    assert [(f.text, f.source_quote) for f in result.unquoted] == [("The user's cat is named Barsik.", "")]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Мою сестру зовут Ольга, она живёт в Казани.", ["Мою сестру зовут Ольга, она живёт в Казани"]),
        ("Hi! My dog is Rex. He's a beagle!", ["My dog is Rex", "He's a beagle"]),  # "Hi": too short
        ("  ", []),
        ("I live in Kazan; I work\nas a nurse", ["I live in Kazan", "I work", "as a nurse"]),
    ],
)
def test_sentences_are_exact_substrings(text: str, parts: list[str]) -> None:
    assert sentences(text) == parts
    assert all(p in text for p in parts)


def test_validate_logs_invalid_json(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="engine.memory.extract"):
        assert validate("not json at all", turn(OLGA)).facts == ()
    assert "not JSON" in caplog.text


def test_validate_subject_and_entities() -> None:
    raw = out(
        {"fact": "The user's sister is named Olga.", "subject": "Sister Name", "quote": "My sister Olga"},
        entities=[
            {"name": "Olga", "type": "person", "relation": "Sister"},
            {"name": "Paris", "type": "place", "relation": ""},  # not in the user's words
            {"name": "Berlin", "type": "city", "relation": ""},  # unknown type
            {"name": "", "type": "person", "relation": ""},
        ],
    )
    result = validate(raw, turn(OLGA))
    assert result.facts[0].subject == "sister_name"
    assert result.facts[0].entities == ("Olga",)
    assert result.entities == (ExtractedEntity("Olga", "person", "sister"),)
    assert len(result.dropped) == 3


def test_validate_keeps_inflected_russian_entity() -> None:
    raw = out(entities=[{"name": "Ольга", "type": "person", "relation": "сестра"}])
    result = validate(raw, turn("Вчера я звонил Ольге.", "ru"))
    assert [e.name for e in result.entities] == ["Ольга"]


def test_prompt_is_in_the_turns_language_and_keeps_the_reply_as_context() -> None:
    en = build_messages(turn("I live in Kazan.", reply="Kazan is nice."))
    ru = build_messages(turn("Я живу в Казани.", "ru"))
    assert en[0] == ChatMessage("system", system_prompt("en"))
    assert ru[0].content == system_prompt("ru") != system_prompt("en")
    assert "context only" in en[1].content and en[1].content.endswith("User: I live in Kazan.")
    assert "Пример" in ru[0].content


class ScriptedLLM:
    """Answers every call with one text (millisecond orchestration test), recording the calls."""

    model_id = "scripted"
    context_length = 2048

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls: list[tuple[list[ChatMessage], SamplingParams]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self.calls.append((list(messages), params))
        yield from (self.answer[:10], self.answer[10:])


def test_extractor_skips_the_llm_when_the_turn_cannot_hold_a_fact() -> None:
    llm = ScriptedLLM(out())
    result = FactExtractor(llm).extract(turn("Thanks!"), [])
    assert result.facts == () and result.skipped_reason
    assert llm.calls == []


def test_extractor_asks_for_schema_constrained_greedy_output() -> None:
    llm = ScriptedLLM(out({"fact": "The user lives in Kazan.", "subject": "user.home_city", "quote": "I live in"}))
    result = FactExtractor(llm).extract(turn("I live in Kazan."), [])
    assert [f.subject for f in result.facts] == ["user.home_city"]
    params = llm.calls[0][1]
    assert params.json_schema is SCHEMA and params.temperature == 0.0


@pytest.mark.parametrize(
    ("quote", "text", "provenance"),
    [
        ("Марина — архитектор", "Моя жена Марина — архитектор.", "Моя жена Марина — архитектор"),
        ("My dog is called Rex", "My dog is called Rex, he's a beagle.", "My dog is called Rex, he's a beagle"),
        ("I like tea", "Hello. I like tea! And coffee.", "I like tea"),
        ("not said", "Hello there.", "not said"),
    ],
)
def test_a_fact_rests_on_the_whole_sentence_its_quote_is_in(quote: str, text: str, provenance: str) -> None:
    from engine.memory.extract import sentence_of

    assert sentence_of(quote, text) == provenance
