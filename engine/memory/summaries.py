"""Summaries of finished conversations (seed 4's reflections), kept only when they say something new.

The text generator is injected: the primary model (`llm_generate`) or, for long conversations when it is
installed, the on-demand MoE's `long_context` use case (an async function; see `summarise_async`).
Novelty is cosine similarity against the summaries already stored (`is_novel`, pure).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import numpy as np
import numpy.typing as npt

from engine.memory.types import NewMemory
from engine.stages.base import ChatMessage, LanguageModel, SamplingParams

#: (instruction, transcript) -> summary text
Generate = Callable[[str, str], str]
AsyncGenerate = Callable[[str, str], Awaitable[str]]

#: a new summary closer than this (cosine, multilingual-e5) to a stored one says nothing new; measured
#: on paraphrased vs different conversations, see docs/memory.md "Measured"
NOVELTY_THRESHOLD = 0.92
#: conversations with fewer of the user's messages are not worth a summary
MIN_USER_MESSAGES = 2
MAX_SUMMARY_CHARS = 600
MAX_TRANSCRIPT_CHARS = 12_000

_INSTRUCTION = {
    "en": "Summarise this conversation between the user and the assistant Sova in 1-3 short sentences: "
    "what the user talked about, asked for or decided. Write only the summary.",
    "ru": "Кратко (1-3 предложения) перескажи этот разговор пользователя с ассистентом Сова: о чём говорил "
    "пользователь, что просил или решил. Напиши только пересказ.",
}


def summary_request(messages: Sequence[ChatMessage], language: str) -> tuple[str, str] | None:
    """The instruction and transcript to summarise, or None when the conversation is too short (pure).

    A transcript too long for `MAX_TRANSCRIPT_CHARS` keeps its end (the MoE trims to its context itself).
    """
    said = [m for m in messages if m.role in ("user", "assistant") and m.content.strip()]
    if sum(1 for m in said if m.role == "user") < MIN_USER_MESSAGES:
        return None
    lines = [f"{'User' if m.role == 'user' else 'Sova'}: {' '.join(m.content.split())}" for m in said]
    transcript = "\n".join(lines)[-MAX_TRANSCRIPT_CHARS:]
    return _INSTRUCTION["ru" if language == "ru" else "en"], transcript


def summary_memory(
    text: str, messages: Sequence[ChatMessage], *, conversation_id: int | None, language: str
) -> NewMemory | None:
    """The generated text as a summary memory (None when empty); its quote is the user's first words."""
    clean = " ".join(text.split())[:MAX_SUMMARY_CHARS]
    if not clean:
        return None
    first = next((m.content.strip() for m in messages if m.role == "user" and m.content.strip()), "")
    return NewMemory(
        kind="summary", text=clean, language=language, source_quote=first[:200],
        conversation_id=conversation_id, subject="conversation.summary",
    )


def summarise(
    messages: Sequence[ChatMessage], generate: Generate, *, conversation_id: int | None, language: str
) -> NewMemory | None:
    """Summarise a finished conversation with `generate` (blocking); None when it is too short or empty."""
    request = summary_request(messages, language)
    if request is None:
        return None
    return summary_memory(generate(*request), messages, conversation_id=conversation_id, language=language)


async def summarise_async(
    messages: Sequence[ChatMessage], generate: AsyncGenerate, *, conversation_id: int | None, language: str
) -> NewMemory | None:
    """`summarise` with an async generator (the MoE's `long_context`: ``(await moe.handle(...)).summary``)."""
    request = summary_request(messages, language)
    if request is None:
        return None
    return summary_memory(await generate(*request), messages, conversation_id=conversation_id, language=language)


def llm_generate(llm: LanguageModel, *, max_tokens: int = 160) -> Generate:
    """A `Generate` over a loaded chat model (the primary), greedy."""

    def generate(instruction: str, transcript: str) -> str:
        messages = [ChatMessage("system", instruction), ChatMessage("user", transcript)]
        params = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=max_tokens)
        return "".join(llm.stream_chat(messages, params))

    return generate


def is_novel(
    vector: npt.NDArray[np.float32], existing: npt.NDArray[np.float32], threshold: float = NOVELTY_THRESHOLD
) -> tuple[bool, float]:
    """Whether a summary's (L2-normalised) vector is new against stored ones, and its highest cosine (pure)."""
    if existing.size == 0:
        return True, 0.0
    best = float(np.max(existing.reshape(-1, vector.shape[-1]) @ vector.reshape(-1)))
    return best <= threshold, best
