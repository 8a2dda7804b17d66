"""Waiting in tests: every wait has a deadline, and running past it fails the test instead of hanging it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

#: generous: a busy 2-core machine must not fail a test on it, a hang must
DEADLINE_S = 10.0


def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    """Return once `predicate()` holds (polled from this thread); fail the test past `timeout_s`."""
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.002)


async def wait_until_async(predicate: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    """`wait_until` on an event loop: the loop keeps running while it waits."""
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(0.005)
