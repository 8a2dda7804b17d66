"""The desktop's media player through MPRIS (org.mpris.MediaPlayer2) on the session D-Bus, with dbus-fast.

One short connection per command: find the players (bus names starting `org.mpris.MediaPlayer2.`), pick
the one playing (else the first by name), then call a method or read/write a property of its
`org.mpris.MediaPlayer2.Player` interface. Every D-Bus round trip is bounded, so a frozen player
cannot hold a turn; every failure is a `MediaError` saying what to do.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from engine.errors import ErrorCode, SovaError

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
PLAYER = "org.mpris.MediaPlayer2.Player"
OBJECT_PATH = "/org/mpris/MediaPlayer2"
PROPERTIES = "org.freedesktop.DBus.Properties"
#: one D-Bus round trip waits at most this long
CALL_TIMEOUT_S = 3.0

Command = Literal["Play", "Pause", "PlayPause", "Next", "Previous"]
#: the property that says whether a player accepts a command (MPRIS: CanPlay, CanPause, ...)
ABILITY: Mapping[Command, str] = {
    "Play": "CanPlay",
    "Pause": "CanPause",
    "PlayPause": "CanPause",
    "Next": "CanGoNext",
    "Previous": "CanGoPrevious",
}
_T = TypeVar("_T")


class MediaError(SovaError):
    """No session bus, no player, or a player that refused or did not answer."""

    # TODO(lead): a dedicated ErrorCode.TOOL_FAILED ("tool_failed") would fit better
    code = ErrorCode.SOVA


@dataclass(frozen=True)
class NowPlaying:
    """What a player is doing."""

    player: str
    status: str
    title: str
    artists: tuple[str, ...]
    album: str
    volume: float | None


def player_label(bus_name: str) -> str:
    """A player's short name: "org.mpris.MediaPlayer2.vlc.instance42" -> "vlc"."""
    return bus_name.removeprefix(MPRIS_PREFIX).split(".")[0] or bus_name


def session_bus_address(env: Mapping[str, str]) -> str:
    """The session bus's address (the variable, else the systemd user socket); MediaError when none."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={Path(runtime, 'bus')}"
    raise MediaError(
        "there is no session D-Bus, so Sova cannot reach a media player",
        hint="run Sova inside your desktop session (DBUS_SESSION_BUS_ADDRESS is not set)",
    )


class Mpris:
    """A connection to the session bus for one media command: `async with Mpris() as mpris: ...`."""

    def __init__(self, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._bus: MessageBus | None = None

    async def __aenter__(self) -> Mpris:
        address = session_bus_address(os.environ)
        try:
            self._bus = await self._bounded(MessageBus(bus_address=address, bus_type=BusType.SESSION).connect())
        except (OSError, ValueError) as exc:
            hint = "is your desktop session running?"
            raise MediaError(f"cannot connect to the session D-Bus: {exc}", hint=hint) from None
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None

    async def players(self) -> list[str]:
        """The bus names of the running MPRIS players, sorted."""
        names = await self._call(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames", "", []
        )
        return sorted(n for n in names[0] if isinstance(n, str) and n.startswith(MPRIS_PREFIX))

    async def pick(self) -> str:
        """The player to command: the one playing, else the first found; MediaError when none runs."""
        players = await self.players()
        if not players:
            raise MediaError("no media player is running", hint="start a player (one that supports MPRIS) first")
        for name in players:
            try:
                if await self.get(name, "PlaybackStatus") == "Playing":
                    return name
            except MediaError:
                continue  # a player that does not answer is not the one playing
        return players[0]

    async def command(self, name: str, member: Command) -> None:
        """Call Play/Pause/PlayPause/Next/Previous on `name`; MediaError when it cannot do that."""
        try:
            able = await self.get(name, ABILITY[member])
        except MediaError:
            able = True  # a player without the property: just try
        if able is False:
            raise MediaError(f"{player_label(name)} cannot do {member} now")
        await self._call(name, OBJECT_PATH, PLAYER, member, "", [])

    async def get(self, name: str, prop: str) -> Any:
        """A property of the player interface (unwrapped from its Variant)."""
        body = await self._call(name, OBJECT_PATH, PROPERTIES, "Get", "ss", [PLAYER, prop])
        value = body[0]
        return value.value if isinstance(value, Variant) else value

    async def set_volume(self, name: str, volume: float) -> float:
        """Set the volume (0.0-1.0, clamped); the value set."""
        level = min(1.0, max(0.0, volume))
        await self._call(name, OBJECT_PATH, PROPERTIES, "Set", "ssv", [PLAYER, "Volume", Variant("d", level)])
        return level

    async def now_playing(self, name: str) -> NowPlaying:
        """What `name` is playing (title, artists, album), its status and volume."""
        status = str(await self.get(name, "PlaybackStatus"))
        metadata = await self.get(name, "Metadata")
        fields = {k: (v.value if isinstance(v, Variant) else v) for k, v in dict(metadata or {}).items()}
        try:
            volume: float | None = float(await self.get(name, "Volume"))
        except (MediaError, TypeError, ValueError):
            volume = None
        artists = fields.get("xesam:artist") or []
        return NowPlaying(
            player=player_label(name),
            status=status,
            title=str(fields.get("xesam:title") or ""),
            artists=tuple(str(a) for a in artists) if isinstance(artists, list) else (str(artists),),
            album=str(fields.get("xesam:album") or ""),
            volume=volume,
        )

    async def _call(
        self, destination: str, path: str, interface: str, member: str, signature: str, body: list[Any]
    ) -> list[Any]:
        assert self._bus is not None, "use Mpris as `async with`"
        message = Message(
            destination=destination, path=path, interface=interface, member=member, signature=signature, body=body
        )
        reply = await self._bounded(self._bus.call(message))
        if reply.message_type == MessageType.ERROR:
            detail = reply.body[0] if reply.body else reply.error_name
            raise MediaError(f"{player_label(destination)} refused {member}: {detail}")
        return list(reply.body)

    async def _bounded(self, call: Awaitable[_T]) -> _T:
        try:
            return await asyncio.wait_for(call, self.timeout_s)
        except TimeoutError:
            raise MediaError(
                f"the media player did not answer within {self.timeout_s:g} s", hint="is the player frozen?"
            ) from None
