"""One table for every notifier: what each HTTP status and destination error means for delivery.

success, retry (RetryableError), drop (PermanentError for this message), disable (PermanentError
that stops the channel and keeps its backlog). Each row is played by the real client library of
the notifier against its local fake destination.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.message import compose
from bot.model import Event, Incident, Notifier, PermanentError, RetryableError, Update
from notifiers import DESTINATIONS
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.webhook_receiver import WebhookReceiver

EVENT = Event(
    id="evt_1", type="incident.created", key="inc:i1", provider="acme", provider_title="Acme",
    thread_key="acme:incident:i1", impact="major",
    incident=Incident(id="i1", title="API errors", status="investigating", impact="major"),
    update=Update(id="u1", status="investigating", body="Investigating"),
)

# status -> expected outcome, the same for every destination reached over HTTP.
STATUS_TABLE: dict[int, str] = {
    200: "success", 201: "success",
    301: "disable", 302: "disable",
    400: "drop", 401: "disable", 403: "disable", 404: "disable", 408: "retry", 410: "disable",
    413: "drop", 422: "drop", 425: "retry", 429: "retry",
    500: "retry", 502: "retry", 503: "retry", 504: "retry",
}


# Slack's Web API reports success only as 200 + ok:true; another 2xx is not Slack speaking.
EXCEPTIONS: dict[tuple[str, int], str] = {("slack-token", 201): "retry"}


@dataclass
class Rig:
    """A notifier wired to its fake, and how to make the fake answer one request."""

    notifier: Notifier
    answer: Callable[[int, Any], None]  # (status, body) for the next request
    ok_body: Any  # a successful answer's body, in the destination's shape


@asynccontextmanager
async def rig(kind: str) -> AsyncIterator[Rig]:
    async with httpx.AsyncClient() as http:
        if kind == "webhook":
            with WebhookReceiver() as receiver:
                settings = DESTINATIONS["webhook"].settings(url=f"{receiver.url}/hook")
                yield Rig(DESTINATIONS["webhook"].create("ch", settings, http),
                          lambda status, body: receiver.respond(status, body=_bytes(body)), b"")
        elif kind.startswith("slack"):
            with FakeSlack() as slack:
                if kind == "slack-token":
                    settings = DESTINATIONS["slack"].settings(token="xoxb-ok", channel="#ops", api_url=slack.api_url)
                    ok_body: Any = {"ok": True, "channel": "C0000000001", "ts": "1.000100"}
                else:
                    settings = DESTINATIONS["slack"].settings(webhook_url=slack.webhook_url("ok"))
                    ok_body = "ok"
                notifier = DESTINATIONS["slack"].create("ch", settings, http)
                yield Rig(notifier, lambda status, body: slack.respond(status, body=body, times=2), ok_body)
                await notifier.aclose()
        else:
            with FakeDiscord() as discord:
                settings = DESTINATIONS["discord"].settings(webhook_url=discord.webhook_url("ok"))
                yield Rig(DESTINATIONS["discord"].create("ch", settings, http),
                          lambda status, body: discord.respond(status, json_body=body),
                          {"id": "1200000000000000001", "channel_id": "1", "embeds": []})


def _bytes(body: Any) -> bytes:
    return body if isinstance(body, bytes) else str(body).encode()


async def outcome(notifier: Notifier) -> str:
    try:
        await notifier.send(compose(EVENT), None)
    except RetryableError:
        return "retry"
    except PermanentError as error:
        return "disable" if error.disable_channel else "drop"
    return "success"


KINDS = ["webhook", "slack-token", "slack-webhook", "discord"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status,expected", STATUS_TABLE.items())
async def test_every_notifier_maps_http_statuses_alike(kind, status, expected):
    async with rig(kind) as r:
        body = r.ok_body if status < 300 else {"message": "upstream trouble"}
        if kind == "webhook" or (kind.startswith("slack") and status >= 300):
            body = "upstream trouble" if status >= 300 else body
        r.answer(status, body)
        assert await outcome(r.notifier) == EXCEPTIONS.get((kind, status), expected)


# Destination-specific error codes (Slack answers HTTP 200 with ok:false; Discord sends a JSON code).
SLACK_CODES = {
    "ratelimited": "retry", "internal_error": "retry", "service_unavailable": "retry", "request_timeout": "retry",
    "fatal_error": "retry",
    "invalid_auth": "disable", "not_authed": "disable", "account_inactive": "disable", "token_revoked": "disable",
    "token_expired": "disable", "missing_scope": "disable", "channel_not_found": "disable",
    "not_in_channel": "disable", "is_archived": "disable",
    "invalid_blocks": "drop", "msg_too_long": "drop", "no_text": "drop",
}


@pytest.mark.parametrize("code,expected", SLACK_CODES.items())
async def test_slack_error_codes(code, expected):
    async with rig("slack-token") as r:
        r.answer(200, {"ok": False, "error": code})  # twice: payload errors get one plain-text retry
        assert await outcome(r.notifier) == expected


@pytest.mark.parametrize("status,body,expected", [
    (404, {"message": "Unknown Webhook", "code": 10015}, "disable"),
    (400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}, "drop"),
    (429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}, "retry"),
    (401, {"message": "401: Unauthorized", "code": 0}, "disable"),
])
async def test_discord_error_codes(status, body, expected):
    async with rig("discord") as r:
        r.answer(status, body)
        assert await outcome(r.notifier) == expected


@pytest.mark.parametrize("kind", ["webhook", "slack-webhook", "discord"])
async def test_connection_refused_is_retryable_everywhere(kind):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook/path"
    key = {"webhook": "url", "slack-webhook": "webhook_url", "discord": "webhook_url"}[kind]
    destination = DESTINATIONS[kind.split("-")[0]]
    async with httpx.AsyncClient() as http:
        notifier = destination.create("ch", destination.settings(**{key: url}), http)
        assert await outcome(notifier) == "retry"
        await notifier.aclose()
