"""The memory tools' words and lines: what "что ты помнишь о…" / "забудь…" ask for (pure; tables).

The tools themselves run against a real memory service in tests/integration/test_tools_memory_real.py.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine.memory.recall import RRF_K
from engine.memory.types import MemoryHit, MemoryItem
from engine.tools.base import ToolContext
from engine.tools.builtin.memory_tools import clear_winner, forget_query, ids_of_turns, memory_line, search_query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Что ты помнишь обо мне?", ""),
        ("что ты помнишь про меня", ""),
        ("что ты знаешь обо мне", ""),
        ("что ты помнишь о моей сестре", "моей сестре"),
        ("Что ты знаешь про мою работу?", "мою работу"),
        ("что ты помнишь", ""),
        ("What do you remember about me?", ""),
        ("what do you remember about my sister", "my sister"),
        ("what do you know about my job", "my job"),
        ("What do you know about me?", ""),
        # general questions and other words: not memory searches
        ("что ты знаешь о чёрных дырах", None),
        ("what do you know about black holes", None),
        ("do you remember what we talked about", None),
        ("я помню тот день", None),
        ("", None),
    ],
)
def test_search_topic(text: str, query: str | None) -> None:
    assert search_query(text) == query


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("забудь это", ""),
        ("Забудь, что я сказал.", ""),
        ("забудь что я только что сказала", ""),
        ("забудь об этом пожалуйста", ""),
        ("забудьте последнее", ""),
        ("Forget that", ""),
        ("forget what I just said", ""),
        ("please forget everything I just said", ""),
        ("forget about that", ""),
        ("забудь, как зовут мою сестру", "как зовут мою сестру"),
        ("забудь про мою сестру, пожалуйста", "мою сестру"),
        ("Sova, forget about my sister", "my sister"),
        ("forget my address", "my address"),
        ("can you forget where I work", "where I work"),
        # reminders, statements, and "never mind": not requests to forget
        ("не забудь купить хлеб", None),
        ("Не забудьте выключить свет", None),
        ("я забыл ключи дома", None),
        ("I forgot my keys", None),
        ("don't forget to buy milk", None),
        ("I always forget my password", None),
        ("forget it", None),
        ("", None),
    ],
)
def test_forget_topic(text: str, query: str | None) -> None:
    assert forget_query(text) == query


def _item(memory_id: int, conversation: int | None, turn: int | None, *, superseded: int | None = None) -> MemoryItem:
    return MemoryItem(
        memory_id, "fact", f"fact {memory_id}", "en", "q", 0.0, conversation, turn, "", (), None, superseded
    )


def test_ids_of_turns_keeps_current_memories_of_those_turns() -> None:
    items = [_item(1, 7, 3), _item(2, 7, 4), _item(3, 8, 4), _item(4, 7, 4, superseded=5), _item(5, 7, None)]
    assert ids_of_turns(items, 7, [4]) == [2]
    assert ids_of_turns(items, 7, [3, 4]) == [1, 2]
    assert ids_of_turns(items, 9, [4]) == []


def test_a_memory_line_has_its_date_and_quotes_its_text() -> None:
    zone = ZoneInfo("Europe/Moscow")
    made = datetime(2026, 11, 28, 23, 30, tzinfo=zone).timestamp()
    item = MemoryItem(1, "fact", "x" * 200, "en", "q", made, None, None, "", (), None, None)
    now = datetime(2026, 11, 29, 10, 0, tzinfo=zone)
    ru = memory_line(item, ToolContext("ru", now))
    assert ru.startswith("28.11.2026: «xxx") and ru.endswith("…»") and len(ru) < 200
    assert memory_line(item, ToolContext("en", now)).startswith('2026-11-28: "xxx')


FIRST_IN_BOTH = 2 / (RRF_K + 1)
FIRST_IN_ONE = 1 / (RRF_K + 1)


@pytest.mark.parametrize(
    ("scores", "winner"),
    [
        ([FIRST_IN_BOTH], 1),
        ([FIRST_IN_BOTH, FIRST_IN_ONE], 1),
        ([1 / (RRF_K + 1) + 1 / (RRF_K + 3), 1 / (RRF_K + 2)], 1),
        ([FIRST_IN_ONE], None),  # one ranking alone (meaning without the words): not enough to delete
        ([FIRST_IN_ONE, 1 / (RRF_K + 2)], None),
        ([FIRST_IN_BOTH, 1 / (RRF_K + 2) + 1 / (RRF_K + 2)], None),  # a close second: ask which
        ([], None),
    ],
)
def test_forget_deletes_only_a_clear_winner(scores: list[float], winner: int | None) -> None:
    hits = [MemoryHit(_item(i, 1, 1), score) for i, score in enumerate(scores, 1)]
    best = clear_winner(hits)
    assert (best.id if best else None) == winner
