"""Configuration rules of remote models: the old `app.allow_external_backends` key, and cross-field checks.

`migrate_layers` reads the deprecated key as `privacy.allow_external` (a logged warning; a problem when
one file sets both differently). `remote_problems` checks what one field alone cannot: a local role
needs a manifest `id`; an "openai" role needs `base_url` and `model`; and no role may be non-local
while `privacy.allow_external` is false — that refusal is why nothing ever connects by accident.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator

log = logging.getLogger(__name__)

LEGACY_KEY = "app.allow_external_backends"
NEW_KEY = "privacy.allow_external"
Layers = list[tuple[Path, Mapping[str, Any]]]
#: a problem: (the file, the dotted key, what is wrong)
Problem = tuple[str, str, str]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
#: how API keys of well-known services begin: such a value is a key, not a variable's name
_KEY_PREFIXES = ("sk-", "sk_", "pk-", "rk-", "hf_", "gsk_", "xai-", "key-", "ghp_", "glpat-", "AIza")


def migrate_layers(layers: Layers) -> tuple[Layers, list[Problem]]:
    """Each layer with `app.allow_external_backends` moved to `privacy.allow_external`, and the conflicts."""
    migrated: Layers = []
    problems: list[Problem] = []
    for path, data in layers:
        app = data.get("app")
        if not isinstance(app, Mapping) or "allow_external_backends" not in app:
            migrated.append((path, data))
            continue
        old = app["allow_external_backends"]
        privacy = data.get("privacy")
        privacy = dict(privacy) if isinstance(privacy, Mapping) else {}
        if "allow_external" in privacy and privacy["allow_external"] != old:
            problems.append(
                (str(path), LEGACY_KEY, f"is {old!r} but {NEW_KEY} is {privacy['allow_external']!r}: "
                 f"delete {LEGACY_KEY} (it is replaced by [privacy] allow_external)")
            )
        privacy.setdefault("allow_external", old)
        log.warning(
            "%s: %s is deprecated, read as [privacy] allow_external = %r: move it there", path, LEGACY_KEY, old
        )
        new_app = {k: v for k, v in app.items() if k != "allow_external_backends"}
        migrated.append((path, {**data, "app": new_app, "privacy": privacy}))
    return migrated, problems


def source_of(layers: Layers, key: str) -> str:
    """The last file of `layers` that sets the dotted `key` (else the last file)."""
    for path, data in reversed(layers):
        node: Any = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            return str(path)
    return str(layers[-1][0]) if layers else "<config>"


def remote_problems(merged: Mapping[str, Any], layers: Layers) -> list[Problem]:
    """What the LLM roles and [privacy] of the merged, not yet validated, tables get wrong together.

    It reads the raw tables so that its problems are reported with the schema's, all at once; a value
    of a wrong type is the schema's to report and is skipped here.
    """
    problems: list[Problem] = []

    def add(key: str, what: str, blame: str = "") -> None:
        problems.append((source_of(layers, blame or key), key, what))

    llm = merged.get("llm")
    privacy = merged.get("privacy")
    allow = privacy.get("allow_external", False) if isinstance(privacy, Mapping) else False
    for role, section in (llm.items() if isinstance(llm, Mapping) else ()):
        if not isinstance(section, Mapping):
            continue
        at, provider = f"llm.{role}", section.get("provider", "local")
        if what := api_key_env_problem(section.get("api_key_env")):
            add(f"{at}.api_key_env", what)
        if provider == "local":
            if not section.get("id"):
                add(f"{at}.id", 'required with provider = "local": a manifest id (see `sova models list`)')
            continue
        if provider != "openai":
            continue
        if not section.get("base_url"):
            add(f"{at}.base_url", 'required with provider = "openai", e.g. "http://127.0.0.1:8080/v1"')
        if not section.get("model"):
            add(f"{at}.model", 'required with provider = "openai": the model name the server knows')
        if allow is not True:
            add(
                NEW_KEY,
                f'is false, but {at}.provider = "openai" would send requests to '
                f"{section.get('base_url') or 'a server'}: set [privacy] allow_external = true to allow that, "
                f'or {at}.provider = "local" (nothing is sent, nothing connects)',
                blame=f"{at}.provider",  # the file that made the role remote
            )
    return problems


def api_key_env_problem(value: Any) -> str:
    """What is wrong with an `api_key_env` value ("" when nothing): it must name a variable, never be a key.

    Checked here rather than by the schema, whose messages quote the value: a key must not be echoed.
    """
    if not isinstance(value, str) or not value:
        return ""
    looks_like_key = value.startswith(_KEY_PREFIXES) or (
        len(value) >= 24 and any(c.isdigit() for c in value) and any(c.islower() for c in value) and "_" not in value
    )
    if looks_like_key:
        return (
            "this looks like an API key itself, not the NAME of an environment variable: remove it from the file, "
            'put it in an environment variable (export SOVA_LLM_KEY=...) and set api_key_env = "SOVA_LLM_KEY"'
        )
    if not _ENV_NAME.fullmatch(value):
        return "must be the name of an environment variable (letters, digits, _), e.g. SOVA_LLM_KEY"
    return ""


def check_base_url(value: str) -> str:
    """`value` if it is empty or an http(s) URL with a host; ValueError otherwise."""
    if not value:
        return value
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError('must be an http:// or https:// URL with a host, e.g. "http://127.0.0.1:8080/v1"')
    if parts.username or parts.password:
        raise ValueError("must not hold a user name or password: put the key in the variable api_key_env names")
    return value


#: `base_url`: empty, or an http(s) URL with a host and no credentials
BaseUrl = Annotated[str, AfterValidator(check_base_url)]
