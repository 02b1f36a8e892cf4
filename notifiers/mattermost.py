"""Mattermost incoming-webhook notifier: one post per event.

An incoming webhook answers `200 ok` and nothing more: no post id, so no later edit and no thread
(its JSON has no `root_id`; only a bot token could reply in a thread). Every event is a post of
its own, in the phase it announces. The payload is built in `_mattermost_render.py`.

Answers, as Mattermost's server gives them (`channels/web/webhook.go`, `app/webhook.go`):
- 200 `ok` (text/plain): posted. Another 2xx body is accepted with a warning, never resent.
- 429 `limit exceeded` (its API rate limiting, off by default): `Retry-After`, else
  `X-Ratelimit-Reset` (seconds until the limit resets), handed to the delivery worker.
- Its own errors are a JSON AppError: `{"id": ..., "message": ..., "status_code": ...}`, the
  message quoting the hook's key, so it is never repeated. A deleted hook is a 400 (its id
  `web.incoming_webhook.general.app_error`; `...invalid.app_error` on older servers), as is a
  `channel = "@user"` naming no user; a channel it cannot find is a 404, one it may not post to
  a 403. Each of those is the channel's setup: the channel is disabled, its backlog kept. Any
  other answer is read by the one status table in `_http.py`.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.message import Message
from bot.model import Destination, EnvChannel, PermanentError, RetryableError, ThreadRef
from bot.retry_after import parse_retry_after, retry_hint
from bot.text import one_line
from bot.urls import http_url

from ._http import describe, json_bytes, raise_for_response, status_text
from ._mattermost_render import Overrides, payload
from ._transport import transport_error

log = logging.getLogger("statusbot.mattermost")

_JSON = {"content-type": "application/json"}
_HOOK_PATH = re.compile(r"(?:.*/)?hooks/[A-Za-z0-9]+/?")  # the server's route: /hooks/{id:[A-Za-z0-9]+}
_CHANNEL = re.compile(r"@?[A-Za-z0-9._-]{1,64}")  # a channel's name (town-square), or @username
# What Mattermost's own error says about a channel's setup, by status (only with its AppError body).
_SETUP_ERRORS = {
    400: "Mattermost refused the webhook (deleted, or 'channel' names no user)",
    403: "Mattermost may not post there (the webhook is locked to its channel, or the channel is private)",
    404: "Mattermost has no such channel",
}
_APP_ERROR_IDS = frozenset({
    "web.incoming_webhook.general.app_error",  # current servers: every refusal, its cause hidden
    "web.incoming_webhook.invalid.app_error",  # older servers: the hook is deleted or never was
    "web.incoming_webhook.user.app_error",
    "web.incoming_webhook.channel.app_error",
    "web.incoming_webhook.channel_locked.app_error",
    "web.incoming_webhook.permissions.app_error",
})
_EPOCH = 1_000_000_000.0  # a reset header this large is a time (a proxy's), not seconds to wait


class MattermostSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo the webhook's key.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    webhook_url: str = Field(repr=False)
    channel: str | None = None
    username: str | None = Field(default=None, min_length=1, max_length=64)
    icon_url: str | None = None
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @field_validator("webhook_url", "icon_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and http_url(value) is None:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _hook_path(cls, value: str) -> str:
        if not _HOOK_PATH.fullmatch(urlsplit(value).path.lstrip("/")):
            raise ValueError("must be the incoming webhook's URL (https://mattermost.example.com/hooks/KEY)")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().removeprefix("#")  # older servers would look for "#town-square"
        if not _CHANNEL.fullmatch(name):
            raise ValueError("must be a channel's name as in its URL (town-square), or @username")
        return name

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is not None and one_line(value) != value:
            raise ValueError("must be one line, without leading or trailing spaces")
        return value


class MattermostNotifier:
    # Mattermost sets no per-webhook limit; this keeps a burst of events readable.
    min_interval: ClassVar[float] = 0.5

    def __init__(self, channel: str, settings: MattermostSettings, http: httpx.AsyncClient) -> None:
        self._label = f"mattermost channel '{channel}'"
        self._url = settings.webhook_url
        self._overrides = Overrides(settings.channel, settings.username, settings.icon_url)
        self._timeout = settings.timeout
        self._http = http

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        """Post `message`; a webhook starts no thread, so there is never a ref to keep."""
        try:
            response = await self._http.post(self._url, content=json_bytes(payload(message, self._overrides)),
                                             headers=_JSON, timeout=self._timeout, follow_redirects=False)
        except httpx.RequestError as exc:
            raise transport_error(exc, self._label) from None
        self._read(response)
        return None

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and owned by the engine

    def _read(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429:
            retry_after = _retry_after(response)
            raise RetryableError(f"{self._label}: {status_text(429)}{retry_hint(retry_after)}", retry_after=retry_after)
        if status in _SETUP_ERRORS and _app_error_id(response) in _APP_ERROR_IDS:
            raise PermanentError(f"{self._label}: {status_text(status)}: {_SETUP_ERRORS[status]}: channel disabled",
                                 disable_channel=True)
        raise_for_response(response, self._label)
        if response.content.strip() != b"ok":
            # Posted all the same: Mattermost reports every failure with an error status, and a
            # second post of a message it took would show it twice.
            log.warning("%s: accepted (%s), though Mattermost answers 'ok'", self._label, describe(response))


def _app_error_id(response: httpx.Response) -> str | None:
    """The `id` of Mattermost's JSON error body; None for any other body."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    error_id = body.get("id") if isinstance(body, dict) else None
    return error_id if isinstance(error_id, str) else None


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After, else X-Ratelimit-Reset: Mattermost's is seconds until the limit resets; a
    proxy's may be the Unix time it resets at."""
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    reset = parse_retry_after(response.headers.get("x-ratelimit-reset"))
    if reset is not None and reset >= _EPOCH:
        return max(reset - time.time(), 0.0)
    return reset


def create(channel: str, settings: MattermostSettings, http: httpx.AsyncClient) -> MattermostNotifier:
    return MattermostNotifier(channel, settings, http)


DESTINATION = Destination(type="mattermost", settings=MattermostSettings, create=create, secret_keys=("webhook_url",),
                          from_env=(EnvChannel("mattermost", {"webhook_url": "MATTERMOST_WEBHOOK_URL"}),))
