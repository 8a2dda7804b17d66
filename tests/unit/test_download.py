"""`sova models download`: huggingface_hub against a loopback server that answers like the hub.

The server implements what huggingface_hub 2.4 asks of an endpoint: `HEAD/GET /{repo}/resolve/{rev}/{file}`
with `X-Repo-Commit`, `ETag` (a large file's: its sha256, as for LFS) and `Content-Length`, Range
requests (206), and for folder models `/api/models/{repo}/revision/{rev}` and `/api/models/{repo}/tree/{rev}`.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import main
from engine.errors import ModelInstallError
from engine.registry.download import download_model
from engine.registry.install import add_user_file
from engine.registry.registry import ModelProvider, Registry

COMMIT = "c0ffee" + "0" * 34
GGUF = b"GGUF" + bytes(range(256)) * 400  # ~100 KB
BIG = b"GGUF" + bytes(range(256)) * 48 * 1024  # 12 MiB: huggingface_hub writes in 10 MiB chunks
VOICE, VOICE_JSON = b"ONNX voice " * 300, b'{"audio": {"sample_rate": 22050}}'
WHISPER = {"config.json": b"{}", "model.bin": b"CT2 " * 5000, "vocabulary.txt": b"a\nb\n", "onnx/big.onnx": b"x" * 99}


class FakeHub(ThreadingHTTPServer):
    """Repositories in memory; counts requests; can cut the first GET of a file half way."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.repos: dict[str, dict[str, bytes]] = {
            "toy/gguf": {"toy.gguf": GGUF},
            "toy/big": {"big.gguf": BIG},
            "rhasspy/voices": {"ru/v.onnx": VOICE, "ru/v.onnx.json": VOICE_JSON},
            "toy/whisper": WHISPER,
        }
        self.log: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self.cut_first_get = False
        self.corrupt = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def gets(self, suffix: str) -> int:
        return sum(1 for m, p, _ in self.log if m == "GET" and p.endswith(suffix))


