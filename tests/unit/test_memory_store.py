"""The memory store on a real SQLite file: migrations, superseding, forgetting, full text, damage and locks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from engine.memory import store_open
from engine.memory.store import MemoryStore, MemoryStoreError
from engine.memory.store_schema import MIGRATIONS, SCHEMA_VERSION, fts_query, fts_terms
from engine.memory.types import NewMemory

MODEL = "test-model"


def unit(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def fact(text: str, subject: str = "", language: str = "en") -> NewMemory:
    return NewMemory("fact", text, language, f"I said: {text}", conversation_id=1, turn_id=2, subject=subject)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = MemoryStore(tmp_path / "memory.sqlite3")
    yield s
    s.close()


def test_a_new_file_gets_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    store = MemoryStore(path)
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    item = store.add(fact("I live in Kazan", "user.home_city"), unit(1), MODEL)
    store.close()
    reopened = MemoryStore(path)  # opening again applies nothing and keeps the data
    assert reopened.get(item.id) == item
    assert reopened.schema_version == SCHEMA_VERSION
    reopened.close()


def test_a_file_one_version_behind_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:-1]:
        db.executescript(step)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    db.execute(
        "INSERT INTO memories (kind, text, language, source_quote, created_at) "
        "VALUES ('fact', 'I have a cat', 'en', 'I have a cat', 1.0)"
    )
    db.execute("INSERT INTO memories_fts (rowid, text, source_quote) VALUES (1, 'i have a cat', 'i have a cat')")
    db.commit()
    db.close()
    store = MemoryStore(path)
    assert store.schema_version == SCHEMA_VERSION
    assert [i.text for i in store.items()] == ["I have a cat"]
    assert store.fts("cat", 5)[0][0] == 1
    store.set_vector(1, unit(3), MODEL)  # the column the last step added takes writes
    assert store.vectors(MODEL)[0].tolist() == [1]
    store.close()


def test_the_upgrade_to_quoted_passages_drops_only_the_stale_fact_vectors(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        db.executescript(step)
    db.execute("PRAGMA user_version = 2")
    rows = [("fact", "The user has a cat.", "I have a cat"), ("fact", "I have a dog", "I have a dog"),
            ("summary", "We talked about pets.", "hi")]  # fmt: skip
    for n, (kind, text, quote) in enumerate(rows, start=1):
        db.execute("INSERT INTO memories (kind, text, language, source_quote, created_at) VALUES (?, ?, 'en', ?, 1.0)",
                   (kind, text, quote))  # fmt: skip
        db.execute("INSERT INTO vectors (memory_id, model_id, dim, vector) VALUES (?, ?, 8, ?)",
                   (n, MODEL, unit(n).astype(np.float32).tobytes()))  # fmt: skip
    db.commit()
    db.close()
    store = MemoryStore(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        # the paraphrased fact is embedded anew (its quote now goes into its vector); the rest keep theirs
        assert [m.id for m in store.missing_vectors(MODEL)] == [1]
        assert store.vectors(MODEL)[0].tolist() == [2, 3]
    finally:
        store.close()


def test_a_file_from_a_newer_sova_is_refused_not_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    MemoryStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(MemoryStoreError) as err:
        MemoryStore.open_or_quarantine(path)
    assert err.value.reason == "newer" and "newer Sova" in str(err.value)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


def test_superseded_memories_stay_on_record_but_leave_search(store: MemoryStore) -> None:
    old = store.add(fact("I live in Kazan", "user.home_city"), unit(1), MODEL)
    store.vectors(MODEL)  # cached before the update: the update must reach the cache
    new = store.add(fact("I moved to Moscow", "user.home_city"), unit(2), MODEL)
    assert [i.id for i in store.current_with_subject("user.home_city")] == [old.id, new.id]
    store.supersede(old.id, new.id)
    assert store.get(old.id).superseded_by == new.id  # type: ignore[union-attr]
    assert [i.id for i in store.current_with_subject("user.home_city")] == [new.id]
    assert [i.id for i in store.items(include_superseded=False)] == [new.id]
    assert [i.id for i in store.items()] == [old.id, new.id]
    assert store.vectors(MODEL)[0].tolist() == [new.id]
    assert store.fts("Kazan", 5) == []
    with pytest.raises(KeyError):
        store.supersede(old.id, 999)
    with pytest.raises(ValueError):
        store.supersede(new.id, new.id)


def test_forget_removes_the_row_its_text_index_vector_and_older_versions(store: MemoryStore) -> None:
    kazan = store.add(fact("I live in Kazan", "user.home_city"), unit(1), MODEL)
    moscow = store.add(fact("I moved to Moscow", "user.home_city"), unit(2), MODEL)
    cat = store.add(fact("My cat is called Murka"), unit(3), MODEL)
    store.supersede(kazan.id, moscow.id)
    assert store.vectors(MODEL)[0].tolist() == [moscow.id, cat.id]
    assert store.forget(moscow.id)
    # the version it replaced goes too: forgetting the move must not bring Kazan back
    assert store.get(moscow.id) is None and store.get(kazan.id) is None
    assert store.fts("Moscow", 5) == [] and store.fts("Kazan", 5) == []
    assert store.vectors(MODEL)[0].tolist() == [cat.id]
    assert store.missing_vectors(MODEL) == []
    assert not store.forget(moscow.id)
    assert store.forget_all() == 1
    assert store.items() == [] and store.vectors(MODEL)[0].size == 0


def test_forgetting_an_old_version_leaves_the_current_one(store: MemoryStore) -> None:
    kazan = store.add(fact("I live in Kazan", "user.home_city"), unit(1), MODEL)
    moscow = store.add(fact("I moved to Moscow", "user.home_city"), unit(2), MODEL)
    store.supersede(kazan.id, moscow.id)
    assert store.forget(kazan.id)
    assert [i.id for i in store.items()] == [moscow.id]


@pytest.mark.parametrize(
    "query",
    ['"', 'NEAR(" AND *', "a:b OR", "((((", "text: NOT", "-", "*", "^start", "'; DROP TABLE memories; --", ""],
)
def test_fts5_syntax_in_a_question_never_raises(store: MemoryStore, query: str) -> None:
    store.add(fact('She said "NEAR" AND (maybe) NOT: text*'), None, MODEL)
    assert isinstance(store.fts(query, 5), list)
    assert store.count() == 1


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Где живёт моя сестра?", ["живет", "сест"]),
        ("Как зовут мою сестру?", ["сест"]),
        ("What is my dog's name?", ["dog"]),
        ('"NEAR(a b)" AND text:*', ["near", "text"]),
        ("кто я?", []),
        ("Olga's birthday", ["olga", "birthd"]),
    ],
)
def test_fts_terms_keep_content_words_as_prefixes(text: str, terms: list[str]) -> None:
    assert fts_terms(text) == terms


def test_russian_inflection_and_yo_still_match(store: MemoryStore) -> None:
    sister = store.add(fact("Моя сестра Ольга живёт в Казани", language="ru"), None, MODEL)
    assert [i for i, _ in store.fts("Как зовут мою сестру?", 5)] == [sister.id]
    assert [i for i, _ in store.fts("где живет ольга", 5)] == [sister.id]
    assert fts_query("") == ""


def test_vectors_follow_additions_edits_and_reindexing(store: MemoryStore) -> None:
    a = store.add(fact("one"), unit(1), MODEL)
    ids, _ = store.vectors(MODEL)
    b = store.add(fact("two"), unit(2), MODEL)  # appended to the cached matrix, not re-read
    ids2, matrix2 = store.vectors(MODEL)
    assert ids.tolist() == [a.id] and ids2.tolist() == [a.id, b.id]
    np.testing.assert_allclose(matrix2[1], unit(2))
    edited = store.update_text(a.id, "one, edited", None, MODEL)
    assert edited.text == "one, edited"
    assert [m.id for m in store.missing_vectors(MODEL)] == [a.id]
    assert store.fts("edited", 5)[0][0] == a.id
    store.set_vector(a.id, unit(5), MODEL)
    ids3, matrix3 = store.vectors(MODEL)
    assert ids3.tolist() == [a.id, b.id]
    np.testing.assert_allclose(matrix3[0], unit(5))
    assert store.vectors("another-model")[0].size == 0
    assert [m.id for m in store.missing_vectors("another-model")] == [a.id, b.id]
    with pytest.raises(ValueError):
        store.add(fact("bad vector"), np.array([np.nan, 1.0], dtype=np.float32), MODEL)
    with pytest.raises(ValueError):
        store.add(fact("   "), None, MODEL)


def test_entities_meet_by_name_and_alias(store: MemoryStore) -> None:
    olga = store.add(NewMemory("entity", "Ольга", "ru", "моя сестра Ольга", entity_type="person"), None, MODEL)
    store.add_alias(olga.id, "My Sister")
    birthday = store.add(fact("Olga's birthday is on May 3"), None, MODEL)
    store.link(birthday.id, olga.id)
    assert store.entity("ОЛЬГА") == olga
    assert store.entity("my sister") == olga
    assert store.entity("Pavel") is None
    assert [i.id for i in store.facts_about(olga.id)] == [birthday.id]
    assert store.aliases(olga.id) == ["ольга", "my sister"]
    with pytest.raises(KeyError):
        store.add_alias(birthday.id, "not an entity")
    with pytest.raises(KeyError):
        store.link(birthday.id, 999)
    store.forget(olga.id)
    assert store.entity("my sister") is None
    assert store.get(birthday.id) is not None  # the fact stays; only the link went


def test_a_file_that_is_not_sqlite_is_reported_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(MemoryStoreError) as err:
        MemoryStore(path)
    assert err.value.reason == "corrupt" and str(path) in str(err.value) and err.value.hint
    assert path.read_bytes().startswith(b"this is not")  # plain open never moves it

    store = MemoryStore.open_or_quarantine(path)
    assert store.quarantined is not None and store.quarantined.name.startswith("memory.sqlite3.corrupt-")
    assert store.quarantined.read_bytes().startswith(b"this is not")
    assert store.items() == []
    store.add(fact("a fresh start"), None, MODEL)
    store.close()


def test_a_damaged_database_fails_its_check(tmp_path: Path) -> None:
    path = tmp_path / "memory.sqlite3"
    store = MemoryStore(path)
    store.add_many([fact(f"memory number {n} " * 20) for n in range(300)], [None] * 300, MODEL)
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):  # scribble over interior pages
        data[offset + 8 : offset + 400] = b"\xff" * 392
    path.write_bytes(bytes(data))
    with pytest.raises(MemoryStoreError) as err:
        MemoryStore(path)
    assert err.value.reason == "corrupt"
    fresh = MemoryStore.open_or_quarantine(path)
    assert fresh.quarantined is not None and fresh.quarantined.stat().st_size == len(data)
    fresh.close()


def test_a_locked_file_is_reported_not_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_open, "LOCK_TIMEOUT_S", 0.05)
    path = tmp_path / "memory.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE holder (x)")
    other.execute("BEGIN EXCLUSIVE")  # another program mid-write on a rollback-journal file
    try:
        with pytest.raises(MemoryStoreError) as err:
            MemoryStore.open_or_quarantine(path)
        assert err.value.reason == "locked" and "another program" in str(err.value)
        assert not list(tmp_path.glob("*.corrupt-*"))
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_write_blocked_by_another_writer_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_open, "LOCK_TIMEOUT_S", 0.05)
    path = tmp_path / "memory.sqlite3"
    store = MemoryStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(MemoryStoreError) as err:
            store.add(fact("blocked"), None, MODEL)
        assert err.value.reason == "locked"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.add(fact("after the lock"), None, MODEL).text == "after the lock"  # nothing stuck
    store.close()
