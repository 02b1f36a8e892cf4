"""Generic webhook notifier: the event as JSON, signed per the Standard Webhooks spec.

Body: `{"type": event.type, "timestamp": ISO-8601 UTC, "data": build_payload(event)}`, minified.
Headers: `webhook-id` (the event id: the receiver's idempotency key, stable across retries and
restarts), `webhook-timestamp` (unix seconds of this attempt) and, with a secret,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` over the exact bytes sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.message import Message
from bot.model import Component, Destination, EnvChannel, Event, Incident, ThreadRef, Update
from bot.text import iso_utc, truncate
from bot.urls import http_url

from ._http import raise_for_response
from ._transport import transport_error

SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for payloads under ~20 kB; an update body is the only unbounded field.
MAX_BODY_CHARS = 16_000


class WebhookSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo a URL token or the secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: str = Field(repr=False)
    secret: str | None = Field(default=None, min_length=1, repr=False)
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if http_url(value) is None:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("secret")
    @classmethod
    def _usable_secret(cls, value: str | None) -> str | None:
        if value is not None:
            signing_key(value)  # fail at startup, not at the first delivery
        return value


def signing_key(secret: str) -> bytes:
    """HMAC key: the base64-decoded rest of a `whsec_` secret, else the secret's UTF-8 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode()
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError(f"a '{SECRET_PREFIX}' secret must be base64 after the prefix") from None
    if not key:
        raise ValueError(f"a '{SECRET_PREFIX}' secret must not be empty after the prefix")
    return key


def sign(message_id: str, timestamp: int, body: bytes, key: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def build_payload(event: Event) -> dict[str, Any]:
    """The `data` object: everything a receiver needs, with no chat formatting."""
    return {
        "id": event.id,
        "provider": event.provider,
        "provider_title": event.provider_title,
        "key": event.key,
        "thread_key": event.thread_key,
        "status": event.status,
        "old_status": event.old_status,
        "new_status": event.new_status,
        "impact": event.impact,
        "incident": _incident(event.incident) if event.incident else None,
        "update": _update(event.update) if event.update else None,
        "component": _component(event.component) if event.component else None,
    }


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "kind": incident.kind,
        "title": incident.title,
        "status": incident.status,
        "impact": incident.impact,
        "url": incident.url,
        "components": list(incident.component_names),
        "created_at": iso_utc(incident.created_at),
        # a maintenance is mostly its window
        "scheduled_for": iso_utc(incident.scheduled_for),
        "scheduled_until": iso_utc(incident.scheduled_until),
    }


def _update(update: Update) -> dict[str, Any]:
    return {
        "id": update.id,
        "status": update.status,
        "body": truncate(update.body, MAX_BODY_CHARS),
        "created_at": iso_utc(update.created_at),
    }


def _component(component: Component) -> dict[str, Any]:
    return {"id": component.id, "name": component.name, "status": component.status}


def envelope(event: Event, now: datetime) -> dict[str, Any]:
    return {"type": event.type, "timestamp": iso_utc(event.occurred_at or now), "data": build_payload(event)}


def encode(document: dict[str, Any]) -> bytes:
    """Minified UTF-8 JSON: these exact bytes are both signed and sent."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def request_headers(message_id: str, timestamp: int, body: bytes, key: bytes | None) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if key is not None:
        headers["webhook-signature"] = sign(message_id, timestamp, body, key)
    return headers


class WebhookNotifier:
    min_interval: ClassVar[float] = 0.0

    def __init__(
        self,
        channel: str,
        settings: WebhookSettings,
        http: httpx.AsyncClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._label = f"webhook channel '{channel}'"
        self._url = settings.url
        self._timeout = settings.timeout
        self._key = signing_key(settings.secret) if settings.secret is not None else None
        self._http = http
        self._clock = clock

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        event = message.event
        now = self._clock()
        body = encode(envelope(event, now))
        headers = request_headers(event.id, int(now.timestamp()), body, self._key)
        try:
            response = await self._http.post(
                self._url, content=body, headers=headers, timeout=self._timeout, follow_redirects=False
            )
        except httpx.RequestError as exc:
            raise transport_error(exc, self._label) from None
        raise_for_response(response, self._label)
        return None

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and owned by the engine


def create(channel: str, settings: WebhookSettings, http: httpx.AsyncClient) -> WebhookNotifier:
    return WebhookNotifier(channel, settings, http)


DESTINATION = Destination(
    type="webhook", settings=WebhookSettings, create=create, secret_keys=("url", "secret"),
    from_env=(EnvChannel("webhook", {"url": "WEBHOOK_URL", "secret": "WEBHOOK_SECRET"}, frozenset({"WEBHOOK_SECRET"})),),
)
