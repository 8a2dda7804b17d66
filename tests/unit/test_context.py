"""Fitting a prompt into the context window, with a fake word counter."""

from __future__ import annotations

import pytest

from engine.pipeline.context import fit_messages, prompt_tokens
from engine.stages.base import ChatMessage


def words(text: str) -> int:
    return len(text.split())


def s(text: str) -> ChatMessage:
    return ChatMessage("system", text)


def u(text: str) -> ChatMessage:
    return ChatMessage("user", text)


def a(text: str) -> ChatMessage:
    return ChatMessage("assistant", text)


SYS = s("you are a helper")  # 4 words
U1, A1 = u("first question one two"), a("first answer one two")  # 4 + 4
U2, A2 = u("second question one two"), a("second answer one two")
U3, A3 = u("third question one two"), a("third answer one two")
LAST = u("the actual last question")  # 4

# (messages, budget, expected messages, dropped turns, truncated)
CASES = [
    pytest.param((SYS, U1, A1, LAST), 100, (SYS, U1, A1, LAST), 0, False, id="fits"),
    pytest.param((SYS, U1, A1, LAST), 16, (SYS, U1, A1, LAST), 0, False, id="fits-exactly"),
    pytest.param((SYS, U1, A1, U2, A2, LAST), 20, (SYS, U2, A2, LAST), 1, False, id="drop-oldest-pair"),
    pytest.param((SYS, U1, A1, U2, A2, U3, A3, LAST), 16, (SYS, U3, A3, LAST), 2, False, id="drop-two-pairs"),
    pytest.param((SYS, U1, A1, U2, A2, LAST), 8, (SYS, LAST), 2, False, id="drop-all-history"),
    pytest.param((SYS, A1, U2, A2, LAST), 16, (SYS, U2, A2, LAST), 1, False, id="lone-assistant-first"),
    pytest.param((SYS, U1, U2, A2, LAST), 16, (SYS, U2, A2, LAST), 1, False, id="lone-user-first"),
    pytest.param((SYS, s("rules two"), U1, A1, LAST), 10, (SYS, s("rules two"), LAST), 1, False, id="two-systems"),
    pytest.param(
        (SYS, u("one two three four five six seven eight nine ten")),
        9,
        (SYS, u("six seven eight nine ten")),
        0,
        True,
        id="truncate-user-start",
    ),
    pytest.param(
        (SYS, U1, A1, u("one two three four five six")), 6, (SYS, u("five six")), 1, True, id="drop-then-truncate"
    ),
    pytest.param((SYS, U1, A1, LAST), 3, (SYS, u("")), 1, True, id="system-alone-too-big"),
    pytest.param((U1, A1, LAST), 4, (LAST,), 1, False, id="no-system"),
    pytest.param((SYS, A1), 4, (SYS,), 1, False, id="no-user-message"),
    pytest.param((), 10, (), 0, False, id="empty"),
]


@pytest.mark.parametrize(("messages", "budget", "expected", "dropped", "truncated"), CASES)
def test_fit_messages(
    messages: tuple[ChatMessage, ...], budget: int, expected: tuple[ChatMessage, ...], dropped: int, truncated: bool
) -> None:
    result = fit_messages(messages, words, budget, per_message_overhead=0)
    assert result.messages == expected
    assert result.dropped_turns == dropped
    assert result.truncated == truncated
    if expected and expected[0].role == "system":
        assert result.messages[0] is messages[0]  # the cached prefix stays the very same text


@pytest.mark.parametrize(
    ("budget", "expected", "dropped"),
    [
        (100, (SYS, U1, A1, LAST), 0),
        (28, (SYS, U1, A1, LAST), 0),  # 4 messages x (4 words + 3 overhead)
        (27, (SYS, LAST), 1),
        (14, (SYS, LAST), 1),
    ],
)
def test_overhead_counts_per_message(budget: int, expected: tuple[ChatMessage, ...], dropped: int) -> None:
    result = fit_messages((SYS, U1, A1, LAST), words, budget, per_message_overhead=3)
    assert result.messages == expected
    assert result.dropped_turns == dropped
    assert not result.truncated


def test_result_fits_the_budget_when_it_can() -> None:
    messages = (SYS, U1, A1, U2, A2, U3, A3, LAST)
    for budget in range(8, 40):
        result = fit_messages(messages, words, budget, per_message_overhead=1)
        assert prompt_tokens(result.messages, words, 1) <= budget


@pytest.mark.parametrize(
    ("budget", "kept"),
    [
        (3 + 16, "alpha beta gamma"),
        (3 + 11, "beta gamma"),  # " beta gamma" fits: the leading space goes
        (3 + 12, "beta gamma"),  # "a beta gamma" would start inside "alpha": that half word goes
        (3 + 5, "gamma"),
        (3 + 3, "mma"),  # no whole word fits: keep what does
    ],
)
def test_truncation_cuts_at_a_word(budget: int, kept: str) -> None:
    result = fit_messages((s("sys"), u("alpha beta gamma")), len, budget, per_message_overhead=0)
    assert result.messages == (s("sys"), u(kept))
    assert result.truncated == (kept != "alpha beta gamma")