def _etag(data: bytes) -> str:
    # the hub's ETag: the sha256 of an LFS file, the git blob sha1 of a small text file
    return hashlib.sha256(data).hexdigest() if len(data) > 1000 else hashlib.sha1(data).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _json(self, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _serve(self, *, body: bool) -> None:
        path = self.path.split("?")[0]
        self.server.log.append((self.command, path, self.headers.get("Range")))
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 6:
            repo, what = "/".join(parts[2:4]), parts[4]
            files = self.server.repos[repo]
            if what == "revision":
                return self._json({"id": repo, "sha": COMMIT, "siblings": [{"rfilename": f} for f in files]})
            entries = [
                {"type": "file", "path": f, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                | ({"lfs": {"oid": _etag(d), "size": len(d), "pointerSize": 134}} if len(d) > 1000 else {})
                for f, d in files.items()
            ]
            return self._json(entries)
        repo, filename = "/".join(parts[:2]), "/".join(parts[4:])
        data = self.server.repos.get(repo, {}).get(filename)
        if parts[2:3] != ["resolve"] or data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound" if repo in self.server.repos else "RepoNotFound")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = _etag(data)
        if self.server.corrupt:
            data = data[:-1] + b"!"
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
        self.send_response(206 if start else 200)
        self.send_header("ETag", f'"{etag}"')
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if not body:
            return
        if self.server.cut_first_get and self.server.gets(filename) == 1 and not start:
            self.wfile.write(data[: len(data) - 1024 * 1024])  # then the connection drops
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data[start:])


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    server = FakeHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def manifest(model_id: str, source: dict[str, Any], **changes: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "id": model_id,
        "family": "toy",
        "role": "lightweight",
        "path": f"toy/{model_id}.gguf",
        "format": "gguf",
        "quant": "Q4_0",
        "context_length": 512,
        "capabilities": ["chat"],
        "revision": "2026-11-29",
        "checksum_sha256": None,
        "adapter": "llama_cpp",
        "kind": "llm",
        "languages": ["en"],
        "source": {"kind": "manual", "url": "https://example.invalid/toy", "revision": "main"} | source,
    }
    m.update(changes)
    return m


MANIFESTS = {
    "toy-1m-test-q4_0-v1.0": manifest("toy-1m-test-q4_0-v1.0", {"repo_id": "toy/gguf", "filename": "toy.gguf"}),
    "toy-1m-big-q4_0-v1.0": manifest("toy-1m-big-q4_0-v1.0", {"repo_id": "toy/big", "filename": "big.gguf"}),
    "toy-voice": manifest(
        "toy-voice",
        {"repo_id": "rhasspy/voices", "filename": "ru/v.onnx"},
        kind="tts",
        adapter="piper",
        format="piper",
        quant=None,
        path="piper/v.onnx",
        context_length=None,
    ),
    "toy-whisper": manifest(
        "toy-whisper",
        {"repo_id": "toy/whisper", "exclude": ["onnx/*"]},
        kind="stt",
        adapter="faster_whisper",
        format="ctranslate2",
        quant="int8",
        path="toy-whisper",
        context_length=None,
    ),
}


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    folder = tmp_path / "manifests"
    folder.mkdir()
    for model_id, data in MANIFESTS.items():
        (folder / f"{model_id}.yaml").write_text(yaml.safe_dump(data))
    registry = Registry.from_dirs([folder], tmp_path / "models", tmp_path / "state")
    assert registry.problems == []
    return registry


def fetch(provider: ModelProvider, hub: FakeHub, tmp_path: Path) -> Path:
    return download_model(provider, cache_dir=tmp_path / "hub-cache", endpoint=hub.url)


def test_a_gguf_is_fetched_checked_against_the_hubs_sha256_and_cached(
    registry: Registry, hub: FakeHub, tmp_path: Path
) -> None:
    provider = registry.get("toy-1m-test-q4_0-v1.0")
    path = fetch(provider, hub, tmp_path)
    assert path.read_bytes() == GGUF and path.name == "toy.gguf"
    assert hub.gets("toy.gguf") == 1
    assert fetch(provider, hub, tmp_path) == path  # the cache: nothing downloaded twice
    assert hub.gets("toy.gguf") == 1


def test_a_dropped_connection_is_resumed_with_a_range_request(registry: Registry, hub: FakeHub, tmp_path: Path) -> None:
    hub.cut_first_get = True
    path = fetch(registry.get("toy-1m-big-q4_0-v1.0"), hub, tmp_path)
    assert path.read_bytes() == BIG
    ranges = [r for m, p, r in hub.log if m == "GET"]
    assert ranges[0] is None and len(ranges) == 2, ranges
    resumed_at = int(str(ranges[1]).removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at < len(BIG)  # the second request asked only for the rest


def test_a_corrupted_transfer_is_refused_and_not_kept(registry: Registry, hub: FakeHub, tmp_path: Path) -> None:
    hub.corrupt = True
    provider = registry.get("toy-1m-test-q4_0-v1.0")
    with pytest.raises(ModelInstallError, match="sha256 .* expected " + hashlib.sha256(GGUF).hexdigest()):
        fetch(provider, hub, tmp_path)
    hub.corrupt = False
    assert fetch(provider, hub, tmp_path).read_bytes() == GGUF  # the bad copy was not left in the cache
    assert hub.gets("toy.gguf") == 2


def test_the_manifests_checksum_wins(hub: FakeHub, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    data = MANIFESTS["toy-1m-test-q4_0-v1.0"] | {"checksum_sha256": "a" * 64}
    (folder / "x.yaml").write_text(yaml.safe_dump(data))
    provider = Registry.from_dirs([folder], tmp_path / "models", tmp_path / "state").get(data["id"])
    with pytest.raises(ModelInstallError, match=r"expected a{64}"):
        fetch(provider, hub, tmp_path)


def test_a_voice_comes_with_its_json_and_is_added(registry: Registry, hub: FakeHub, tmp_path: Path) -> None:
    provider = registry.get("toy-voice")
    path = fetch(provider, hub, tmp_path)
    assert path.with_name("v.onnx.json").read_bytes() == VOICE_JSON
    add_user_file(provider, path)  # what `sova models download` does for a model the gate does not measure
    assert provider.status().installed and provider.path.with_name("v.onnx.json").exists()


def test_a_folder_model_is_a_snapshot_without_the_excluded_files(
    registry: Registry, hub: FakeHub, tmp_path: Path
) -> None:
    provider = registry.get("toy-whisper")
    folder = fetch(provider, hub, tmp_path)
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["config.json", "model.bin", "vocabulary.txt"]
    add_user_file(provider, folder)
    assert (provider.path / "model.bin").read_bytes() == WHISPER["model.bin"]
    assert provider.verify(force=True).verified is True


def test_without_a_network_it_says_so_at_once_and_how_to_add_a_file(registry: Registry, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(ModelInstallError) as info:
        download_model(registry.get("toy-1m-test-q4_0-v1.0"), cache_dir=tmp_path / "c", endpoint=closed)
    assert time.monotonic() - started < 6  # not huggingface_hub's ~25 s of retries
    text = str(info.value)
    assert "no network" in text and closed in text
    assert "sova models add FILE --manifest toy-1m-test-q4_0-v1.0" in text


def test_a_manifest_without_a_structured_source_says_where_to_get_it(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    data = MANIFESTS["toy-1m-test-q4_0-v1.0"] | {"source": {"kind": "manual", "url": "https://example.invalid/x"}}
    (folder / "x.yaml").write_text(yaml.safe_dump(data))
    provider = Registry.from_dirs([folder], tmp_path / "models", tmp_path / "state").get(data["id"])
    with pytest.raises(ModelInstallError, match="no Hugging Face source"):
        download_model(provider, endpoint="http://127.0.0.1:9")


def test_the_cli_downloads_a_voice_and_lists_what_is_active(
    registry: Registry,
    hub: FakeHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\nmodels_dir = "{tmp_path / "models"}"\nmanifests_dirs = ["{tmp_path / "manifests"}"]\n'
        '[llm.lightweight]\nid = "toy-1m-test-q4_0-v1.0"\n'
    )
    monkeypatch.setenv("SOVA_CONFIG", str(config))
    monkeypatch.setenv("SOVA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    assert main(["models", "download", "toy-voice"]) == 0
    assert "added toy-voice" in capsys.readouterr().out
    assert main(["models", "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["toy-voice"]["installed"] is True and rows["toy-voice"]["active"] is False
    assert rows["toy-1m-test-q4_0-v1.0"]["active_as"] == ["llm.lightweight"]
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert main(["models", "download", "toy-1m-test-q4_0-v1.0"]) == 6
    assert "no network" in capsys.readouterr().err
