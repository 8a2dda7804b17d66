"""Consent per remote endpoint: which servers off this machine the user allowed, and since when.

An endpoint is a URL's scheme, host and port ("https://gpu.home:443"): consent for a server covers
every path and model on it. Loopback endpoints (127.0.0.0/8, ::1, localhost) need no consent, only
`[privacy] allow_external = true`. The store is a small JSON file in the data folder, replaced
atomically; an unreadable file grants nothing and is never overwritten by a grant.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.errors import ErrorCode, SovaError
from engine.fileio import write_atomic

log = logging.getLogger(__name__)

CONSENT_FILE = "consent.json"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def consent_file(data_dir: Path) -> Path:
    """Where the consent store of the data folder `data_dir` lives."""
    return data_dir / CONSENT_FILE


def endpoint_of(url: str) -> str:
    """`url` reduced to its endpoint, "scheme://host:port" (lower case, the default port written out)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a port that is no number
        raise _bad_url(url, str(exc)) from None
    if scheme not in _DEFAULT_PORTS or not host:
        raise _bad_url(url, "it needs http:// or https:// and a host")
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port or _DEFAULT_PORTS[scheme]}"


def is_loopback(url: str) -> bool:
    """True when `url`'s host is this machine by its address or the name localhost (nothing is resolved)."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bad_url(url: str, why: str) -> SovaError:
    return SovaError(
        f"{url!r} is not a server address: {why}",
        code=ErrorCode.CONFIG_INVALID,
        hint='give the server\'s URL, e.g. "https://gpu.home:8080/v1"',
    )


@dataclass(frozen=True)
class ConsentEntry:
    """One endpoint the user allowed, and when (ISO 8601, UTC)."""

    endpoint: str
    granted_at: str


class ConsentStore:
    """The endpoints the user allowed to receive (scrubbed) requests."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def granted(self, url: str) -> bool:
        """True when `url`'s endpoint has the user's consent (an unreadable store grants nothing)."""
        try:
            return endpoint_of(url) in self._read()
        except SovaError as exc:
            log.warning("%s", exc)
            return False

    def grant(self, url: str) -> ConsentEntry:
        """Allow `url`'s endpoint from now on (kept when already allowed); returns its entry."""
        endpoints = self._read()
        endpoint = endpoint_of(url)
        if endpoint not in endpoints:
            endpoints[endpoint] = {"granted_at": datetime.now(UTC).isoformat(timespec="seconds")}
            self._write(endpoints)
        return ConsentEntry(endpoint, str(endpoints[endpoint]["granted_at"]))

    def revoke(self, url: str) -> bool:
        """Withdraw `url`'s endpoint's consent; False when it had none."""
        endpoints = self._read()
        if endpoints.pop(endpoint_of(url), None) is None:
            return False
        self._write(endpoints)
        return True

    def entries(self) -> list[ConsentEntry]:
        """Every allowed endpoint, in the order they were allowed."""
        return [ConsentEntry(e, str(v.get("granted_at", ""))) for e, v in self._read().items()]

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise self._unreadable(str(exc)) from None
        endpoints = data.get("endpoints") if isinstance(data, dict) else None
        if not isinstance(endpoints, dict) or not all(isinstance(v, dict) for v in endpoints.values()):
            raise self._unreadable('no "endpoints" table')
        return endpoints

    def _write(self, endpoints: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, json.dumps({"version": 1, "endpoints": endpoints}, indent=2, ensure_ascii=False) + "\n")

    def _unreadable(self, why: str) -> SovaError:
        return SovaError(
            f"the consent file {self.path} is unreadable ({why}): no remote endpoint has consent",
            code=ErrorCode.CONFIG_INVALID,
            hint=f"fix or delete {self.path}, then grant again with `sova consent grant URL`",
        )
