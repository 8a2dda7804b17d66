r"""sha256 of model files and folders.

A folder model (a CTranslate2 Whisper directory, espeak-ng data) is hashed as a listing: for each
file in sorted relative-path order, the line ``<relpath>\\0<sha256 of the file>\\n``; the folder's
checksum is the sha256 of those lines. It changes when any file is added, removed or altered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

_CHUNK = 4 * 1024 * 1024

Progress = Callable[[int], None]


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """Hex sha256 of one file; `progress` is called with each chunk's byte count."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def tree_files(path: Path) -> list[Path]:
    """Regular files under a folder, sorted, hidden files (our stamps) left out."""
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def path_sha256(path: Path, progress: Progress | None = None) -> str:
    """sha256 of a file, or of a folder by the listing rule above."""
    if path.is_file():
        return file_sha256(path, progress)
    lines = hashlib.sha256()
    for f in tree_files(path):
        rel = f.relative_to(path).as_posix()
        lines.update(f"{rel}\0{file_sha256(f, progress)}\n".encode())
    return lines.hexdigest()


def path_size(path: Path) -> int:
    """Bytes of a file, or of all files in a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in tree_files(path))


def path_fingerprint(path: Path) -> str:
    """Cheap identity (sizes and mtimes) to know whether a verified model changed since."""
    files = [path] if path.is_file() else tree_files(path)
    return ";".join(f"{f.name}:{(st := f.stat()).st_size}:{st.st_mtime_ns}" for f in files)
