"""Generic webhook notifier: the event as JSON, signed per the Standard Webhooks spec.

Body: `{"type": event.type, "timestamp": ISO-8601 UTC, "data": build_payload(event)}`, minified.
A digest (type `digest`) and a grouped message (type `group`, on a channel with `group = true`)
are one delivery each, whose `data.events` are the payloads of the events they tell, as many as
fit in MAX_EVENTS_BYTES (the first ones; `data.omitted` counts the rest).
Headers: `webhook-id` (the event id: the receiver's idempotency key, stable across retries and
restarts), `webhook-timestamp` (unix seconds of this attempt) and, with a secret,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` over the exact bytes sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.message import Message, worst_impact
from bot.model import Component, Destination, EnvChannel, Event, Incident, ThreadRef, Update
from bot.text import iso_utc
from bot.urls import http_url

from ._fit import longest_cut
from ._http import json_bytes, raise_for_response
from ._transport import transport_error

SECRET_PREFIX = "whsec_"

# Every string of the payload is capped, in bytes of the JSON that carries it (escapes counted),
# so no page can make a POST larger than MAX_PAYLOAD_BYTES. Standard Webhooks asks for ~20 kB.
MAX_BODY_BYTES = 16_000  # an update's text: the one long field
MAX_TITLE_BYTES = 1_000
MAX_URL_BYTES = 2_000
MAX_ID_BYTES = 256  # ids and keys; a longer one keeps a hash of the whole, so two ids stay two
MAX_NAME_BYTES = 200  # provider and component names
MAX_STATUS_BYTES = 64  # statuses and impacts
MAX_COMPONENTS = 20  # component names listed on an incident
MAX_COUNT = 2**53 - 1  # `summarised`, `count`, `omitted`: the largest integer every JSON reader keeps exact
# The `events` array of a digest or a group, in bytes: one event at its caps (MAX_EVENT_BYTES)
# always fits, two nearly; a receiver's 64 KiB body limit takes the whole delivery.
MAX_EVENTS_BYTES = 60_000
# The largest body of one event (every field at its cap), and of a digest or a group (its own
# fields at their caps, and MAX_EVENTS_BYTES of events): tests/test_payload_sizes.py builds both
# from the caps above and checks these figures.
MAX_EVENT_BYTES = 28_357
MAX_PAYLOAD_BYTES = 61_252
_HASH_CHARS = 16


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
    """The `data` object: everything a receiver needs, with no chat formatting, every string capped."""
    return {
        "id": _id(event.id),
        "provider": _cap(event.provider, MAX_NAME_BYTES),
        "provider_title": _cap(event.provider_title, MAX_NAME_BYTES),
        "key": _id(event.key),
        "thread_key": _id(event.thread_key),
        "status": _cap(event.status, MAX_STATUS_BYTES),
        "old_status": _optional(event.old_status, MAX_STATUS_BYTES),
        "new_status": _optional(event.new_status, MAX_STATUS_BYTES),
        "impact": _cap(event.impact, MAX_STATUS_BYTES),
        "summarised": min(max(event.summarised, 0), MAX_COUNT),  # a provider.summary's count; else 0
        "url": _cap(event.url, MAX_URL_BYTES),  # where to read more: the incident's page, else the status page
        "since": iso_utc(event.since),  # a held change: when it began; a reminder: when the incident did
        "incident": _incident(event.incident) if event.incident else None,
        "update": _update(event.update) if event.update else None,
        "component": _component(event.component) if event.component else None,
    }


def build_batch(event: Event) -> dict[str, Any]:
    """The `data` of a digest (the events it summarises, and its period) or of a grouped message
    (its primary event, then the related ones): the first payloads that fit in MAX_EVENTS_BYTES,
    each with its type."""
    members = event.related if event.type == "digest" else (event, *event.related)
    events: list[dict[str, Any]] = []
    used = 2  # the brackets
    for member in members:
        payload = carried(member)
        size = len(encode(payload)) + (1 if events else 0)  # and its comma
        if used + size > MAX_EVENTS_BYTES:
            break
        events.append(payload)
        used += size
    data: dict[str, Any] = {
        "id": _id(event.id),
        "provider": _cap(event.provider, MAX_NAME_BYTES),  # "" when a digest spans providers
        "provider_title": _cap(event.provider_title, MAX_NAME_BYTES),
        "thread_key": _id(event.thread_key),
        "impact": _cap(worst_impact(e.impact for e in (event, *members)), MAX_STATUS_BYTES),  # the worst of its events
    }
    if event.type == "digest":
        data["since"] = iso_utc(event.since)
        data["until"] = iso_utc(event.occurred_at)
    data["count"] = min(len(members), MAX_COUNT)
    data["omitted"] = min(len(members) - len(events), MAX_COUNT)
    data["events"] = events
    return data


def carried(event: Event) -> dict[str, Any]:
    """An event in a digest's or a group's `events`: its payload, and its type, which a delivery of
    its own says in the envelope."""
    return {"type": event.type, **build_payload(event)}


def delivery_type(event: Event) -> str:
    """`group` for a grouped message (a webhook channel groups only with `group = true`), else the event's type."""
    return "group" if event.related and event.type != "digest" else event.type


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "id": _id(incident.id),
        "kind": incident.kind,
        "title": _cap(incident.title, MAX_TITLE_BYTES),
        "status": _cap(incident.status, MAX_STATUS_BYTES),
        "impact": _cap(incident.impact, MAX_STATUS_BYTES),
        "url": _cap(incident.url, MAX_URL_BYTES),
        "components": [_cap(name, MAX_NAME_BYTES) for name in incident.component_names[:MAX_COMPONENTS]],
        "created_at": iso_utc(incident.created_at),
        # a maintenance is mostly its window
        "scheduled_for": iso_utc(incident.scheduled_for),
        "scheduled_until": iso_utc(incident.scheduled_until),
    }


