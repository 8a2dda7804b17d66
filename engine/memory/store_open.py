"""Opening the memory database: damaged, locked and unwritable files become one clear `MemoryStoreError`.

A damaged file is never deleted: `quarantine` renames it aside for recovery.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from engine.errors import ErrorCode, SovaError
from engine.memory.store_schema import SCHEMA_VERSION, migrate

SQLITE_HEADER = b"SQLite format 3\x00"
#: how long a write waits for another process's lock before the file counts as locked
LOCK_TIMEOUT_S = 2.0


class MemoryStoreError(SovaError):
    """The memory database cannot be opened or written; `reason`: "corrupt", "locked", "newer" or "unavailable"."""

    # TODO(lead): a MEMORY_FAILED code; HISTORY_FAILED is the closest existing one
    code = ErrorCode.HISTORY_FAILED

    def __init__(self, message: str, *, reason: str, path: Path, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason
        self.path = path


def _corrupt(path: Path, why: str) -> MemoryStoreError:
    return MemoryStoreError(
        f"the memory database {path} is damaged ({why})",
        reason="corrupt",
        path=path,
        hint="starting Sova moves it aside (memory.sqlite3.corrupt-<time>, kept for recovery: sqlite3's "
        "`.recover` may save what it held) and begins an empty memory",
    )


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the database at `path`, check it and bring its schema up to date."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size > 0:
            with path.open("rb") as fh:
                if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                    raise _corrupt(path, "not an SQLite database")
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=LOCK_TIMEOUT_S)
    except OSError as exc:
        raise MemoryStoreError(
            f"cannot open the memory database {path}: {exc}",
            reason="unavailable",
            path=path,
            hint="check that the data folder is writable (config [paths] data_dir or $SOVA_DATA_DIR)",
        ) from exc
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        check = db.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise _corrupt(path, f"quick_check: {check[0] if check else 'no answer'}")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            # written by a newer Sova: sound, just not ours to change (never quarantined)
            raise MemoryStoreError(
                f"the memory database {path} was written by a newer Sova "
                f"(schema {version}, this one knows {SCHEMA_VERSION})",
                reason="newer",
                path=path,
                hint="update Sova, or move the file aside to start an empty memory",
            )
        migrate(db)
    except MemoryStoreError:
        db.close()
        raise
    except sqlite3.OperationalError as exc:
        db.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise MemoryStoreError(
                f"the memory database {path} is locked by another program",
                reason="locked",
                path=path,
                hint="close the other Sova (or the program holding the file) and start again",
            ) from exc
        raise _corrupt(path, str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        db.close()
        raise _corrupt(path, str(exc)) from exc
    return db


def quarantine(path: Path) -> Path:
    """Rename a damaged database (and its -wal/-shm files) aside for recovery; return the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(aside.with_name(aside.name + suffix))
    return aside
