"""Work-arounds for defects of the pinned Qt binding, each detected before it is applied.

PySide6 6.12.0: `SignalInstance.emit()` returns `True` without owning a reference to it, so every
signal emitted from Python (ours, qasync's `call_soon_threadsafe` for every finished executor job
and every LLM token, pytest-qt's) drops one reference to `True`. Python 3.11 does not make `True`
immortal (3.12 does), and a few thousand emits later the interpreter aborts with "Fatal Python
error: bool_dealloc". Sova runs all day, so when the probe sees the leak on CPython < 3.12 it adds
a large constant to the reference counts of `True` and `False`: the lost references can then never
bring them to zero (2**40 emits would take centuries).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

#: references added to True/False when the leak is present
PIN = 1 << 40
_PROBE_EMITS = 32
_pinned = False


class _Probe(QObject):
    fired = Signal()


def emit_leaks_true() -> bool:
    """Whether emitting a Python-defined signal drops a reference to True (measured, not assumed)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.fired.emit()
    lost = before - sys.getrefcount(True)
    probe.deleteLater()
    return lost >= _PROBE_EMITS


def guard_emit_refcount_leak() -> bool:
    """Apply the work-around above when needed (once per process); True when it was applied."""
    global _pinned
    if _pinned:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12) or not emit_leaks_true():
        return False
    for singleton in (True, False):
        # ob_refcnt is the first field of every CPython object (3.11, non-debug builds)
        ctypes.c_ssize_t.from_address(id(singleton)).value += PIN
    _pinned = True
    return True
