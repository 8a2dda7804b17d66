"""The memory budget of the models resident on the device, accounted from their manifests (seed 12)."""

from __future__ import annotations

import threading
from typing import Literal

from engine.errors import BudgetExceeded

MemoryKind = Literal["ram", "vram"]


class Budget:
    """Memory accounted from the manifests (vram_mb on the GPU, ram_mb on the CPU); never exceeded."""

    def __init__(self, total_mb: int, kind: MemoryKind) -> None:
        self.total_mb = total_mb
        self.kind = kind
        self._entries: dict[str, int] = {}
        self._lock = threading.Lock()
        self.peak_mb = 0

    @property
    def used_mb(self) -> int:
        """Memory reserved now."""
        with self._lock:
            return sum(self._entries.values())

    @property
    def free_mb(self) -> int:
        """Memory left (never negative)."""
        return max(0, self.total_mb - self.used_mb)

    def entries(self) -> dict[str, int]:
        """Reservations by key."""
        with self._lock:
            return dict(self._entries)

    def reserve(self, key: str, mb: int) -> None:
        """Reserve `mb` for `key`; BudgetExceeded (and nothing reserved) when it does not fit."""
        with self._lock:
            used = sum(v for k, v in self._entries.items() if k != key)
            if used + mb > self.total_mb:
                raise BudgetExceeded(
                    f"{key} needs {mb} MB of {self.kind}, {self.total_mb - used} MB of the {self.total_mb} MB "
                    "budget are free",
                    hint=f"unload a model, or raise [scheduler] {self.kind}_budget_mb",
                )
            self._entries[key] = mb
            self.peak_mb = max(self.peak_mb, used + mb)

    def force(self, key: str, mb: int) -> bool:
        """Account a model that is already resident (loaded at start); False when that overdraws."""
        with self._lock:
            self._entries[key] = mb
            used = sum(self._entries.values())
            self.peak_mb = max(self.peak_mb, used)
            return used <= self.total_mb

    def release(self, key: str) -> None:
        """Free `key`'s reservation."""
        with self._lock:
            self._entries.pop(key, None)
