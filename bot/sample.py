"""A sample message sent straight to one channel, so an operator can check its credentials."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from bot.config import ChannelConfig, Config
from bot.message import compose
from bot.model import ConfigError, Destination, Event, Incident, Update


def sample_event(channel: str) -> Event:
    """A minor 'incident' from statusbot itself; a fresh thread every time."""
    nonce = secrets.token_hex(6)
    now = datetime.now(UTC)
    incident = Incident(
        id=f"test-{nonce}", title="Test message from statusbot", status="investigating", impact="minor",
        created_at=now, updated_at=now,
    )
    update = Update(
        id=f"test-{nonce}", status="investigating", created_at=now,
        body=f"If you can read this, channel '{channel}' is set up correctly. No action is needed.",
    )
    return Event(
        id=f"evt_test_{nonce}", type="incident.created", key=f"test:{nonce}", provider="statusbot",
        provider_title="statusbot", thread_key=f"statusbot:test:{nonce}", impact="minor", occurred_at=now,
        incident=incident, update=update,
    )


def find_channel(config: Config, name: str) -> ChannelConfig:
    for channel in config.channels:
        if channel.name == name:
            return channel
    known = ", ".join(c.name for c in config.channels)
    raise ConfigError(f"channels: no channel named '{name}'; configured: {known}")


async def send_sample(channel: ChannelConfig, destinations: Mapping[str, Destination], http: httpx.AsyncClient) -> None:
    """Send one sample message through `http` (closed after); raises the notifier's RetryableError or
    PermanentError."""
    async with http:
        notifier = destinations[channel.type].create(channel.name, channel.settings, http)
        try:
            await notifier.send(compose(sample_event(channel.name)), None)
        finally:
            await notifier.aclose()
