"""Knowledge updates (add / duplicate / supersede), entity linking and summary novelty: pure decisions by table."""

from __future__ import annotations

import numpy as np
import pytest

from engine.memory.entities import EntityPlan, aliases_for, name_key, plan_entities, relation_mentions
from engine.memory.extract import ExtractedEntity
from engine.memory.summaries import is_novel, summarise, summary_memory, summary_request
from engine.memory.supersede import canonical_subject, checked_subject, decide, owner_checked, single_valued
from engine.memory.types import MemoryItem, NewMemory
from engine.stages.base import ChatMessage


def stored(id_: int, text: str, subject: str = "", *, entities: tuple[str, ...] = (), superseded_by: int | None = None,
           kind: str = "fact") -> MemoryItem:
    return MemoryItem(id_, kind, text, "en", text, 0.0, 1, 1, subject, entities, None, superseded_by)  # type: ignore[arg-type]


def new(text: str, subject: str = "", entities: tuple[str, ...] = ()) -> NewMemory:
    return NewMemory("fact", text, "en", text, subject=subject, entities=entities)


@pytest.mark.parametrize(
    ("subject", "canonical", "single"),
    [
        ("user.home_city", "user.home_city", True),
        ("User.City", "user.home_city", True),
        ("user.location", "user.home_city", True),
        ("user.occupation", "user.job", True),
        ("sister.name", "sister.name", True),
        ("user.likes", "user.likes", False),
        ("user.preferences", "user.likes", False),
        ("user.plan", "user.plan", False),
        ("user.pets", "user.pet", False),
        ("date", "date", False),  # no owner: too vague to replace anything
        ("", "", False),
        (" Sister Name ", "sister_name", False),
    ],
)
def test_subjects(subject: str, canonical: str, single: bool) -> None:
    assert canonical_subject(subject) == canonical
    assert single_valued(subject) is single


KAZAN = stored(1, "The user lives in Kazan.", "user.home_city", entities=("Kazan",))
KAZAN_RU = stored(2, "Пользователь живёт в Казани.", "user.city", entities=("Казань",))
JAZZ = stored(3, "The user likes jazz.", "user.likes")
OLD = stored(4, "The user lived in Omsk.", "user.home_city", superseded_by=1)
OLGA = stored(5, "Olga", "entity.olga", kind="entity")


@pytest.mark.parametrize(
    ("fact", "candidates", "action", "target"),
    [
        # an update: same single-valued subject, a new value (the cosine is high: it must not decide)
        (new("The user moved to Moscow.", "user.home_city", ("Moscow",)), [(KAZAN, 0.93)], "supersede", 1),
        (new("Пользователь переехал в Москву.", "user.location", ("Москва",)), [(KAZAN_RU, 0.91)], "supersede", 2),
        # cross-language: an English update replaces a Russian fact with the same subject
        (new("The user now lives in Moscow.", "user.home_city"), [(KAZAN_RU, 0.84)], "supersede", 2),
        # the same words again: a repeat, not an update
        (new("The user lives in Kazan.", "user.home_city", ("Kazan",)), [(KAZAN, 0.99)], "duplicate", 1),
        # a paraphrase, same entities, very close: a repeat
        (new("User lives in Kazan", "user.home_city", ("Kazan",)), [(KAZAN, 0.975)], "duplicate", 1),
        # close, but other entities: not a repeat (Moscow is not Kazan); same subject: an update
        (new("The user lives in Moscow.", "user.home_city", ("Moscow",)), [(KAZAN, 0.975)], "supersede", 1),
        # a many-valued subject adds
        (new("The user likes tea.", "user.likes"), [(JAZZ, 0.88)], "add", None),
        # ... unless it restates the same topic very closely
        (new("The user likes jazz music.", "user.like"), [(JAZZ, 0.955)], "supersede", 3),
        (new("The user likes coffee.", "user.likes"), [(JAZZ, 0.93)], "add", None),
        # other subjects, ordinary similarity: add
        (new("The user's cat is Barsik.", "cat.name"), [(KAZAN, 0.85), (JAZZ, 0.83)], "add", None),
        # no subject at all: add unless repeated
        (new("The user is allergic to peanuts."), [(JAZZ, 0.82)], "add", None),
        # superseded and other-kind memories are not candidates
        (new("The user lived in Omsk.", "user.home_city"), [(OLD, 0.99)], "add", None),
        (new("Olga", "sister.name"), [(OLGA, 0.99)], "add", None),
        # the same subject, but unrelated facts: the subject is the small model's mistake
        (new("Кот Барсик имеет три года.", "user.home_city"), [(KAZAN_RU, 0.76)], "add", None),
        # nothing stored
        (new("Моя сестра Ольга.", "sister.name"), [], "add", None),
    ],
)
def test_decide(fact: NewMemory, candidates: list[tuple[MemoryItem, float]], action: str, target: int | None) -> None:
    decision = decide(fact, candidates)
    assert (decision.action, decision.target_id) == (action, target), decision.reason
    assert decision.reason


