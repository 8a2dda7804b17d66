"""Consent per endpoint: normalising URLs, loopback, the store, `sova consent`, what the window asks for."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from app.commands.consent import run_consent
from engine.errors import SovaError
from engine.privacy.consent import ConsentStore, endpoint_of, is_loopback
from engine.privacy.guard import may_connect, needs_consent
from tests.conftest import make_config


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080"),
        ("HTTPS://GPU.Home/v1/", "https://gpu.home:443"),
        ("https://gpu.home:443", "https://gpu.home:443"),
        ("http://gpu.home", "http://gpu.home:80"),
        ("http://[::1]:11434/v1", "http://[::1]:11434"),
        ("  http://10.0.0.5:8000/v1/chat  ", "http://10.0.0.5:8000"),
    ],
)
def test_endpoint_is_scheme_host_port(url: str, endpoint: str) -> None:
    assert endpoint_of(url) == endpoint


@pytest.mark.parametrize("url", ["ftp://gpu.home", "gpu.home:8080", "http://", "http://gpu.home:port"])
def test_a_bad_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(SovaError, match="not a server address"):
        endpoint_of(url)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.8.9.10/v1", True),
        ("http://localhost:11434", True),
        ("http://[::1]:8000", True),
        ("http://192.168.1.20:8080", False),
        ("http://localhost.evil.com", False),
        ("http://128.0.0.1", False),
        ("https://api.example.com/v1", False),
    ],
)
def test_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_grant_list_revoke(tmp_path: Path) -> None:
    store = ConsentStore(tmp_path / "consent.json")
    assert not store.granted("https://gpu.home/v1")
    entry = store.grant("https://GPU.home:443/v1")
    assert entry.endpoint == "https://gpu.home:443" and entry.granted_at[:4].isdigit()
    assert store.grant("https://gpu.home/other") == entry  # the same endpoint: kept, same date
    assert store.granted("https://gpu.home/v1") and not store.granted("http://gpu.home/v1")
    assert [e.endpoint for e in ConsentStore(tmp_path / "consent.json").entries()] == ["https://gpu.home:443"]
    data = json.loads((tmp_path / "consent.json").read_text(encoding="utf-8"))
    assert data["endpoints"]["https://gpu.home:443"]["granted_at"] == entry.granted_at
    assert store.revoke("https://gpu.home") is True
    assert store.revoke("https://gpu.home") is False
    assert not store.granted("https://gpu.home/v1") and store.entries() == []


def test_an_unreadable_store_grants_nothing_and_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "consent.json"
    path.write_text("{not json", encoding="utf-8")
    store = ConsentStore(path)
    assert store.granted("https://gpu.home") is False
    with pytest.raises(SovaError, match="unreadable") as err:
        store.grant("https://gpu.home")
    assert err.value.hint is not None and str(path) in err.value.hint
    assert path.read_text(encoding="utf-8") == "{not json"


REMOTE: dict[str, Any] = {
    "privacy": {"allow_external": True},
    "llm": {
        "primary": {"provider": "openai", "base_url": "https://gpu.home:8080/v1", "model": "big"},
        "secondary": {"provider": "openai", "base_url": "http://127.0.0.1:8080/v1", "model": "m"},
    },
}


def test_needs_consent_lists_the_remote_endpoints_waiting(tmp_path: Path) -> None:
    config = make_config(REMOTE)
    store = ConsentStore(tmp_path / "consent.json")
    assert needs_consent(config, store) == ["https://gpu.home:8080"]  # loopback needs none
    store.grant("https://gpu.home:8080")
    assert needs_consent(config, store) == []
    assert needs_consent(make_config(), store) == []


@pytest.mark.parametrize(
    ("allow", "url", "granted", "allowed"),
    [
        (False, "http://127.0.0.1:8080", False, False),
        (True, "http://127.0.0.1:8080", False, True),
        (True, "https://gpu.home", False, False),
        (True, "https://gpu.home", True, True),
        (False, "https://gpu.home", True, False),
    ],
)
def test_may_connect(tmp_path: Path, allow: bool, url: str, granted: bool, allowed: bool) -> None:
    store = ConsentStore(tmp_path / "consent.json")
    if granted:
        store.grant(url)
    verdict = may_connect(allow, url, store)
    assert verdict.allowed is allowed
    if not allowed:
        assert ("allow_external" in verdict.reason) if not allow else ("sova consent grant" in verdict.reason)


def test_sova_consent_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOVA_DATA_DIR", str(tmp_path))
    config = make_config(REMOTE)

    def run(*argv: str) -> tuple[int, str]:
        args = argparse.Namespace(consent_command=argv[0], url=argv[1] if len(argv) > 1 else None)
        code = run_consent(config, args)
        return code, capsys.readouterr().out

    code, out = run("list")
    assert code == 0 and "no endpoint has consent" in out and "NO consent" in out and "loopback" in out
    code, out = run("grant", "https://GPU.home:8080/v1")
    assert code == 0 and "https://gpu.home:8080" in out
    assert ConsentStore(tmp_path / "consent.json").granted("https://gpu.home:8080")
    code, out = run("list")
    assert "https://gpu.home:8080  since " in out and "consent given" in out
    assert run("revoke", "https://gpu.home:8080/v1")[0] == 0
    assert run("revoke", "https://gpu.home:8080/v1")[0] == 1
