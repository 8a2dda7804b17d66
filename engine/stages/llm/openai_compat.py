"""A language model on an OpenAI-compatible server (llama.cpp's server, vLLM, Ollama) via the `openai` client.

Only text goes out: the chat messages, the sampling settings, the model name. The stream is read
piece by piece; setting the cancel token (barge-in) closes the HTTP response at once, from whatever
thread sets it, so the server stops generating. There are no retries (the client's are off): a
failed request is answered by the local model instead (engine.privacy.remote_model), which is
quicker than a second try and never piles requests on a struggling server.

`count_tokens` is a local estimate, not the server's tokenizer: asking the server would add a round
trip per message while the prompt is fitted. The estimate (`estimate_tokens`) over-counts: on 67
Russian and English texts it was 5-150% above Qwen2.5's real count (about 50% over all of them,
never below), so a fitted prompt always fits, at the cost of some unused context.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from engine.errors import ModelUnavailableError, StageError
from engine.stages.base import ChatMessage, SamplingParams

#: requests one server is given at once; more wait (a remote model takes no local device lease)
MAX_CONCURRENT = 2
_SLOT_POLL_S = 0.1


def is_remote(model: object) -> bool:
    """True when `model` runs off this machine (it takes no device lease)."""
    return bool(getattr(model, "is_remote", False))


def estimate_tokens(text: str) -> int:
    """Tokens `text` takes, estimated from its characters (an over-count for BPE vocabularies).

    A digit, a punctuation mark and a space count one each (Qwen-style vocabularies split numbers
    into digits), three Latin letters one, one and a half other letters (Cyrillic) one.
    """
    digits = punct = spaces = latin = other = 0
    for c in text:
        if c.isdigit():
            digits += 1
        elif c.isspace():
            spaces += 1
        elif not c.isalnum():
            punct += 1
        elif c.isascii():
            latin += 1
        else:
            other += 1
    return math.ceil(digits + punct + spaces + latin / 3 + other / 1.5)


class OpenAICompatModel:
    """`engine.stages.base.LanguageModel` over an OpenAI-compatible chat-completions endpoint."""

    is_remote = True

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key_env: str = "",
        timeout_s: float = 30.0,
        context_length: int = 4096,
        max_concurrent: int = MAX_CONCURRENT,
    ) -> None:
        from engine.privacy.consent import endpoint_of

        self.base_url = base_url
        self.endpoint = endpoint_of(base_url)
        self.model = model
        self.model_id = f"{model}@{self.endpoint}"
        self.timeout_s = timeout_s
        self._context_length = context_length
        self._api_key = _api_key(api_key_env)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._client: Any = None  # created at the first request: building the model connects nothing

    @property
    def context_length(self) -> int:
        """Tokens the server's context holds, as configured ([llm.<role>] context_length)."""
        return self._context_length

    def count_tokens(self, text: str) -> int:
        """A local estimate of `text`'s tokens (see the module's docstring)."""
        return estimate_tokens(text) + 1

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Yield the reply's text pieces as the server sends them; stop at once when `cancel` is set."""
        if not self._take_slot(cancel):
            return
        try:
            yield from self._stream(messages, params, cancel)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the HTTP connections."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _take_slot(self, cancel: threading.Event | None) -> bool:
        while not self._slots.acquire(timeout=_SLOT_POLL_S):
            if cancel is not None and cancel.is_set():
                return False
        if cancel is not None and cancel.is_set():
            self._slots.release()
            return False
        return True

    def _stream(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None
    ) -> Iterator[str]:
        import openai

        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if params.stop:
            kwargs["stop"] = list(params.stop)
        if params.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": params.json_schema}
        try:
            stream = self._live().chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            raise self._error(exc, started=False) from exc
        remove = getattr(cancel, "on_set", lambda _cb: lambda: None)(stream.close)
        finished = False
        try:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    return
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                piece = choice.delta.content if choice.delta is not None else None
                if piece:
                    yield piece
                finished = finished or choice.finish_reason is not None
        except Exception as exc:  # closing the response under a blocked read may raise anything httpx has
            if cancel is not None and cancel.is_set():
                return  # we closed the stream ourselves (barge-in)
            raise self._error(exc, started=True) from exc
        finally:
            remove()
            stream.close()
        if not finished and not (cancel is not None and cancel.is_set()):
            raise StageError(
                "llm",
                f"the reply from {self.endpoint} was cut off mid-stream (no end of reply came)",
                hint="the server may have restarted or run out of memory: see its log",
            )

    def _live(self) -> Any:
        if self._client is None:
            import openai

            # max_retries=0: a failure is answered locally, never by a storm of retries
            self._client = openai.OpenAI(
                base_url=self.base_url, api_key=self._api_key, timeout=self.timeout_s, max_retries=0
            )
        return self._client

    def _error(self, exc: Exception, *, started: bool) -> StageError:
        """`exc` as a StageError that says what happened and what to do."""
        import openai

        where = self.endpoint
        status = getattr(exc, "status_code", None)
        if isinstance(exc, openai.APITimeoutError):
            return StageError(
                "llm",
                f"{where} did not answer within {self.timeout_s:g} s",
                hint="the server may be overloaded; raise timeout_s of this [llm] role, or use a smaller model there",
            )
        if isinstance(exc, openai.APIConnectionError):
            what = "the connection to {} broke mid-reply" if started else "cannot reach {}"
            return StageError(
                "llm", what.format(where), hint="is the server running and base_url right? try: curl " + self.base_url
                + "/models"
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return StageError(
                "llm",
                f"{where} refused the request ({status}: wrong or missing API key)",
                hint="set the environment variable named by api_key_env of this [llm] role to the server's key",
            )
        if isinstance(exc, openai.RateLimitError):
            return StageError("llm", f"{where} is rate-limiting requests (429)", hint="wait a little and ask again")
        if isinstance(exc, openai.NotFoundError):
            return StageError(
                "llm",
                f"{where} does not know the model {self.model!r} (404)",
                hint=f"set model of this [llm] role to a name from {self.base_url}/models",
            )
        if isinstance(exc, openai.APIStatusError):
            kind = "failed" if status is not None and status >= 500 else "refused the request"
            return StageError(
                "llm", f"{where} {kind} ({status}): {exc.message}", hint="see the server's log for the reason"
            )
        what = f"the stream from {where} failed mid-reply" if started else f"{where} failed"
        return StageError("llm", f"{what}: {exc}", hint="see the server's log for the reason")


def _api_key(name: str) -> str:
    """The key from the environment variable `name`; a placeholder when no key is configured."""
    if not name:
        return "sova-no-key"  # local servers ignore it; the client refuses an empty one
    value = os.environ.get(name, "")
    if not value:
        raise ModelUnavailableError(
            f"the environment variable {name} (api_key_env) is not set",
            hint=f"export {name}=<the server's key> before starting Sova, or set api_key_env = \"\" for no key",
        )
    return value