@pytest.mark.parametrize(
    ("subject", "quote", "kept"),
    [
        ("user.job", "I work as a nurse", "user.job"),
        ("user.job", "she is a nurse", ""),  # the sister's job, filed under the user by the small model
        ("user.city", "Я живу в Казани", "user.home_city"),
        ("user.home_city", "она живёт в Казани", ""),
        ("user.age", "У меня есть кот Барсик, ему три года", "user.age"),
        ("sister.name", "she is called Olga", "sister.name"),  # not about the user: left alone
        ("user.plan", "We are planning a trip to Japan", "user.plan"),
    ],
)
def test_owner_checked(subject: str, quote: str, kept: str) -> None:
    assert owner_checked(subject, quote) == kept


@pytest.mark.parametrize(
    ("text", "relations"),
    [
        ("Where does my sister live?", ("sister",)),
        ("Где живёт моя сестра?", ("sister",)),
        ("Как зовут мою кошку и моего брата?", ("cat", "brother")),
        ("What is my wife's job?", ("wife",)),
        ("мужа отца дочери друзья котенок пса", ("husband", "father", "daughter", "friend", "cat", "dog")),
        ("котлеты на ужин", ()),  # not a cat
        ("надо брать зонт", ()),  # not a brother
        ("What's the weather?", ()),
    ],
)
def test_relation_mentions(text: str, relations: tuple[str, ...]) -> None:
    assert relation_mentions(text) == relations


@pytest.mark.parametrize(
    ("relation", "aliases"),
    [("sister", ("sister", "сестра")), ("Сестра", ("sister", "сестра")), ("cat", ("cat", "кот")),
     ("mom", ("mother", "мама")), ("", ()), ("home", ())],
)
def test_aliases(relation: str, aliases: tuple[str, ...]) -> None:
    assert aliases_for(relation) == aliases


@pytest.mark.parametrize(
    ("a", "b"), [("Ольга", "Ольгой"), ("Ольга", "Ольгу"), ("Барсик", "Барсика"), ("Казань", "Казани"), ("Olga", "olga")]
)
def test_name_keys_meet_across_cases(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("extracted", "recognised", "text", "plans"),
    [
        # the small model called Olga a pet: the relation wins
        ([ExtractedEntity("Olga", "pet", "sister")], [], "My sister Olga lives in Berlin.",
         [EntityPlan("Olga", "person", ("sister", "сестра"))]),
        # natasha alone, the relation read from the words before the name
        ([], [("Ольга", "person"), ("Казань", "place")], "Мою сестру зовут Ольга, она живёт в Казани.",
         [EntityPlan("Ольга", "person", ("sister", "сестра")), EntityPlan("Казань", "place")]),
        # both: merged into one entity, a pet because of "кот"
        ([ExtractedEntity("Барсик", "person", "")], [("Барсик", "person")], "У меня есть кот Барсик.",
         [EntityPlan("Барсик", "pet", ("cat", "кот"))]),
        # the model copied its example's relation ("dog"); the user said "кот"
        ([ExtractedEntity("Барсик", "pet", "собака")], [("Барсик", "person")], "У меня есть кот Барсик.",
         [EntityPlan("Барсик", "pet", ("cat", "кот"))]),
        # the model's relation, said by the user elsewhere in the sentence
        ([ExtractedEntity("Olga", "person", "sister")], [], "Olga is my sister.",
         [EntityPlan("Olga", "person", ("sister", "сестра"))]),
        # the user themself and bare relation words are no entities
        ([ExtractedEntity("user", "person", ""), ExtractedEntity("sister", "person", "")], [], "my sister", []),
    ],
)
def test_plan_entities(
    extracted: list[ExtractedEntity], recognised: list[tuple[str, str]], text: str, plans: list[EntityPlan]
) -> None:
    assert plan_entities(extracted, recognised, text) == plans  # type: ignore[arg-type]


