"""Fit a chat prompt into the model's context window (pure).

The leading system message(s) are kept byte-identical, so the KV-cache prefix survives; the oldest
history goes first, a whole turn at a time; only when the system prompt and the user's message
alone are too long is the user's message cut, from its start (its end holds the actual question).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.stages.base import ChatMessage

#: chat-template tokens around each message (ChatML: <|im_start|>, role, newline, <|im_end|>, newline)
DEFAULT_MESSAGE_OVERHEAD = 5


@dataclass(frozen=True)
class FitResult:
    """The messages that fit, how many history turns were dropped, and whether the user's message was cut."""

    messages: tuple[ChatMessage, ...]
    dropped_turns: int
    truncated: bool


def prompt_tokens(
    messages: Sequence[ChatMessage],
    count_tokens: Callable[[str], int],
    per_message_overhead: int = DEFAULT_MESSAGE_OVERHEAD,
) -> int:
    """Tokens `messages` take, counting `per_message_overhead` for each message's template."""
    return sum(count_tokens(m.content) + per_message_overhead for m in messages)


def fit_messages(
    messages: Sequence[ChatMessage],
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    *,
    per_message_overhead: int = DEFAULT_MESSAGE_OVERHEAD,
) -> FitResult:
    """Drop the oldest history turns, then cut the last user message, until `messages` fit `budget_tokens`.

    `budget_tokens` is the context length minus the tokens reserved for the reply. A turn is a user
    message with the assistant reply after it (a lone leading message counts as one turn).
    """
    n_system = 0
    while n_system < len(messages) and messages[n_system].role == "system":
        n_system += 1
    system = tuple(messages[:n_system])
    rest = tuple(messages[n_system:])
    last_user = max((i for i, m in enumerate(rest) if m.role == "user"), default=None)
    history, tail = (rest, ()) if last_user is None else (rest[:last_user], rest[last_user:])

    def size(hist: Sequence[ChatMessage]) -> int:
        return prompt_tokens((*system, *hist, *tail), count_tokens, per_message_overhead)

    dropped = 0
    while history and size(history) > budget_tokens:
        pair = len(history) > 1 and history[0].role == "user" and history[1].role == "assistant"
        history = history[2:] if pair else history[1:]
        dropped += 1
    if size(history) <= budget_tokens or not tail:
        return FitResult((*system, *history, *tail), dropped, False)

    user, after = tail[0], tail[1:]
    others = prompt_tokens((*system, *after), count_tokens, per_message_overhead) + per_message_overhead
    kept = _fit_suffix(user.content, count_tokens, budget_tokens - others)
    return FitResult((*system, ChatMessage("user", kept), *after), dropped, True)


def _fit_suffix(text: str, count_tokens: Callable[[str], int], budget: int) -> str:
    """Return the longest end of `text` that takes at most `budget` tokens, starting at a word when it can."""
    if budget <= 0:
        return ""
    lo, hi = 0, len(text)  # binary search on how many characters to keep
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(text[len(text) - mid :]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    kept = text[len(text) - lo :]
    if lo < len(text) and not text[len(text) - lo - 1].isspace():
        # the cut fell inside a word: drop that word's tail rather than speak half a word
        space = next((i for i, ch in enumerate(kept) if ch.isspace()), None)
        kept = kept[space:] if space is not None else kept
    return kept.lstrip()
