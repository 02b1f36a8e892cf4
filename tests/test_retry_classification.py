"""The one table: what every HTTP status, every odd answer and every transport failure means for
a delivery, for every destination reached over HTTP.

success, retry (RetryableError: an outage, retried while it lasts), unexpected (UnexpectedAnswer:
a redirect, a status outside HTTP's classes, an unreadable body where one is needed; tried a few
times, then given up), drop (PermanentError for this message), disable (PermanentError that stops
the channel and keeps its backlog). Each row is played by the notifier's real client library
(httpx for webhook and Discord, slack_sdk on aiohttp for Slack) against its local fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.message import compose
from bot.model import Event, Incident, Notifier, PermanentError, RetryableError, ThreadRef, Update
from bot.retry_after import UnexpectedAnswer
from notifiers import DESTINATIONS
from notifiers._http import Verdict, classify_status
from tests.fakes._server import ThreadedFake
from tests.fakes.broken_server import BrokenServer
from tests.fakes.discord import FakeDiscord
from tests.fakes.googlechat import FakeGoogleChat
from tests.fakes.mattermost import FakeMattermost
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import FakeTeams
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port

EVENT = Event(
    id="evt_1", type="incident.created", key="inc:i1", provider="acme", provider_title="Acme",
    thread_key="acme:incident:i1", impact="major",
    incident=Incident(id="i1", title="API errors", status="investigating", impact="major"),
    update=Update(id="u1", status="investigating", body="Investigating"),
)

SUCCESS, RETRY, UNEXPECTED, DROP, DISABLE = (
    Verdict.SUCCESS, Verdict.RETRY, Verdict.UNEXPECTED, Verdict.DROP, Verdict.DISABLE)

# status -> verdict, the same for every destination reached over HTTP. A status HTTP does not name
# is the x00 of its class (RFC 9110): 499 a 400, 520 a 500. Redirects are never followed.
STATUS_TABLE: dict[int, Verdict] = {
    200: SUCCESS, 201: SUCCESS, 204: SUCCESS, 299: SUCCESS,
    300: UNEXPECTED, 301: UNEXPECTED, 302: UNEXPECTED, 303: UNEXPECTED, 307: UNEXPECTED, 308: UNEXPECTED,
    400: DROP, 401: DISABLE, 403: DISABLE, 404: DISABLE, 408: RETRY, 410: DISABLE,
    413: DROP, 418: DROP, 422: DROP, 425: RETRY, 429: RETRY, 499: DROP,
    500: RETRY, 502: RETRY, 503: RETRY, 504: RETRY, 520: RETRY, 599: RETRY,
    600: UNEXPECTED, 999: UNEXPECTED,
}

# Where a destination needs more than a 2xx: an answer to thread on (Slack's ts, Discord's id).
EXCEPTIONS: dict[tuple[str, int], Verdict] = {
    ("slack-token", 201): UNEXPECTED,  # the Web API succeeds only with 200 and ok:true
    ("slack-token", 204): UNEXPECTED,
    ("slack-token", 299): UNEXPECTED,
    ("discord", 204): UNEXPECTED,  # a first message without its id cannot be kept current
    ("googlechat", 204): UNEXPECTED,  # a thread's first message without the thread's name
}

KINDS = ["webhook", "slack-token", "slack-webhook", "discord", "discord-edit", "teams", "googlechat",
         "googlechat-reply", "mattermost", "apprise"]
# Apprise reads only an answer's status (its bodies, 1xx and transport errors are its library's business).
HTTP_KINDS = ["webhook", "slack-token", "slack-webhook", "discord", "teams", "googlechat", "mattermost"]


@dataclass
class Fakes:
    """One of each fake, started once for the module: a test's rig counts only the requests that
    arrive after it starts and drops replies that an earlier test queued but never used."""

    receiver: WebhookReceiver
    slack: FakeSlack
    mattermost: FakeMattermost
    teams: FakeTeams
    googlechat: FakeGoogleChat
    discord: FakeDiscord
    elsewhere: WebhookReceiver  # a redirect's target, which nothing may reach


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    # Discord's bucket pacing has its own tests; here the unscripted posts (a thread's first message,
    # the update after an edit) must not wait for a bucket that the module's tests empty together.
    with (WebhookReceiver() as receiver, FakeSlack() as slack, FakeMattermost() as mattermost,
          FakeTeams() as teams, FakeGoogleChat() as googlechat, FakeDiscord(limit=1_000_000) as discord,
          WebhookReceiver() as elsewhere):
        yield Fakes(receiver, slack, mattermost, teams, googlechat, discord, elsewhere)


def _fresh(fake: ThreadedFake[Any, Any]) -> Callable[[], int]:
    """Forget the replies a previous test left queued (a Slack code that is not resent leaves its
    second one); how many requests the fake has seen since."""
    fake.forget_script()
    seen = len(fake.requests)
    return lambda: len(fake.requests) - seen


def _json_or_raw(respond: Callable[..., None]) -> Callable[[int, Any, Mapping[str, str]], None]:
    """`Rig.answer` for a fake that answers a JSON body, or bytes as they are (`raw=`)."""
    def answer(status: int, body: Any, headers: Mapping[str, str]) -> None:
        if isinstance(body, bytes):
            respond(status, None, headers, raw=body)
        else:
            respond(status, body, headers)
    return answer


# Each client would load the CA bundle again (~25 ms); the same verifying context serves them all.
TLS = httpx.create_ssl_context()


@dataclass
class Rig:
    """A notifier wired to its fake, and how to make the fake answer the next request."""

    notifier: Notifier
    answer: Callable[[int, Any, Mapping[str, str]], None]  # status, body, headers
    ok_body: Any  # a successful answer's body, in the destination's shape
    error_body: Any  # an error answer's body, in the destination's shape
    no_body: Any  # what makes the fake send no body at all (for a 204)
    requests: Callable[[], int]  # how many requests the fake has seen in this test
    thread: ThreadRef | None = None  # the send's thread: "discord-edit" answers the edit of its first message


@asynccontextmanager
async def rig(fakes: Fakes, kind: str, channel_timeout: float = 15.0) -> AsyncIterator[Rig]:
    async with httpx.AsyncClient(verify=TLS) as http:
        if kind == "webhook":
            receiver = fakes.receiver
            requests = _fresh(receiver)
            notifier = _create("webhook", http, url=f"{receiver.url}/hook", timeout=channel_timeout)
            yield Rig(notifier, lambda status, body, headers: receiver.respond(status, headers, body),
                      b"", b"upstream trouble", b"", requests)
        elif kind.startswith("slack"):
            slack = fakes.slack
            requests = _fresh(slack)
            if kind == "slack-token":
                notifier = _create("slack", http, token="xoxb-ok", channel="#ops", api_url=slack.api_url,
                                   timeout=channel_timeout)
                ok_body: Any = {"ok": True, "channel": "C0000000001", "ts": "1.000100"}
            else:
                notifier = _create("slack", http, webhook_url=slack.webhook_url("ok"), timeout=channel_timeout)
                ok_body = "ok"
            yield Rig(notifier, lambda status, body, headers: slack.respond(status, body, headers),
                      ok_body, "upstream trouble", "", requests)
            await notifier.aclose()
        elif kind == "mattermost":
            mattermost = fakes.mattermost
            requests = _fresh(mattermost)
            notifier = _create("mattermost", http, webhook_url=mattermost.webhook_url(), timeout=channel_timeout)
            # A body that is not Mattermost's AppError: the table alone decides (its own ids below).
            yield Rig(notifier, _json_or_raw(mattermost.respond), b"ok", b"upstream trouble", b"", requests)
        elif kind == "apprise":
            receiver = fakes.receiver
            requests = _fresh(receiver)
            # Apprise's JSON plugin posts to any HTTP endpoint and logs the status we classify.
            url = f"json://{receiver.url.removeprefix('http://')}/hook"
            notifier = _create("apprise", http, urls=[url], timeout=channel_timeout)
            yield Rig(notifier, lambda status, body, headers: receiver.respond(status, headers, body),
                      b"", b"upstream trouble", b"", requests)
        elif kind == "teams":
            teams = fakes.teams
            requests = _fresh(teams)
            notifier = _create("teams", http, webhook_url=teams.workflow_url(), timeout=channel_timeout)
            yield Rig(notifier, _json_or_raw(teams.respond),
                      None, {"error": {"code": "UpstreamTrouble", "message": "upstream trouble"}}, None,
                      requests)
        elif kind.startswith("googlechat"):
            chat = fakes.googlechat
            requests = _fresh(chat)
            notifier = _create("googlechat", http, webhook_url=chat.webhook_url("ok"), timeout=channel_timeout)
            # "googlechat-reply" posts into a thread the engine already keeps: no answer body needed.
            thread = {"thread": "spaces/AAAA/threads/BBBB"} if kind == "googlechat-reply" else None
            yield Rig(notifier, _json_or_raw(chat.respond),
                      {"name": "spaces/AAAA/messages/CCCC.CCCC", "thread": {"name": "spaces/AAAA/threads/BBBB"}},
                      {"error": {"code": 500, "message": "upstream trouble", "status": "INTERNAL"}}, None,
                      requests, thread)
        else:
            discord = fakes.discord
            seen = _fresh(discord)
            notifier = _create("discord", http, webhook_url=discord.webhook_url("ok"), timeout=channel_timeout)
            thread = await notifier.send(compose(EVENT), None) if kind == "discord-edit" else None
            yield Rig(notifier, _json_or_raw(discord.respond),
                      {"id": "1200000000000000001", "channel_id": "1", "embeds": []},
                      {"message": "upstream trouble", "code": 0}, None,
                      lambda: seen() - (thread is not None), thread)


def _create(kind: str, http: httpx.AsyncClient, **settings: Any) -> Notifier:
    destination = DESTINATIONS[kind]
    return destination.create("ch", destination.settings.model_validate(settings), http)


async def verdict(notifier: Notifier, thread: ThreadRef | None = None) -> Verdict:
    return (await attempt(notifier, thread))[0]


async def attempt(notifier: Notifier, thread: ThreadRef | None = None) -> tuple[Verdict, str]:
    """What one send came to, and its error's text ('' on success)."""
    try:
        await notifier.send(compose(EVENT), thread)
    except UnexpectedAnswer as error:
        return UNEXPECTED, str(error)
    except RetryableError as error:
        return RETRY, str(error)
    except PermanentError as error:
        return DISABLE if error.disable_channel else DROP, str(error)
    return SUCCESS, ""


