"""A remote language model as the turn sees it: scrubbed going out, restored coming back, local when it fails.

`ScrubbingModel` wraps a remote `LanguageModel` (engine.stages.llm.openai_compat). Every message of
a request (system prompt, memories, history, the question) is scrubbed with one placeholder table, so
the same phone in two messages is the same ``[PHONE_1]``; the streamed reply is restored piece by
piece. It records, per call, where the request went and which kinds were scrubbed (`external_use`)
and the messages exactly as sent (`last_sent`), for `sova ask --json` and the window.

When the server fails before the first piece (unreachable, 401, 429, 5xx, a timeout) or the endpoint
has no consent, the local `fallback` answers that turn (`on_failure = "local"`) and `notice` says so;
with `on_failure = "fail"`, or when it fails mid-reply, the StageError is raised (after the pieces
already given, which stay said).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from engine.errors import SovaError, StageError
from engine.events import ExternalUse
from engine.privacy.consent import ConsentStore
from engine.privacy.guard import may_connect
from engine.privacy.scrub import Restorer, Scrubbed, scrub
from engine.stages.base import ChatMessage, LanguageModel, SamplingParams

log = logging.getLogger(__name__)

Notify = Callable[[str], None]
#: wraps a local model's pieces in the device lease (the scheduler's `stream("llm", ...)`); None: as they are
Lease = Callable[[Iterator[str], Any], Iterator[str]]
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def scrub_messages(
    messages: Sequence[ChatMessage], denylist: Sequence[str]
) -> tuple[tuple[ChatMessage, ...], Scrubbed | None]:
    """Every message scrubbed with one placeholder table; the last `Scrubbed` (its mapping covers all)."""
    table: Scrubbed | None = None
    sent = []
    for m in messages:
        language = "ru" if _CYRILLIC.search(m.content) else "en"
        table = scrub(m.content, denylist=denylist, language=language, prior=table)
        sent.append(ChatMessage(m.role, table.text))
    return tuple(sent), table


class ScrubbingModel:
    """A remote `LanguageModel` behind the scrubber, with a local stand-in (see the module's docstring)."""

    is_remote = True

    def __init__(
        self,
        remote: LanguageModel,
        *,
        endpoint: str,
        denylist: Sequence[str] = (),
        fallback: LanguageModel | None = None,
        on_failure: str = "local",
        notice: Notify | None = None,
        consent: ConsentStore | None = None,
    ) -> None:
        self.remote = remote
        self.endpoint = endpoint
        self.model_id = remote.model_id
        self.denylist = tuple(denylist)
        self.fallback = fallback if on_failure == "local" else None
        self._notice = notice or (lambda message: log.warning("%s", message))
        self._consent = consent
        #: set by the app: the local fallback's pieces then run under the device lease like any local model
        self.lease: Lease | None = None
        self._external: ExternalUse | None = None
        self._sent: tuple[ChatMessage, ...] = ()
        self._told = ""

    @property
    def context_length(self) -> int:
        """The remote model's context (as configured)."""
        return self.remote.context_length

    def count_tokens(self, text: str) -> int:
        """The remote model's estimate (a placeholder is never longer than what it replaces, give or take)."""
        return self.remote.count_tokens(text)

    def external_use(self) -> ExternalUse | None:
        """Where the last reply came from when a remote model gave it, and the kinds scrubbed; None otherwise."""
        return self._external

    def last_sent(self) -> tuple[ChatMessage, ...]:
        """The messages of the last request exactly as they left this machine (after scrubbing)."""
        return self._sent

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """The reply's pieces, restored; the local stand-in's when the remote fails before its first piece."""
        self._external = None
        verdict = may_connect(True, self.endpoint, self._consent)  # allow_external was checked by the config
        if not verdict.allowed:  # said once at start-up (build_stages' notices) and once here, not every turn
            yield from self._stand_in(messages, params, cancel, verdict.reason, tell=verdict.reason != self._told)
            self._told = verdict.reason
            return
        sent, table = scrub_messages(messages, self.denylist)
        self._sent = sent
        restorer = Restorer(table.mapping if table else {})
        kinds = table.kinds if table else ()
        given = False
        try:
            for piece in self.remote.stream_chat(sent, params, cancel):
                shown = restorer.feed(piece)
                if shown:
                    given = True
                    self._external = ExternalUse(self.endpoint, kinds)
                    yield shown
        except StageError as exc:
            if given or self.fallback is None:
                raise
            yield from self._stand_in(messages, params, cancel, exc.message)
            return
        rest = restorer.flush()
        if rest:
            yield rest
        self._external = ExternalUse(self.endpoint, kinds)

    def close(self) -> None:
        """Close the remote model's connections (the fallback belongs to its own role)."""
        close = getattr(self.remote, "close", None)
        if close is not None:
            close()

    def _stand_in(
        self,
        messages: Sequence[ChatMessage],
        params: SamplingParams,
        cancel: threading.Event | None,
        why: str,
        *,
        tell: bool = True,
    ) -> Iterator[str]:
        if self.fallback is None:
            raise StageError("llm", why, hint='set on_failure = "local" in this [llm] role to let a local model answer')
        if tell:
            self._notice(f"the remote model at {self.endpoint} was not used ({why}); {self.fallback.model_id} answers")
        pieces = self.fallback.stream_chat(messages, params, cancel)
        yield from (self.lease(pieces, cancel) if self.lease is not None else pieces)


class Unreachable:
    """A remote model that cannot be used at all (its API key is missing): every request fails at once."""

    is_remote = True

    def __init__(self, endpoint: str, error: SovaError) -> None:
        self.model_id = f"unusable@{endpoint}"
        self._error = error

    @property
    def context_length(self) -> int:
        """A nominal context: nothing is ever sent."""
        return 4096

    def count_tokens(self, text: str) -> int:
        """A nominal count: nothing is ever sent."""
        return len(text) // 2 + 1

    def stream_chat(
        self, messages: Sequence[ChatMessage], params: SamplingParams, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Fail at once, before any piece."""
        raise StageError("llm", self._error.message, hint=self._error.hint)
