from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from engine.errors import HistoryError
from engine.memory.history import HistoryStore
from engine.stages.base import ChatMessage


def test_messages_survive_reopen_in_the_same_conversation(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    store = HistoryStore(db)
    store.add("user", "Hello")
    store.add("assistant", "Hi there.", meta={"models": {"llm": "x"}})
    store.save_state("emotion", {"label": "joy", "valence": 0.8})
    store.close()

    again = HistoryStore(db)
    assert again.chat_history() == [ChatMessage("user", "Hello"), ChatMessage("assistant", "Hi there.")]
    assert again.messages()[1].meta == {"models": {"llm": "x"}}
    assert again.load_state("emotion") == {"label": "joy", "valence": 0.8}
    assert again.load_state("absent", 3) == 3


def test_new_conversation_starts_empty_and_keeps_the_old(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.add("user", "one")
    old = store.conversation_id
    store.new_conversation()
    assert store.chat_history() == []
    assert [m.content for m in store.messages(conversation_id=old)] == ["one"]


def test_limit_keeps_the_latest_in_order(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for i in range(6):
        store.add("user" if i % 2 == 0 else "assistant", f"m{i}")
    assert [m.content for m in store.chat_history(limit=3)] == ["m3", "m4", "m5"]


def _write_then_die(db: str) -> None:
    store = HistoryStore(Path(db))
    store.add("user", "question before the crash")
    store.add("assistant", "partial", complete=False)
    os._exit(1)  # no close, no cleanup: a crash


def test_a_crashed_process_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    proc = multiprocessing.get_context("spawn").Process(target=_write_then_die, args=(str(db),))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 1
    msgs = HistoryStore(db).messages()
    assert [(m.role, m.content, m.complete) for m in msgs] == [
        ("user", "question before the crash", True),
        ("assistant", "partial", False),
    ]


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="data folder is writable"):
        HistoryStore(blocker / "sub" / "h.sqlite3")
