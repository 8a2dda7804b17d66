"""The rule of what may connect: nothing leaves unless allowed, and only to endpoints with consent.

With `[privacy] allow_external = false` no remote role is ever built (the config is refused before
that: engine.privacy.config_rules), so nothing connects. With it true, a loopback endpoint may be
used at once; any other host only with the user's consent (engine.privacy.consent).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import LLMRoleSection, SovaConfig
from engine.privacy.consent import ConsentStore, endpoint_of, is_loopback


@dataclass(frozen=True)
class Verdict:
    """May a request go to an endpoint, and if not, why and how to allow it."""

    allowed: bool
    reason: str = ""


def may_connect(allow_external: bool, url: str, store: ConsentStore | None) -> Verdict:
    """Whether a request may go to `url` now."""
    if not allow_external:
        return Verdict(False, "[privacy] allow_external is false: set it to true to let requests leave this machine")
    if is_loopback(url):
        return Verdict(True)
    if store is not None and store.granted(url):
        return Verdict(True)
    return Verdict(False, f"{endpoint_of(url)} has no consent: run `sova consent grant {endpoint_of(url)}`")


def llm_roles(config: SovaConfig) -> list[tuple[str, LLMRoleSection]]:
    """Every configured LLM role with its name."""
    roles = [("primary", config.llm.primary), ("lightweight", config.llm.lightweight)]
    roles += [(n, s) for n, s in (("micro", config.llm.micro), ("secondary", config.llm.secondary)) if s is not None]
    return roles


def remote_roles(config: SovaConfig) -> list[tuple[str, LLMRoleSection]]:
    """The LLM roles served by a remote server."""
    return [(role, s) for role, s in llm_roles(config) if s.provider != "local"]


def needs_consent(config: SovaConfig, store: ConsentStore) -> list[str]:
    """The configured remote endpoints still waiting for the user's consent (the window asks for these)."""
    waiting = [
        endpoint_of(s.base_url)
        for _, s in remote_roles(config)
        if not is_loopback(s.base_url) and not store.granted(s.base_url)
    ]
    return list(dict.fromkeys(waiting))
