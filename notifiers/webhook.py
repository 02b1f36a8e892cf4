"""Generic webhook notifier: the event as JSON, signed per the Standard Webhooks spec.

Body: `{"type": event.type, "timestamp": ISO-8601 UTC, "data": build_payload(event)}`, minified.
A digest (type `digest`) and a grouped message (type `group`, on a channel with `group = true`)
are one delivery each, whose `data.events` are the payloads of the events they tell, as many as
fit in MAX_EVENTS_BYTES (the first ones; `data.omitted` counts the rest).
Headers: `webhook-id` (the event id: the receiver's idempotency key, stable across retries and
restarts), `webhook-timestamp` (unix seconds of this attempt) and, with a secret,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` over the exact bytes sent;
the channel's own `headers` (an API's Authorization) besides.

With a `template`, the body is instead what the template renders from `template_variables`
(notifiers/_template.py: the sandbox, the bounds), signed and headed the same way.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from bot.message import Message, compose, worst_impact
from bot.model import Component, Destination, EnvChannel, Event, Incident, PermanentError, ThreadRef, Update
from bot.text import iso_utc
from bot.urls import http_url, is_web_link

from ._fit import longest_cut
from ._http import json_bytes, raise_for_response
from ._transport import transport_error

if TYPE_CHECKING:
    from ._template import BodyTemplate

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
MAX_CHANGES = 50  # a grouped message's change lines a template is given
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
# Header names (RFC 9110 tokens) and values (visible ASCII and spaces) a channel may add.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]{0,4096}")
# Headers the notifier writes itself: a channel's own cannot replace them.
_OWN_HEADERS = frozenset({"content-type", "content-length", "host", "transfer-encoding", "webhook-id",
                          "webhook-timestamp", "webhook-signature"})


class WebhookSettings(BaseModel):
    # hide_input_in_errors: a validation message must not echo a URL token or the secret.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: str = Field(repr=False)
    secret: str | None = Field(default=None, min_length=1, repr=False)
    timeout: float = Field(default=15.0, gt=0, allow_inf_nan=False)
    headers: dict[str, str] | None = Field(default=None, repr=False)  # secrets: an API key, a bearer token
    template: str | None = None

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

    @field_validator("headers")
    @classmethod
    def _own_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, text in (value or {}).items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name[:64]!r} is not a header name")
            if name.lower() in _OWN_HEADERS:
                raise ValueError(f"{name!r} is set by statusbot itself")
            if not _HEADER_VALUE.fullmatch(text):  # the value is a secret: never quoted
                raise ValueError(f"the value of {name!r} must be printable ASCII, at most 4096 characters")
        return value

    @field_validator("template")
    @classmethod
    def _renders(cls, value: str | None) -> str | None:
        if value is not None:
            checked_template(value)
        return value

    @field_serializer("template", when_used="json")
    def _template_size(self, value: str | None) -> str | None:
        """What `statusbot check` shows of a template: its size, not its lines."""
        if value is None:
            return None
        lines = value.strip("\n").count("\n") + 1
        return f"{lines} line{'' if lines == 1 else 's'}, {len(value):,} characters"


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


def template_variables(message: Message, now: datetime) -> dict[str, Any]:
    """A template's variables: `event`, the default body's `data` with its `type` and
    `timestamp`; and `message`, what a chat message says, every string capped as in the payload."""
    document = envelope(message.event, now)
    return {
        "event": {"type": document["type"], "timestamp": document["timestamp"], **document["data"]},
        "message": {
            "label": _cap(message.label, MAX_NAME_BYTES),
            "title": _cap(message.title, MAX_TITLE_BYTES),
            "headline": _cap(message.headline, MAX_TITLE_BYTES),
            "phase": _cap(message.phase, MAX_NAME_BYTES),
            "current_phase": _cap(message.current_phase, MAX_NAME_BYTES),
            "text": _cap(message.text, MAX_BODY_BYTES),
            "impact": _cap(message.impact, MAX_STATUS_BYTES),
            "colour": f"#{message.colour:06X}",
            "url": _cap(message.url, MAX_URL_BYTES) if is_web_link(message.url) else "",  # never javascript:
            "components": [_cap(name, MAX_NAME_BYTES) for name in message.components[:MAX_COMPONENTS]],
            "changes": [_cap(line, MAX_TITLE_BYTES) for line in message.changes[:MAX_CHANGES]],
            "age": message.age,
            "mention": message.mention or "",
            "final": message.final,
        },
    }


def checked_template(source: str) -> BodyTemplate:
    """The compiled template, once it has rendered JSON for each sample delivery: a template
    that fails one would fail that kind of event. Raises ValueError, one line."""
    from ._template import BodyTemplate, TemplateProblem
    from ._template_samples import SAMPLE_NOW, SAMPLES

    template = BodyTemplate(source)
    for sample in SAMPLES:
        try:
            template.render(template_variables(compose(sample, mention="@oncall"), SAMPLE_NOW))
        except TemplateProblem as exc:
            raise ValueError(f"for a sample {delivery_type(sample)} delivery: {exc}") from None
    return template


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
        self._headers = settings.headers or {}
        self._template = checked_template(settings.template) if settings.template is not None else None
        self._http = http
        self._clock = clock

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        event = message.event
        now = self._clock()
        body = encode(envelope(event, now)) if self._template is None else await self._rendered(message, now)
        headers = {**self._headers, **request_headers(event.id, int(now.timestamp()), body, self._key)}
        try:
            response = await self._http.post(
                self._url, content=body, headers=headers, timeout=self._timeout, follow_redirects=False
            )
        except httpx.RequestError as exc:
            raise transport_error(exc, self._label) from None
        raise_for_response(response, self._label)
        return None

    async def _rendered(self, message: Message, now: datetime) -> bytes:
        """The template's body for this message; a failure gives up this message only."""
        assert self._template is not None
        try:
            # In a thread: a render may take up to its time bound, and the loop serves the others meanwhile.
            return await asyncio.to_thread(self._template.render, template_variables(message, now))
        except ValueError as exc:  # TemplateProblem: one line, no secret (the template's are in no message)
            raise PermanentError(f"{self._label}: template: {exc}") from None

    async def aclose(self) -> None:
        return None  # the HTTP client is shared and owned by the engine


def create(channel: str, settings: WebhookSettings, http: httpx.AsyncClient) -> WebhookNotifier:
    return WebhookNotifier(channel, settings, http)


DESTINATION = Destination(
    type="webhook", settings=WebhookSettings, create=create, secret_keys=("url", "secret", "headers"),
    from_env=(EnvChannel("webhook", {"url": "WEBHOOK_URL", "secret": "WEBHOOK_SECRET"}, frozenset({"WEBHOOK_SECRET"})),),
    groups=False,  # one delivery per event unless the channel sets group = true
)
