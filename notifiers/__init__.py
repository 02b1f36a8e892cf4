"""Destination registry: one line per channel type; the composition root hands it to the engine.

A new destination is one module exposing `DESTINATION` plus one entry in the table below.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.model import Destination

from . import apprise_channel, console, discord, googlechat, mattermost, slack, teams, webhook


def registry(destinations: Iterable[Destination]) -> dict[str, Destination]:
    """The destinations by type, in the given order (the order of the channels the environment
    adds); a duplicate type or environment channel name fails at import, not at run."""
    table: dict[str, Destination] = {}
    env_channels: set[str] = set()
    for destination in destinations:
        if destination.type in table:
            raise ValueError(f"notifiers: duplicate destination type {destination.type!r}")
        table[destination.type] = destination
        for channel in destination.from_env:
            if channel.name in env_channels:
                raise ValueError(f"notifiers: duplicate environment channel name {channel.name!r}")
            env_channels.add(channel.name)
    return table


DESTINATIONS: dict[str, Destination] = registry((
    console.DESTINATION,
    slack.DESTINATION,
    discord.DESTINATION,
    teams.DESTINATION,
    googlechat.DESTINATION,
    mattermost.DESTINATION,
    webhook.DESTINATION,
    apprise_channel.DESTINATION,
))
