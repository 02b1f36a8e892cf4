"""The destination registry fails fast, at import, on a duplicate: never a channel type silently replaced."""

from __future__ import annotations

import dataclasses

import pytest

import notifiers
from bot.config_env import env_channels
from bot.model import EnvChannel
from notifiers import console, discord, registry, webhook


def test_the_registry_order_is_the_order_of_the_channels_the_environment_adds():
    names = [spec.name for _, spec in env_channels(notifiers.DESTINATIONS)]
    assert names == ["console", "slack", "slack-webhook", "discord", "teams", "googlechat", "mattermost", "webhook"]


def test_a_duplicate_type_fails():
    twin = dataclasses.replace(webhook.DESTINATION, from_env=())
    with pytest.raises(ValueError, match=r"^notifiers: duplicate destination type 'webhook'$"):
        registry([console.DESTINATION, webhook.DESTINATION, twin])


def test_a_duplicate_environment_channel_name_fails():
    clash = dataclasses.replace(webhook.DESTINATION, from_env=(EnvChannel("discord", {"url": "OTHER_URL"}),))
    with pytest.raises(ValueError, match=r"^notifiers: duplicate environment channel name 'discord'$"):
        registry([discord.DESTINATION, clash])
