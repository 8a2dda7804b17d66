"""The media tools against a real MPRIS player object on a private session bus (dbus-daemon started here).

The player is a dbus-fast `ServiceInterface` exporting org.mpris.MediaPlayer2.Player on its own bus
connection; the tools reach it over D-Bus like any desktop player, and it records what arrived.
(No `from __future__ import annotations`: dbus-fast reads the D-Bus signatures from the annotations.)
"""

import asyncio
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from dbus_fast import PropertyAccess, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property
from pydantic import ValidationError

from engine.tools.base import NoArgs, ToolContext, ToolResult
from engine.tools.media import (
    MediaControlArgs,
    MediaControlTool,
    MediaVolumeArgs,
    MediaVolumeTool,
    NowPlayingTool,
    media_tools,
)

CONTEXT = ToolContext(language="en", now=datetime(2026, 1, 1, 12, 0))


class FakePlayer(ServiceInterface):
    """A real MPRIS player interface (the playing part only) that records the calls it receives."""

    def __init__(self, status: str = "Paused", volume: float = 0.5, can_next: bool = True) -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self.calls: list[str] = []
        self.status = status
        self.volume = volume
        self.can_next = can_next

    @dbus_method()
    def Play(self) -> None:
        self.calls.append("Play")
        self.status = "Playing"

    @dbus_method()
    def Pause(self) -> None:
        self.calls.append("Pause")
        self.status = "Paused"

    @dbus_method()
    def PlayPause(self) -> None:
        self.calls.append("PlayPause")
        self.status = "Paused" if self.status == "Playing" else "Playing"

    @dbus_method()
    def Next(self) -> None:
        self.calls.append("Next")

    @dbus_method()
    def Previous(self) -> None:
        self.calls.append("Previous")

    @dbus_property(access=PropertyAccess.READ)
    def PlaybackStatus(self) -> "s":  # noqa: F821
        return self.status

    @dbus_property(access=PropertyAccess.READ)
    def Metadata(self) -> "a{sv}":  # noqa: F722
        return {
            "xesam:title": Variant("s", "Кино — Группа крови"),
            "xesam:artist": Variant("as", ["Кино"]),
            "xesam:album": Variant("s", "Группа крови"),
        }

    @dbus_property()
    def Volume(self) -> "d":  # noqa: F821
        return self.volume

    @Volume.setter
    def Volume(self, value: "d") -> None:  # noqa: F821
        self.calls.append(f"Volume={value:.2f}")
        self.volume = value

    @dbus_property(access=PropertyAccess.READ)
    def CanGoNext(self) -> "b":  # noqa: F821
        return self.can_next

    @dbus_property(access=PropertyAccess.READ)
    def CanGoPrevious(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanPlay(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=PropertyAccess.READ)
    def CanPause(self) -> "b":  # noqa: F821
        return True


@pytest.fixture(scope="module")
def session_bus() -> Iterator[str]:
    """A private session bus (dbus-daemon), its address."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (Debian: apt install dbus)")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--print-address", "--nofork"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()  # printed once it listens
        assert address.startswith("unix:"), address
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        if daemon.stdout is not None:
            daemon.stdout.close()


@pytest.fixture
def on_bus(session_bus: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    return session_bus


async def with_players(address: str, players: dict[str, FakePlayer], body: Callable[[], Awaitable[Any]]) -> Any:
    """Run `body` while each player is on the bus under org.mpris.MediaPlayer2.<name>."""
    buses = []
    try:
        for name, player in players.items():
            bus = await MessageBus(bus_address=address).connect()
            bus.export("/org/mpris/MediaPlayer2", player)
            await bus.request_name(f"org.mpris.MediaPlayer2.{name}")
            buses.append(bus)
        return await body()
    finally:
        for bus in buses:
            bus.disconnect()


async def control(action: str) -> ToolResult:
    return await MediaControlTool().call(MediaControlArgs.model_validate({"action": action}), CONTEXT)


async def volume(mode: str, percent: int | None = None) -> ToolResult:
    return await MediaVolumeTool().call(MediaVolumeArgs.model_validate({"mode": mode, "percent": percent}), CONTEXT)


def test_commands_arrive_over_dbus_at_the_player(on_bus: str) -> None:
    player = FakePlayer(status="Paused")

    async def body() -> list[ToolResult]:
        return [await control(a) for a in ("play", "next", "previous", "pause", "play_pause")]

    results = asyncio.run(with_players(on_bus, {"fakeplayer": player}, body))
    assert all(r.ok for r in results), results
    assert player.calls == ["Play", "Next", "Previous", "Pause", "PlayPause"]
    assert player.status == "Playing"
    assert results[0].text == "Playing on fakeplayer."
    assert results[1].text == "Skipped to the next track on fakeplayer."


def test_volume_changes_are_seen_by_the_player(on_bus: str) -> None:
    player = FakePlayer(volume=0.5)

    async def body() -> list[ToolResult]:
        return [await volume("set", 30), await volume("up"), await volume("down", 25), await volume("down", 100)]

    results = asyncio.run(with_players(on_bus, {"fakeplayer": player}, body))
    assert [r.data["percent"] for r in results if r.data] == [30, 40, 15, 0]
    assert player.calls == ["Volume=0.30", "Volume=0.40", "Volume=0.15", "Volume=0.00"]
    assert player.volume == 0.0 and results[0].text == "Volume of fakeplayer set to 30%."


def test_the_playing_player_is_picked_and_now_playing_is_read(on_bus: str) -> None:
    idle, playing = FakePlayer(status="Paused"), FakePlayer(status="Playing", volume=0.8)

    async def body() -> tuple[ToolResult, ToolResult]:
        now = await NowPlayingTool().call(NoArgs(), CONTEXT)
        return now, await control("pause")

    now, paused = asyncio.run(with_players(on_bus, {"aaa": idle, "zzz.instance7": playing}, body))
    assert now.ok and now.text == "zzz is playing: Кино — Группа крови by Кино (album Группа крови), volume 80%"
    assert paused.ok and playing.calls == ["Pause"] and idle.calls == []


def test_a_player_that_cannot_go_next_is_not_asked(on_bus: str) -> None:
    player = FakePlayer(can_next=False)
    result = asyncio.run(with_players(on_bus, {"fakeplayer": player}, lambda: control("next")))
    assert not result.ok and result.text == "fakeplayer cannot do Next now" and player.calls == []


def test_no_player_and_no_bus_fail_plainly(on_bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    none = asyncio.run(control("play"))
    assert not none.ok and none.text.startswith("no media player is running")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    no_bus = asyncio.run(NowPlayingTool().call(NoArgs(), CONTEXT))
    assert not no_bus.ok and no_bus.text.startswith("there is no session D-Bus")


def test_specs_and_argument_checks() -> None:
    specs = {t.spec.name: t.spec for t in media_tools()}
    assert {n: s.changes_world for n, s in specs.items()} == {
        "media_control": True,
        "media_volume": True,
        "media_now_playing": False,
    }
    assert all(set(s.description) == {"en", "ru"} for s in specs.values())
    with pytest.raises(ValidationError):
        MediaControlArgs.model_validate({"action": "rewind"})
    with pytest.raises(ValidationError, match="needs percent"):
        MediaVolumeArgs.model_validate({"mode": "set"})
    with pytest.raises(ValidationError):
        MediaVolumeArgs.model_validate({"mode": "up", "percent": 150})