CHAT = [ChatMessage("user", "I live in Kazan."), ChatMessage("assistant", "Nice!"), ChatMessage("user", "Bye.")]


def test_summary_request_and_memory() -> None:
    assert summary_request(CHAT[:2], "en") is None  # one user message: too short
    request = summary_request(CHAT, "ru")
    assert request is not None and "Кратко" in request[0]
    assert request[1] == "User: I live in Kazan.\nSova: Nice!\nUser: Bye."
    memory = summary_memory("  The user   lives in Kazan. ", CHAT, conversation_id=4, language="en")
    assert memory is not None and memory.kind == "summary" and memory.text == "The user lives in Kazan."
    assert memory.source_quote == "I live in Kazan." and memory.conversation_id == 4
    assert summary_memory("  ", CHAT, conversation_id=4, language="en") is None


def test_summarise_uses_the_injected_generator() -> None:
    seen: list[tuple[str, str]] = []

    def generate(instruction: str, transcript: str) -> str:
        seen.append((instruction, transcript))
        return "They talked about Kazan."

    memory = summarise(CHAT, generate, conversation_id=1, language="en")
    assert memory is not None and memory.text == "They talked about Kazan." and len(seen) == 1
    assert summarise(CHAT[:1], generate, conversation_id=1, language="en") is None and len(seen) == 1


@pytest.mark.parametrize(
    ("existing", "novel"),
    [([], True), ([[1.0, 0.0]], False), ([[0.0, 1.0]], True), ([[0.0, 1.0], [0.999, 0.0447]], False),
     ([[0.91, 0.4146]], True), ([[0.93, 0.3676]], False)],
)
def test_is_novel(existing: list[list[float]], novel: bool) -> None:
    vector = np.array([1.0, 0.0], np.float32)
    matrix = np.array(existing, np.float32).reshape(-1, 2)
    assert is_novel(vector, matrix)[0] is novel  # the default threshold, 0.92


@pytest.mark.parametrize(
    ("subject", "quote", "kept"),
    [
        # the small model's labels seen in a full scenario run, and what the writer keeps of them
        ("sister.name", "Мой брат Дмитрий работает врачом в Новосибирске", ""),
        ("sister.name", "Моя жена Марина — архитектор", ""),
        ("sister.name", "My sister Olga lives in Berlin", "sister.name"),
        ("user.name", "У меня есть кот Барсик, ему три года", ""),
        ("user.name", "My name is Alex", "user.name"),
        ("user.name", "Меня зовут Саша", "user.name"),
        ("pet.name", "Я люблю играть в шахматы по выходным", ""),
        ("pet.name", "Я не пью кофе, только зелёный чай", ""),
        ("pet.name", "У меня есть кот Барсик", "pet.name"),
        ("user.home_city", "Я живу в Казани", "user.home_city"),
        ("user.city", "Я переехал в Москву в прошлом месяце", "user.home_city"),
        ("user.job", "now I work as a teacher", "user.job"),
        ("user.job", "she is a nurse", ""),  # not the user's
        ("dog.type", "My dog is called Rex, he's a beagle", "dog.type"),
        ("wife.job", "Моя жена Марина — архитектор", "wife.job"),
        ("son.name", "Last season we won", ""),  # a word start, not any substring
        ("hobby", "I like chess", "hobby"),  # not in the tables: not checked
        ("user.birthday", "Мой день рождения пятого мая", "user.birthday"),
        # a label outside the known ones gives way to the one attribute of the user the words name
        ("date", "Я переехал в Москву в прошлом месяце", "user.home_city"),
        ("", "Мой день рождения пятого мая", "user.birthday"),
        ("interests", "We are planning a trip to Japan in October", "interests"),
        ("", "My sister Olga lives in Berlin, she is a nurse", ""),  # a relation's, not the user's
        ("", "My name is Alex and I work as a software engineer", ""),  # two attributes: neither
        ("", "Я люблю играть в шахматы по выходным", ""),
    ],
)
def test_checked_subject(subject: str, quote: str, kept: str) -> None:
    assert checked_subject(subject, quote) == kept
