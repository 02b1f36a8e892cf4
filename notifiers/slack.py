"""Slack notifier: a bot token (threads and edits) or an incoming webhook (one message per event).

This module is the channel type's settings; the notifiers themselves, on slack_sdk and aiohttp,
are in `_slack_client.py`, imported only when a Slack channel is built: those two libraries are
about 13 MB of a bot's memory, and a bot without Slack does not load them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.model import Destination, EnvChannel
from bot.urls import http_url

if TYPE_CHECKING:
    from ._slack_client import SlackNotifier, SlackWebhookNotifier


class SlackSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo the token or the webhook URL.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    token: str | None = Field(default=None, repr=False)
    channel: str | None = None
    webhook_url: str | None = Field(default=None, repr=False)
    api_url: str | None = None  # None: Slack's own
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @field_validator("token", "channel")
    @classmethod
    def _one_word(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or any(char.isspace() for char in value):
            raise ValueError("must be one word, not empty")
        return value

    @field_validator("webhook_url", "api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if http_url(value) is None:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _one_mode(self) -> SlackSettings:
        if (self.token is None) == (self.webhook_url is None):
            raise ValueError("set exactly one of 'token' and 'webhook_url'")
        if self.token is not None and self.channel is None:
            raise ValueError("'channel' is required with 'token'")
        return self


def create(channel: str, settings: SlackSettings, http: httpx.AsyncClient) -> SlackNotifier | SlackWebhookNotifier:
    """`http` is unused: slack_sdk's async clients bring their own aiohttp session."""
    from ._slack_client import SlackNotifier, SlackWebhookNotifier

    if settings.token is not None:
        return SlackNotifier(channel, settings)
    return SlackWebhookNotifier(channel, settings)


DESTINATION = Destination(
    type="slack", settings=SlackSettings, create=create, secret_keys=("token", "webhook_url"),
    from_env=(
        EnvChannel("slack", {"token": "SLACK_BOT_TOKEN", "channel": "SLACK_CHANNEL"}),
        EnvChannel("slack-webhook", {"webhook_url": "SLACK_WEBHOOK_URL"}),
    ),
)
