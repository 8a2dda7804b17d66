"""Desktop notifications (desktop-notifier), failing soft where no notification service runs.

A headless machine, a test run or a desktop without a notification daemon has no session bus to
talk to: `Notifier.notify` then returns False and logs that once, never raises.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def session_bus_available() -> bool:
    """Whether a D-Bus session bus (where Linux notification daemons listen) can be reached."""
    if not sys.platform.startswith("linux"):
        return True  # macOS and Windows notify without D-Bus
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and Path(runtime, "bus").exists()


class Notifier:
    """Sends desktop notifications; one instance for the app's lifetime."""

    def __init__(self, app_name: str = "Sova", *, timeout_s: float = 5.0) -> None:
        self._app_name = app_name
        self._timeout_s = timeout_s
        self._backend: Any = None
        self._warned = False

    async def notify(self, title: str, message: str) -> bool:
        """Show a notification; False (logged once) when there is no notification service."""
        if not session_bus_available():
            self._warn_once("no D-Bus session bus: desktop notifications are off")
            return False
        try:
            if self._backend is None:
                from desktop_notifier import DesktopNotifier

                self._backend = DesktopNotifier(app_name=self._app_name)
            await asyncio.wait_for(self._backend.send(title=title, message=message), self._timeout_s)
        except Exception as exc:
            self._warn_once(f"desktop notification failed: {exc}")
            return False
        return True

    def _warn_once(self, text: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("%s (reminders are still spoken and listed)", text)