@pytest.mark.parametrize(("status", "expected"), STATUS_TABLE.items())
def test_classify_status(status: int, expected: Verdict) -> None:
    assert classify_status(status) is expected


@pytest.mark.parametrize("status", [0, 99, 100, 101, 102, 199, 305, 399, 600, 1000])
def test_a_status_that_is_no_final_answer_is_unexpected(status: int) -> None:
    assert classify_status(status) is UNEXPECTED


@pytest.mark.parametrize("kind", KINDS)
async def test_every_destination_maps_http_statuses_alike(fakes: Fakes, kind: str) -> None:
    """Every row of the table against one notifier and its fake (one server per destination, not
    per row: the rows are independent attempts)."""
    wrong = []
    async with rig(fakes, kind) as r:
        for status, expected in STATUS_TABLE.items():
            before = r.requests()
            # A Location back at the fake itself: a followed redirect would be a second request.
            body = r.no_body if status == 204 else r.ok_body if status < 300 else r.error_body
            r.answer(status, body, {"Location": "/elsewhere"})
            got = await verdict(r.notifier, r.thread)
            follow_up = 1 if kind == "discord-edit" and expected is SUCCESS else 0  # the update after the edit
            # One request per attempt: no redirect followed, no retry inside.
            if got is not EXCEPTIONS.get((kind, status), expected) or r.requests() - before != 1 + follow_up:
                wrong.append((status, got, r.requests() - before))
    assert wrong == []


