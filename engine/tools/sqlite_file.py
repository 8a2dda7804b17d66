"""A tool's own small SQLite file (notes, reminders): created with its schema, one connection per call."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from engine.errors import ErrorCode, SovaError


class SqliteFile:
    """The file at `path` with `schema` applied; a clear error when it cannot be opened."""

    def __init__(self, path: Path, schema: str, what: str) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(schema)
        except (OSError, sqlite3.Error) as exc:
            raise SovaError(
                f"cannot open the {what} file {path}: {exc}",
                code=ErrorCode.HISTORY_FAILED,
                hint="check that the data folder is writable (paths.data_dir in config.toml)",
            ) from exc

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits when the block ends (rolls back on an error) and then closes."""
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db
