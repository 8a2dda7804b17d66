"""A cancel flag that wakes whoever waits on it, so nothing has to poll it.

`CancelToken` is a `threading.Event` (every stage that takes a cancel event accepts it) that also
runs callbacks when set. The device's waiters use that to wake at once on barge-in instead of
looking at the flag every few milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class CancelToken(threading.Event):
    """`set()`, `is_set()`, `wait(timeout)` as `threading.Event`, plus `on_set(callback)`."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], None]] = []
        self._callbacks_lock = threading.Lock()

    def set(self) -> None:
        """Set the flag, wake every `wait()`, then run the callbacks (once, in the calling thread)."""
        with self._callbacks_lock:
            first = not self.is_set()
            super().set()
            callbacks, self._callbacks = self._callbacks, []
        if first:
            for callback in callbacks:
                callback()

    def on_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback()` when the token is set (now, if it already is); returns the remover."""
        with self._callbacks_lock:
            if not self.is_set():
                self._callbacks.append(callback)

                def remove() -> None:
                    with self._callbacks_lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return remove
        callback()
        return _nothing


def _nothing() -> None:
    return None