# Destination-specific error codes (Slack answers HTTP 200 with ok:false; Discord sends a JSON code).
SLACK_CODES = {
    "ratelimited": RETRY, "internal_error": RETRY, "service_unavailable": RETRY, "request_timeout": RETRY,
    "fatal_error": UNEXPECTED,  # "some aspect of the operation may have succeeded": not resent forever
    "invalid_auth": DISABLE, "not_authed": DISABLE, "account_inactive": DISABLE, "token_revoked": DISABLE,
    "token_expired": DISABLE, "missing_scope": DISABLE, "channel_not_found": DISABLE,
    "not_in_channel": DISABLE, "is_archived": DISABLE,
    "invalid_blocks": DROP, "msg_too_long": DROP, "no_text": DROP,
}


@pytest.mark.parametrize(("code", "expected"), SLACK_CODES.items())
async def test_slack_error_codes(fakes: Fakes, code: str, expected: Verdict) -> None:
    async with rig(fakes, "slack-token") as r:
        r.answer(200, {"ok": False, "error": code}, {})
        r.answer(200, {"ok": False, "error": code}, {})  # payload errors get one plain-text resend
        assert await verdict(r.notifier) is expected


@pytest.mark.parametrize(("status", "body", "expected"), [
    (404, {"message": "Unknown Webhook", "code": 10015}, DISABLE),
    (400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}, DROP),
    (429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}, RETRY),
    (401, {"message": "401: Unauthorized", "code": 0}, DISABLE),
])
async def test_discord_error_codes(fakes: Fakes, status: int, body: Any, expected: Verdict) -> None:
    async with rig(fakes, "discord") as r:
        r.answer(status, body, {})
        assert await verdict(r.notifier) is expected


