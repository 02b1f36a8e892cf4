"""Destination registry: one line per channel type; the composition root hands it to the engine."""

from __future__ import annotations

from bot.model import Destination

from . import console, discord, slack, webhook

DESTINATIONS: dict[str, Destination] = {
    d.type: d
    for d in (
        console.DESTINATION,
        webhook.DESTINATION,
        discord.DESTINATION,
        slack.DESTINATION,
    )
}
