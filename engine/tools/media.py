"""Media tools: play, pause, next, previous, volume and "what's playing" of the desktop's player (MPRIS).

The player is the one playing, else the first found (engine/tools/mpris.py). Everything but "what's
playing" changes the world, so it asks first (`changes_world=True`). Failures (no session bus, no
player, a player that refuses) are failed results in plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.tools.base import NoArgs, ToolContext, ToolResult, ToolSpec
from engine.tools.media_words import (
    CONTROL_TRIGGERS,
    NOW_PLAYING_TRIGGERS,
    VOLUME_TRIGGERS,
    control_args,
    volume_args,
)
from engine.tools.mpris import Command, MediaError, Mpris, NowPlaying, player_label

Action = Literal["play", "pause", "play_pause", "next", "previous"]
COMMANDS: Mapping[Action, Command] = {
    "play": "Play",
    "pause": "Pause",
    "play_pause": "PlayPause",
    "next": "Next",
    "previous": "Previous",
}
DONE: Mapping[Action, str] = {
    "play": "Playing",
    "pause": "Paused",
    "play_pause": "Toggled play/pause",
    "next": "Skipped to the next track",
    "previous": "Went back to the previous track",
}
#: "louder" / "тише" without a number moves the volume by this many percentage points
VOLUME_STEP = 10


class MediaControlArgs(BaseModel):
    """What to do with the player."""

    model_config = ConfigDict(extra="forbid")
    action: Action = Field(description="play, pause, play_pause (toggle), next or previous track")


class MediaVolumeArgs(BaseModel):
    """How to change the volume."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["set", "up", "down"] = Field(description="set to a level, or turn up / down")
    percent: int | None = Field(
        None, ge=0, le=100, description="set: the level in percent; up/down: the step (default 10)"
    )

    @model_validator(mode="after")
    def _set_needs_level(self) -> MediaVolumeArgs:
        if self.mode == "set" and self.percent is None:
            raise ValueError("mode 'set' needs percent (0-100)")
        return self


CONTROL_SPEC = ToolSpec(
    name="media_control",
    description={
        "en": "Control the media player: play, pause, toggle, next or previous track.",
        "ru": "Управлять плеером: играть, пауза, переключить, следующий или предыдущий трек.",
    },
    args=MediaControlArgs,
    changes_world=True,
    triggers=CONTROL_TRIGGERS,
)
VOLUME_SPEC = ToolSpec(
    name="media_volume",
    description={
        "en": "Set the media player's volume in percent, or turn it up or down.",
        "ru": "Установить громкость плеера в процентах, сделать громче или тише.",
    },
    args=MediaVolumeArgs,
    changes_world=True,
    triggers=VOLUME_TRIGGERS,
)
NOW_PLAYING_SPEC = ToolSpec(
    name="media_now_playing",
    description={
        "en": "What the media player is playing now: title, artist, album, state, volume.",
        "ru": "Что сейчас играет в плеере: название, исполнитель, альбом, состояние, громкость.",
    },
    args=NoArgs,
    triggers=NOW_PLAYING_TRIGGERS,
)


def describe(now: NowPlaying) -> str:
    """A plain sentence about what a player is doing."""
    status = {"Playing": "playing", "Paused": "paused", "Stopped": "stopped"}.get(now.status, now.status.lower())
    if now.title:
        what = now.title + (f" by {', '.join(now.artists)}" if now.artists else "")
        what += f" (album {now.album})" if now.album else ""
    else:
        what = "no track information"
    volume = f", volume {round(now.volume * 100)}%" if now.volume is not None else ""
    return f"{now.player} is {status}: {what}{volume}"


async def _target(mpris: Mpris, player: str, volume: MediaVolumeArgs) -> float:
    """The volume (0.0-1.0) asked for: a level, or the current one moved by a step."""
    if volume.mode == "set":
        return (volume.percent or 0) / 100
    step = (VOLUME_STEP if volume.percent is None else volume.percent) / 100
    current = await mpris.get(player, "Volume")
    if not isinstance(current, int | float):
        raise MediaError(f"{player_label(player)} does not say its volume, so it cannot be turned up or down")
    return current + step if volume.mode == "up" else current - step


def _failed(exc: MediaError) -> ToolResult:
    return ToolResult(ok=False, text=str(exc), data={"hint": exc.hint} if exc.hint else None)


class MediaControlTool:
    """`media_control`: play, pause, play/pause, next, previous."""

    spec = CONTROL_SPEC

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The action the words state ("пауза", "next song"), or None."""
        return control_args(text)

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Send the command to the player picked."""
        action = MediaControlArgs.model_validate(args.model_dump()).action
        try:
            async with Mpris() as mpris:
                player = await mpris.pick()
                await mpris.command(player, COMMANDS[action])
        except MediaError as exc:
            return _failed(exc)
        return ToolResult(ok=True, text=f"{DONE[action]} on {player_label(player)}.", data={"player": player})


class MediaVolumeTool:
    """`media_volume`: set, up, down."""

    spec = VOLUME_SPEC

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """The volume change the words state ("громкость 30", "louder"), or None."""
        return volume_args(text)

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Change the picked player's volume."""
        volume = MediaVolumeArgs.model_validate(args.model_dump())
        try:
            async with Mpris() as mpris:
                player = await mpris.pick()
                level = await mpris.set_volume(player, await _target(mpris, player, volume))
        except MediaError as exc:
            return _failed(exc)
        percent = round(level * 100)
        text = f"Volume of {player_label(player)} set to {percent}%."
        return ToolResult(ok=True, text=text, data={"player": player, "percent": percent})


class NowPlayingTool:
    """`media_now_playing`: what is playing (changes nothing)."""

    spec = NOW_PLAYING_SPEC

    def extract_args(self, text: str, context: ToolContext) -> dict[str, Any] | None:
        """No arguments to read."""
        return {}

    async def call(self, args: BaseModel, context: ToolContext) -> ToolResult:
        """Read the picked player's state and track."""
        try:
            async with Mpris() as mpris:
                now = await mpris.now_playing(await mpris.pick())
        except MediaError as exc:
            return _failed(exc)
        data = {"player": now.player, "status": now.status, "title": now.title, "artists": list(now.artists)}
        return ToolResult(ok=True, text=describe(now), data=data)


def media_tools() -> list[MediaControlTool | MediaVolumeTool | NowPlayingTool]:
    """The three media tools, for the registry."""
    return [MediaControlTool(), MediaVolumeTool(), NowPlayingTool()]