GOOGLE_BAD_KEY = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                             "status": "INVALID_ARGUMENT", "details": [{
                                 "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                                 "domain": "googleapis.com"}]}}


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, {"error": {"code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT"}}, DROP),
    (400, GOOGLE_BAD_KEY, DISABLE),  # a 400, but the webhook's URL is what is wrong
    (401, {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                     "status": "UNAUTHENTICATED"}}, DISABLE),
    (403, {"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}},
     DISABLE),
    (404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}, DISABLE),
    (429, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                     "status": "RESOURCE_EXHAUSTED"}}, RETRY),
    (503, {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}, RETRY),
])
async def test_googlechat_error_codes(fakes: Fakes, status: int, body: Any, expected: Verdict) -> None:
    async with rig(fakes, "googlechat") as r:
        r.answer(status, body, {})
        assert await verdict(r.notifier) is expected


@pytest.mark.parametrize(("status", "code", "expected"), [
    (400, "WorkflowTriggerIsNotEnabled", DISABLE),  # the flow is turned off or deleted: every card fails
    (400, "TriggerInputSchemaMismatch", DISABLE),  # the flow's trigger was given a schema: every card fails
    (400, "InvalidRequestContent", DROP),
    (401, "DirectApiInvalidAuthorizationSignature", DISABLE),
    (404, "WorkflowNotFound", DISABLE),
    (429, "WorkflowRequestsThrottled", RETRY),
])
async def test_teams_workflow_error_codes(fakes: Fakes, status: int, code: str, expected: Verdict) -> None:
    async with rig(fakes, "teams") as r:
        r.answer(status, {"error": {"code": code, "message": "upstream says no"}}, {})
        assert await verdict(r.notifier) is expected


# Mattermost's own errors are a JSON AppError; its id says when the channel's setup is at fault.
MATTERMOST_HOOK = "Failed to handle the payload of media type application/json for incoming webhook abc123."


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, {"id": "web.incoming_webhook.general.app_error", "message": MATTERMOST_HOOK, "status_code": 400},
     DISABLE),  # a deleted hook, or channel = "@user" naming no user (current servers)
    (400, {"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook.", "status_code": 400},
     DISABLE),  # a deleted hook (older servers)
    (400, {"id": "web.incoming_webhook.decode.app_error", "message": "Unable to decode.", "status_code": 400},
     DROP),  # this payload only
    (404, {"id": "web.incoming_webhook.general.app_error", "message": MATTERMOST_HOOK, "status_code": 404},
     DISABLE),  # the channel is not found
    (403, {"id": "web.incoming_webhook.general.app_error", "message": MATTERMOST_HOOK, "status_code": 403},
     DISABLE),  # a hook locked to another channel
    (429, b"limit exceeded\n", RETRY),
    (501, {"id": "web.incoming_webhook.general.app_error", "message": MATTERMOST_HOOK, "status_code": 501},
     RETRY),  # incoming webhooks switched off by an admin: retried until they are back
])
async def test_mattermost_error_codes(fakes: Fakes, status: int, body: Any, expected: Verdict) -> None:
    async with rig(fakes, "mattermost") as r:
        r.answer(status, body, {"X-Ratelimit-Reset": "1"} if status == 429 else {})
        outcome, error = await attempt(r.notifier)
    assert outcome is expected, error
    assert "abc123" not in error


