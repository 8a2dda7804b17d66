"""The memory suite's scoring (pure, by table), its scenario files, and the answer run's orchestration."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from engine.errors import SovaError
from engine.eval.memory_suite import (
    SCENARIOS,
    answer_correct,
    first_relevant,
    is_abstention,
    is_relevant,
    load_scenarios,
    run_answers,
)
from engine.memory.types import MemoryHit, MemoryItem


@pytest.mark.parametrize(
    ("reply", "abstains"),
    [
        ("I don't know your mother's name.", True),
        ("I do not know that.", True),
        ("You haven't told me that yet.", True),
        ("You never mentioned it.", True),
        ("I don’t have that information.", True),
        ("I'm not sure, you didn't tell me.", True),
        ("Не знаю.", True),
        ("Вы не говорили мне об этом.", True),
        ("Ты мне ещё не рассказывал.", True),
        ("Мне это не известно.", True),
        ("У меня нет информации о вашей маме.", True),
        ("Your sister lives in Berlin.", False),
        ("Ваш кот Барсик.", False),
        ("I know! Your dog is Rex.", False),
        ("Знаю: вы живёте в Москве.", False),
    ],
)
def test_is_abstention(reply: str, abstains: bool) -> None:
    assert is_abstention(reply) is abstains


@pytest.mark.parametrize(
    ("reply", "expect", "ok"),
    [
        ("Your cat is called Barsik.", ("barsik", "барсик"), True),
        ("Вашего кота зовут Барсик.", ("барсик", "barsik"), True),
        ("Вы живёте в Москве.", ("москв", "moscow"), True),  # an inflected form through its stem
        ("Ваш любимый чай — зелёный.", ("зеленый",), True),  # ё folded
        ("You live in Kazan.", ("moscow", "москв"), False),
        ("I don't know whether you live in Moscow.", ("moscow",), False),  # an abstention is not an answer
    ],
)
def test_answer_correct(reply: str, expect: tuple[str, ...], ok: bool) -> None:
    assert answer_correct(reply, expect) is ok


def item(text: str, quote: str = "") -> MemoryItem:
    return MemoryItem(1, "fact", text, "ru", quote, 0.0, 1, 1, "", (), None, None)


def test_relevance_and_rank() -> None:
    assert is_relevant(item("The user's cat is named Barsik.", "У меня есть кот Барсик"), ("Барсик",))
    assert is_relevant(item("Пользователь живёт в Москве."), ("Москв", "Moscow"))
    assert not is_relevant(item("The user lives in Kazan."), ("Moscow",))
    hits = [MemoryHit(item("Kazan"), 0.3), MemoryHit(item("Moscow"), 0.2)]
    assert first_relevant(hits, ("moscow",)) == 2
    assert first_relevant(hits, ("omsk",)) is None


def test_the_scenario_set_is_valid_and_large_enough() -> None:
    s = load_scenarios()
    assert len(s.questions) >= 40
    langs = [q.language for q in s.questions]
    assert abs(langs.count("ru") - langs.count("en")) <= 4
    assert sum(q.abstain for q in s.questions) >= 8
    assert sum("cross_language" in q.tags for q in s.questions) >= 10
    assert sum("update" in q.tags for q in s.questions) >= 4
    assert any(len(c.turns) >= 3 for c in s.conversations)
    assert (SCENARIOS / "README.md").is_file()


def test_bad_scenarios_are_reported_with_where(tmp_path: Path) -> None:
    (tmp_path / "01_bad.yaml").write_text(yaml.safe_dump({
        "conversations": [{"id": "c", "turns": [{"user": "", "language": "en"}]}],
        "questions": [
            {"id": "q", "question": "?", "language": "de", "golden": ["x"], "expect": ["x"]},
            {"id": "q", "question": "?", "language": "en"},  # neither expect nor abstain, and a repeated id
        ],
    }))
    with pytest.raises(SovaError) as err:
        load_scenarios(tmp_path)
    text = str(err.value)
    assert "01_bad.yaml: conversations[0].turns[0]" in text
    assert "language must be ru or en" in text
    assert "either golden + expect, or abstain" in text
    assert "used twice" in text


def test_run_answers_tells_then_asks_in_new_conversations() -> None:
    s = load_scenarios(files=["06"])
    log: list[str] = []

    async def ask(text: str, language: str) -> str:
        log.append(text)
        return "Вы живёте в Москве, а работаете учителем (teacher)."

    def new_conversation() -> None:
        log.append("<new>")

    report = asyncio.run(run_answers(ask, new_conversation, s))
    told = sum(len(c.turns) for c in s.conversations)
    assert log.count("<new>") == len(s.conversations) + len(s.questions)
    assert len(log) == told + len(s.conversations) + 2 * len(s.questions)
    assert report.n_answer == len(s.questions) and report.accuracy == 1.0