def _update(update: Update) -> dict[str, Any]:
    return {
        "id": _id(update.id),
        "status": _cap(update.status, MAX_STATUS_BYTES),
        "body": _cap(update.body, MAX_BODY_BYTES),
        "created_at": iso_utc(update.created_at),
    }


def _component(component: Component) -> dict[str, Any]:
    return {
        "id": _id(component.id),
        "name": _cap(component.name, MAX_NAME_BYTES),
        "status": _cap(component.status, MAX_STATUS_BYTES),
    }


def _cap(text: str, limit: int) -> str:
    """`text` cut (with '…') to at most `limit` bytes inside the JSON."""
    return longest_cut(text, limit, _json_size)


def _optional(text: str | None, limit: int) -> str | None:
    return None if text is None else _cap(text, limit)


def _id(text: str) -> str:
    """An id or key within MAX_ID_BYTES: a longer one is cut and ends in '~' and a hash of the
    whole, so the same id always gives the same text and two long ids that share a start stay two."""
    if _json_size(text) <= MAX_ID_BYTES:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:_HASH_CHARS]
    start = longest_cut(text, MAX_ID_BYTES - _HASH_CHARS - 1, _json_size)
    return f"{start}~{digest}"


def _json_size(text: str) -> int:
    """Bytes `text` takes inside a JSON string, as `encode` writes it (quotes not counted)."""
    return len(encode(text)) - 2


def envelope(event: Event, now: datetime) -> dict[str, Any]:
    kind = delivery_type(event)
    data = build_batch(event) if kind in ("digest", "group") else build_payload(event)
    return {"type": kind, "timestamp": iso_utc(event.occurred_at or now), "data": data}


def encode(document: object) -> bytes:
    """Minified UTF-8 JSON: these exact bytes are both signed and sent."""
    return json_bytes(document)


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
    groups=False,  # one delivery per event unless the channel sets group = true
)
