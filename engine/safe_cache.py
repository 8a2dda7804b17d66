"""diskcache without pickles: whoever can write a cache folder must not run code (STACK.md, CVE-2025-69872)."""

from __future__ import annotations

from typing import Any

import diskcache


def no_pickle_disk(kind: type, what: str) -> type[Any]:
    """A diskcache `Disk` class that stores and returns only values of `kind` (bytes or str), never pickles."""

    class NoPickleDisk(diskcache.Disk):  # type: ignore[misc]  # diskcache ships no type information
        def store(self, value: Any, read: bool, key: Any = diskcache.UNKNOWN) -> Any:
            if not isinstance(value, kind):
                raise TypeError(f"{what} stores {kind.__name__} only, not {type(value).__name__}")
            return super().store(value, read, key=key)

        def get(self, key: Any, raw: bool) -> Any:
            if not raw:
                raise ValueError("refusing a pickled cache key")
            return super().get(key, raw)

        def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
            if mode == diskcache.core.MODE_PICKLE:
                raise ValueError("refusing a pickled cache value")
            return super().fetch(mode, filename, value, read)

    return NoPickleDisk