# ---------------------------------------------------------------- redirects

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_no_destination_follows_a_redirect_to_another_server(fakes: Fakes, kind: str, status: int) -> None:
    elsewhere = fakes.elsewhere
    earlier = len(elsewhere.requests)
    async with rig(fakes, kind) as r:
        r.answer(status, r.error_body, {"Location": f"{elsewhere.url}/collect?from=statusbot"})
        outcome, error = await attempt(r.notifier, r.thread)
        assert r.requests() == 1
    assert elsewhere.requests[earlier:] == [], "nothing reached the redirect's target"
    assert outcome is UNEXPECTED
    assert f"HTTP {status} " in error and error.endswith(": a redirect, not followed")
    assert elsewhere.url.removeprefix("http://") not in error and "upstream trouble" not in error


# ---------------------------------------------------------------- odd bodies

INVALID_UTF8 = b"\xff\xfe ok \xc3\x28"
HTML = b"<html><body>proxy page, secret-looking text</body></html>"
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}

# kind, status, body, headers -> verdict. A body matters only where the destination needs one.
ODD_ANSWERS: list[tuple[str, int, bytes, dict[str, str], Verdict]] = [
    # Slack's incoming webhooks report every failure with an error status: a 2xx was posted.
    ("slack-webhook", 200, INVALID_UTF8, TEXT, SUCCESS),
    ("slack-webhook", 200, HTML, {"Content-Type": "text/html"}, SUCCESS),
    ("slack-webhook", 503, INVALID_UTF8, TEXT, RETRY),
    ("slack-webhook", 404, INVALID_UTF8, TEXT, DISABLE),
    # The Web API answers a JSON object with ok:true (and a ts to thread on).
    ("slack-token", 200, INVALID_UTF8, TEXT, UNEXPECTED),
    ("slack-token", 200, INVALID_UTF8, JSON, UNEXPECTED),
    ("slack-token", 200, b"ok", TEXT, UNEXPECTED),
    ("slack-token", 200, HTML, {"Content-Type": "text/html"}, UNEXPECTED),
    ("slack-token", 200, b'["ok"]', JSON, UNEXPECTED),
    ("slack-token", 200, b'{"channel": "C1"}', JSON, UNEXPECTED),
    ("slack-token", 200, b"\x1f\x8b\x08 not Slack", {"Content-Type": "application/gzip"}, UNEXPECTED),
    ("slack-token", 503, INVALID_UTF8, JSON, RETRY),
    ("slack-token", 403, INVALID_UTF8, TEXT, DISABLE),
    # Discord's first post needs the created message's id (?wait=true); an edit needs no body.
    ("discord", 200, HTML, {}, UNEXPECTED),
    ("discord", 200, INVALID_UTF8, JSON, UNEXPECTED),
    ("discord", 200, b"", JSON, UNEXPECTED),
    ("discord-edit", 200, HTML, {}, SUCCESS),
    ("discord", 502, HTML, {}, RETRY),
    ("discord", 429, INVALID_UTF8, {"Retry-After": "3"}, RETRY),
    # Google Chat's thread-starting message needs the created message's thread.name; a reply needs no body.
    ("googlechat", 200, HTML, {}, UNEXPECTED),
    ("googlechat", 200, INVALID_UTF8, JSON, UNEXPECTED),
    ("googlechat", 200, b"", JSON, UNEXPECTED),
    ("googlechat", 200, b'{"name": "spaces/AAAA/messages/CCCC.CCCC"}', JSON, UNEXPECTED),
    ("googlechat-reply", 200, HTML, {}, SUCCESS),
    ("googlechat", 502, HTML, {}, RETRY),
    ("googlechat", 429, INVALID_UTF8, {"Retry-After": "3"}, RETRY),
    ("googlechat", 400, HTML, {"Content-Type": "text/html"}, DROP),
    # Mattermost answers `ok`; a 2xx is posted whatever its body (a warning says it was not `ok`).
    ("mattermost", 200, HTML, {"Content-Type": "text/html"}, SUCCESS),
    ("mattermost", 200, INVALID_UTF8, TEXT, SUCCESS),
    ("mattermost", 400, INVALID_UTF8, JSON, DROP),  # not Mattermost's AppError: this message only
    ("mattermost", 404, HTML, {"Content-Type": "text/html"}, DISABLE),
    ("mattermost", 503, HTML, {}, RETRY),
    # A generic webhook's receiver owes us nothing but a 2xx.
    ("webhook", 200, HTML, {}, SUCCESS),
    ("webhook", 200, INVALID_UTF8, {}, SUCCESS),
]


