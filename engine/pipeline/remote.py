"""Remote models in the assistant: the device lease only for local pieces, consent asked, warm-up local.

A remote role's `ScrubbingModel` (engine/privacy/remote_model.py) needs three things from the
assistant: its local stand-in runs under the device lease like any local model; the endpoints still
waiting for the user's consent are announced (`ConsentRequired`: the window asks); and the warm-up
primes the stand-in and loads the Russian name recogniser off the turn's path, never sending a request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from engine.config import SovaConfig
from engine.events import ConsentRequired, Event
from engine.pipeline.stages import Stages
from engine.privacy import names
from engine.privacy.consent import ConsentStore, consent_file
from engine.privacy.guard import needs_consent, remote_roles
from engine.scheduler.scheduler import Scheduler
from engine.stages.base import ChatMessage, LanguageModel
from engine.stages.llm.openai_compat import is_remote


def attach(stages: Stages, scheduler: Scheduler) -> None:
    """Let each remote role's local stand-in take the device lease per chunk, like a local model."""
    for llm in (stages.llm.model, stages.lightweight.model):
        if is_remote(llm) and hasattr(llm, "lease"):
            llm.lease = functools.partial(scheduler.stream, "llm")


def announce_consent(config: SovaConfig, data_dir: Path, emit: Callable[[Event], None]) -> None:
    """A `ConsentRequired` for every configured endpoint the user has not consented to yet."""
    roles = {s.base_url: role for role, s in remote_roles(config)}
    for endpoint in needs_consent(config, ConsentStore(consent_file(data_dir))):
        role = next((r for url, r in roles.items() if url.startswith(endpoint)), "primary")
        emit(ConsentRequired(endpoint, role))


def grant(data_dir: Path, endpoint: str) -> None:
    """Record the user's consent to `endpoint` (it counts from the next request)."""
    ConsentStore(consent_file(data_dir)).grant(endpoint)


def warm_model(model: LanguageModel) -> LanguageModel | None:
    """The model the warm-up should prime: a remote one's local stand-in (None: nothing local to prime)."""
    if not is_remote(model):
        return model
    fallback: LanguageModel | None = getattr(model, "fallback", None)
    return fallback


def warm_scrubber(config: SovaConfig) -> None:
    """Load the Russian name recogniser now when a remote role exists (seconds, not on a turn)."""
    if remote_roles(config):
        names.warm_up()


def sent(model: object) -> tuple[ChatMessage, ...]:
    """What the last request to a remote model carried, after scrubbing (empty for a local model)."""
    last_sent = getattr(model, "last_sent", None)
    return tuple(last_sent()) if callable(last_sent) else ()