@pytest.mark.parametrize(("kind", "status", "body", "headers", "expected"), ODD_ANSWERS)
async def test_odd_bodies(fakes: Fakes, kind: str, status: int, body: bytes, headers: dict[str, str], expected: Verdict) -> None:
    async with rig(fakes, kind) as r:
        r.answer(status, body, headers)
        outcome, error = await attempt(r.notifier, r.thread)
        follow_up = 1 if kind == "discord-edit" and expected is SUCCESS else 0
        assert r.requests() == 1 + follow_up, "a 2xx is never sent again"
    assert outcome is expected, error
    assert "secret-looking" not in error and "proxy page" not in error and " ok " not in error
    if expected is UNEXPECTED:  # what came back is named by its type and size, never quoted
        assert f" with {len(body):,} bytes of " in error or (not body and " with no body" in error), error


async def test_a_slack_webhook_2xx_that_is_not_ok_is_accepted_with_a_warning(fakes: Fakes, caplog: pytest.LogCaptureFixture) -> None:
    async with rig(fakes, "slack-webhook") as r:
        r.answer(200, HTML, {"Content-Type": "text/html; charset=utf-8"})
        assert await verdict(r.notifier) is SUCCESS
    [warning] = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warning == (f"slack channel 'ch': accepted (HTTP 200 OK with {len(HTML)} bytes of text/html), "
                       "though Slack answers 'ok'")


@pytest.mark.parametrize("kind", HTTP_KINDS)
@pytest.mark.parametrize("status", [100, 101, 103])  # Continue, Switching Protocols, an interim hint
async def test_an_informational_answer_alone_is_no_answer(fakes: Fakes, kind: str, status: int) -> None:
    """A 1xx is never a final answer: each library waits for one (until the timeout), or rejects what follows."""
    async with rig(fakes, kind, channel_timeout=0.15) as r:
        r.answer(status, r.error_body, {})
        with pytest.raises(RetryableError):
            await r.notifier.send(compose(EVENT), None)


# ---------------------------------------------------------------- transport failures

TRANSPORT_FAILURES = {
    "refused": "connection refused",
    "tls": "TLS failed",  # https to a server that does not speak TLS
    "not-http": "protocol error",
    "hang-up": "protocol error",
    "silent": "timed out",
}


def settings_at(kind: str, base_url: str) -> dict[str, Any]:
    return {
        "webhook": {"url": f"{base_url}/hook/T0KEN"},
        "slack-token": {"token": "xoxb-T0KEN", "channel": "#ops", "api_url": f"{base_url}/api/"},
        "slack-webhook": {"webhook_url": f"{base_url}/services/T0/B0/T0KEN"},
        "discord": {"webhook_url": f"{base_url}/api/webhooks/1/T0KEN"},
        "mattermost": {"webhook_url": f"{base_url}/hooks/T0KEN"},
        "googlechat": {"webhook_url": f"{base_url}/v1/spaces/AAAA/messages?key=K3Y&token=T0KEN"},
        "teams": {"webhook_url": f"{base_url}/workflows/0a1b/triggers/manual/paths/invoke?sv=1.0&sig=T0KEN"},
    }[kind]


@pytest.mark.parametrize("kind", HTTP_KINDS)
@pytest.mark.parametrize(("failure", "named"), TRANSPORT_FAILURES.items())
async def test_every_destination_names_transport_failures_alike(kind: str, failure: str, named: str) -> None:
    mode = failure if failure in ("not-http", "hang-up", "silent") else "not-http"
    with BrokenServer(mode) as broken:
        base_url = {"refused": f"http://127.0.0.1:{free_port()}",
                    "tls": broken.url.replace("http://", "https://")}.get(failure, broken.url)
        async with httpx.AsyncClient(verify=TLS) as http:
            # A silent server is only ever a timeout, so it needs no margin; the rest answer at once.
            timeout = 0.05 if failure == "silent" else 0.3
            notifier = _create(kind.split("-")[0], http, timeout=timeout, **settings_at(kind, base_url))
            with pytest.raises(RetryableError) as caught:
                await notifier.send(compose(EVENT), None)
            await notifier.aclose()
    label = f"{kind.split('-')[0]} channel 'ch'"
    assert str(caught.value).startswith(f"{label}: {named} (")
    assert caught.value.retry_after is None
    assert "T0KEN" not in str(caught.value) and "127.0.0.1" not in str(caught.value)
    assert caught.value.__suppress_context__, "raised from None: a traceback shows no library text"
