"""Slack notifier: exact payloads, escaping, limits, threads and edits, errors, webhooks, no leaks.

The real slack_sdk clients run against FakeSlack (a real local HTTP server); where the engine's
behaviour matters the notifier is driven through the DeliveryWorker and a real Store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.deliver import DeliveryWorker
from bot.logs import setup_logging
from bot.message import compose
from bot.model import (
    Component,
    DeliveryError,
    Event,
    Incident,
    PermanentError,
    RetryableError,
    Update,
)
from bot.retry_after import UnexpectedAnswer
from bot.state import Store
from notifiers._slack_client import SlackNotifier, SlackWebhookNotifier
from notifiers._slack_render import (
    MAX_SECTION,
    MAX_TEXT,
    escape,
    fit,
    link,
    parent_payload,
    update_payload,
)
from notifiers.slack import DESTINATION, SlackSettings
from tests.builders import RecordedSleep
from tests.fakes.slack import FakeSlack, Request

CHANNEL = "ops"
THREAD_KEY = "openai:incident:inc_1"
INJECTION = "@everyone @here <!channel> <!here> <@U123> <#C123> <!subteam^S1|team>"

# ---------------------------------------------------------------- events


def incident_event(
    n: int,
    event_type: str,
    status: str,
    body: str = "",
    *,
    title: str = "Elevated errors",
    url: str = "https://status.example.com/incidents/inc_1",
    impact: str = "major",
) -> Event:
    """The n-th event of incident inc_1, whose status is `status` as of this event."""
    update = Update(id=f"u{n}", status=status, body=body or f"Update {n}: {status}.")
    incident = Incident(id="inc_1", title=title, status=status, impact=impact, url=url,
                        component_names=("Chat Completions", "Responses"), updates=(update,))
    return Event(id=f"evt_{n}", type=event_type, key=f"inc_1/u{n}", provider="openai", provider_title="OpenAI",
                 thread_key=THREAD_KEY, impact=impact, incident=incident, update=update)


LIFECYCLE = [
    incident_event(1, "incident.created", "investigating", "We are investigating elevated errors."),
    incident_event(2, "incident.status", "identified", "We found the cause."),
    incident_event(3, "incident.status", "monitoring", "A fix is deployed."),
    incident_event(4, "incident.resolved", "resolved", "All good again."),
]

UPDATE = Update(id="u2", status="identified", body="We found the cause.\nA fix is rolling out.")
EXACT_EVENT = Event(
    id="evt_1", type="incident.status", key="inc_1/u2", provider="openai", provider_title="OpenAI",
    thread_key=THREAD_KEY, impact="major", old_status="investigating", new_status="identified", update=UPDATE,
    incident=Incident(id="inc_1", title="Elevated errors", status="monitoring", impact="major",
                      url="https://status.example.com/incidents/inc_1",
                      component_names=("Chat Completions", "Responses"), updates=(UPDATE,)),
)
COMPONENT_EVENT = Event(
    id="evt_2", type="component.status", key="c1/major_outage", provider="openai", provider_title="OpenAI",
    thread_key="openai:component:c1", impact="critical", old_status="operational", new_status="major_outage",
    component=Component(id="c1", name="Chat API", status="major_outage"),
)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


Factory = Callable[..., Any]


@pytest.fixture
async def make(slack: FakeSlack) -> AsyncIterator[Factory]:
    """Builds notifiers through the registry entry point and closes them after the test."""
    made: list[Any] = []

    def factory(token: str = "xoxb-ok", webhook: str | None = None, **settings: Any) -> Any:
        if webhook:
            raw = {"webhook_url": slack.webhook_url(webhook)}
        else:
            raw = {"token": token, "channel": f"#{CHANNEL}", "api_url": slack.api_url}
        notifier = DESTINATION.create(CHANNEL, DESTINATION.settings.model_validate({**raw, **settings}), None)
        made.append(notifier)
        return notifier

    yield factory
    for notifier in made:
        await notifier.aclose()


async def enqueue(store: Store, *events: Event) -> None:
    await store.commit_poll("openai", [], [], [(CHANNEL, event) for event in events], changed=True)


def worker_for(notifier: Any, store: Store, sleep: RecordedSleep | None = None) -> DeliveryWorker:
    """A worker whose waits (pacing, backoff) return at once."""
    return DeliveryWorker(CHANNEL, notifier, store, sleep=sleep or RecordedSleep())


def calls(slack: FakeSlack) -> list[str]:
    return [request.path.removeprefix("/api/") for request in slack.requests]


def every_text(request: Request) -> list[str]:
    """The top-level text and every block text of one request."""
    body = request.body
    texts = [body.get("text", "")]
    for attachment in body.get("attachments") or []:
        texts += [block["text"]["text"] for block in attachment["blocks"]]
    return texts


def kind(error: DeliveryError) -> str:
    if isinstance(error, PermanentError):
        return "disable" if error.disable_channel else "drop"
    return "unexpected" if isinstance(error, UnexpectedAnswer) else "retry"


async def outcome(send: Any) -> str:
    try:
        await send
    except DeliveryError as error:
        return kind(error)
    return "ok"


# ---------------------------------------------------------------- exact payloads

HEADING = "*<https://status.example.com/incidents/inc_1|OpenAI: Elevated errors>*"
BODY = "We found the cause.\nA fix is rolling out."
COMPONENTS = "Components: Chat Completions, Responses"


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def test_parent_payload_shows_the_current_phase_and_colour() -> None:
    assert parent_payload(compose(EXACT_EVENT)) == {
        "text": "OpenAI: Elevated errors — Monitoring · Major impact",
        "attachments": [{
            "color": "#e8912d",
            "blocks": [section(f"{HEADING}\nMonitoring · Major impact"), section(BODY), section(COMPONENTS)],
        }],
    }


def test_update_payload_shows_this_event() -> None:
    assert update_payload(compose(EXACT_EVENT)) == {
        "text": "OpenAI: Elevated errors — Status change: Identified · Major impact",
        "attachments": [{
            "color": "#e8912d",
            "blocks": [section(f"{HEADING}\nStatus change: Identified · Major impact"), section(BODY),
                       section(COMPONENTS)],
        }],
    }


def test_plain_payloads_have_no_attachments() -> None:
    assert parent_payload(compose(EXACT_EVENT), plain=True) == {
        "text": f"{HEADING}\nMonitoring · Major impact\n{BODY}\n{COMPONENTS}"
    }
    assert update_payload(compose(EXACT_EVENT), plain=True) == {
        "text": f"{HEADING}\nStatus change: Identified · Major impact\n{BODY}\n{COMPONENTS}"
    }


def test_component_payload_with_the_channels_mention() -> None:
    assert update_payload(compose(COMPONENT_EVENT, mention="<!here>")) == {
        "text": "<!here> OpenAI: Chat API — Component status: Major outage · Critical impact",
        "attachments": [{
            "color": "#e01e5a",
            "blocks": [section("<!here> *OpenAI: Chat API*\nComponent status: Major outage · Critical impact"),
                       section("Operational → Major outage")],
        }],
    }


def test_resolution_names_its_phase_once_and_is_green() -> None:
    payload = update_payload(compose(LIFECYCLE[3]))
    assert payload["text"] == "OpenAI: Elevated errors — Resolved · Major impact"
    assert payload["attachments"][0]["color"] == "#2eb67d"


# ---------------------------------------------------------------- escaping and limits


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel> & <@U123>", "&lt;!channel&gt; &amp; &lt;@U123&gt;"),
        ("<!subteam^S1|team> <#C123>", "&lt;!subteam^S1|team&gt; &lt;#C123&gt;"),
        ("@here, @Channel, @everyone!", "@\u200bhere, @\u200bChannel, @\u200beveryone!"),
        ("@hereafter mail@channels.example", "@hereafter mail@channels.example"),
        ("already &amp; escaped", "already &amp;amp; escaped"),
        ("“curly” *bold* `code`", "“curly” *bold* `code`"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "ftp://status.example.com/x",
        "https://status.example.com/a|<!here>",
        "https://status.example.com/<!here>",
        "https://status.example.com/a b",
        "https://status.example.com/a\nb",
        "https:///no-host",
        "https://status.example.com/" + "a" * 2_000,
    ],
)
def test_unsafe_urls_are_not_linked(url: str) -> None:
    assert link(url, "label") == "label"


def test_safe_url_is_linked_with_its_ampersands_escaped() -> None:
    assert link("https://status.example.com/i?a=1&b=2", "label") == "<https://status.example.com/i?a=1&amp;b=2|label>"


def test_fit_cuts_before_escaping_so_no_entity_is_split() -> None:
    fitted = fit("<" * 5_000, 3_000)
    assert len(fitted) <= 3_000
    assert fitted.endswith("&lt;…") and set(fitted.removesuffix("…").split("&lt;")) == {""}
    assert fit("short & sweet", 3_000) == "short &amp; sweet"


def test_injection_is_escaped_everywhere_but_the_opt_in_mention_is_raw() -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {INJECTION}", title=f"Title {INJECTION}",
                           url="https://status.example.com/<!here>")
    for render in (parent_payload, update_payload):
        for plain in (False, True):
            payload = render(compose(event, mention="<!here>"), plain=plain)
            texts = [payload["text"]] + [
                block["text"]["text"] for a in payload.get("attachments", []) for block in a["blocks"]
            ]
            assert texts[0].startswith("<!here> ")
            if not plain:
                assert texts[1].startswith("<!here> ")
            dump = json.dumps(payload, ensure_ascii=False).replace("<!here> ", "", 1 if plain else 2)
            assert "<!" not in dump and "<@" not in dump and "<#" not in dump
            assert "@here" not in dump and "@everyone" not in dump
            assert "&lt;!channel&gt;" in dump and "&lt;@U123&gt;" in dump


def test_a_huge_update_fits_every_limit() -> None:
    event = incident_event(1, "incident.created", "investigating", "word " * 2_000, title="T" * 5_000)
    for render in (parent_payload, update_payload):
        payload = render(compose(event))
        blocks = payload["attachments"][0]["blocks"]
        assert len(payload["text"]) <= MAX_TEXT and len(blocks) <= 50
        assert all(len(block["text"]["text"]) <= MAX_SECTION for block in blocks)
        assert sum(len(block["text"]["text"]) for block in blocks) < 12_000
        assert blocks[1]["text"]["text"].endswith("word…")
        assert len(render(compose(event), plain=True)["text"]) <= MAX_TEXT


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"channel": "#ops"},
        {"token": "xoxb-1", "webhook_url": "https://hooks.slack.com/services/T/B/x", "channel": "#ops"},
        {"token": "xoxb-1"},
        {"token": "", "channel": "#ops"},
        {"token": "xoxb 1", "channel": "#ops"},
        {"token": "xoxb-1", "channel": " "},
        {"webhook_url": "hooks.slack.com/services/T/B/x"},
        {"webhook_url": "ftp://hooks.slack.com/services/T/B/x"},
        {"token": "xoxb-1", "channel": "#ops", "api_url": "not a url"},
        {"token": "xoxb-1", "channel": "#ops", "timeout": 0},
        {"token": "xoxb-1", "channel": "#ops", "timeout": float("nan")},
        {"token": "xoxb-1", "channel": "#ops", "username": "bot"},
    ],
)
def test_invalid_settings(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SlackSettings.model_validate(raw)


def test_settings_defaults_and_secrets_stay_hidden() -> None:
    settings = SlackSettings.model_validate({"token": " xoxb-T0KEN ", "channel": "#ops"})
    assert (settings.token, settings.api_url, settings.timeout) == ("xoxb-T0KEN", None, 15.0)
    assert "T0KEN" not in repr(settings)
    hook = SlackSettings.model_validate({"webhook_url": "https://hooks.slack.com/services/T/B/S3CRET"})
    assert "S3CRET" not in repr(hook)
    for raw in (
        {"token": "xoxb-T0KEN", "webhook_url": "https://hooks.slack.com/services/T/B/S3CRET"},
        {"webhook_url": "ftp://hooks.slack.com/services/T/B/S3CRET"},
        {"token": "xoxb T0KEN", "channel": "#ops"},
    ):
        with pytest.raises(ValidationError) as caught:
            SlackSettings.model_validate(raw)
        assert "T0KEN" not in str(caught.value) and "S3CRET" not in str(caught.value)


def test_destination_entry() -> None:
    assert DESTINATION.type == "slack" and DESTINATION.settings is SlackSettings
    assert DESTINATION.secret_keys == ("token", "webhook_url")
    token = DESTINATION.create("ops", SlackSettings(token="xoxb-1", channel="#ops"), None)
    hook = DESTINATION.create("ops", SlackSettings(webhook_url="https://hooks.slack.com/services/T/B/x"), None)
    assert isinstance(token, SlackNotifier) and isinstance(hook, SlackWebhookNotifier)
    assert token.min_interval == hook.min_interval == 1.0


# ---------------------------------------------------------------- threads, through the engine


async def test_an_incident_is_one_thread_with_its_parent_edited_to_the_current_phase(
    slack: FakeSlack, make: Factory, store: Store
) -> None:
    await enqueue(store, *LIFECYCLE)
    assert await worker_for(make(), store).drain(asyncio.Event()) == 0

    assert calls(slack) == ["chat.postMessage"] + ["chat.update", "chat.postMessage"] * 3
    parent, *replies = slack.messages(CHANNEL)
    assert parent.thread_ts is None and len(replies) == 3
    assert [(r.thread_ts, r.reply_broadcast) for r in replies] == [(parent.ts, False), (parent.ts, False),
                                                                  (parent.ts, True)]
    shown = [version["text"] for version in parent.edits] + [parent.text]
    assert [text.split(" — ")[1] for text in shown] == [
        "Investigating · Major impact", "Identified · Major impact", "Monitoring · Major impact",
        "Resolved · Major impact"]
    assert parent.attachments[0]["color"] == "#2eb67d"
    assert await store.thread(CHANNEL, THREAD_KEY) == {"channel": slack.channel_id(CHANNEL), "ts": parent.ts}


async def test_a_thread_continues_with_the_stored_ref_after_a_restart(
    slack: FakeSlack, make: Factory, store: Store
) -> None:
    await enqueue(store, *LIFECYCLE[:2])
    await worker_for(make(), store).drain(asyncio.Event())
    await enqueue(store, *LIFECYCLE[2:])
    await worker_for(make(), store).drain(asyncio.Event())  # a second notifier, as after a restart

    parent, *replies = slack.messages(CHANNEL)
    assert [r.thread_ts for r in replies] == [parent.ts] * 3
    assert [r.body.get("thread_ts") for r in slack.requests if r.path.endswith("postMessage")] == [
        None, parent.ts, parent.ts, parent.ts]


async def test_a_deleted_parent_gets_a_new_one_and_the_ref_is_replaced(
    slack: FakeSlack, make: Factory, store: Store
) -> None:
    worker = worker_for(make(), store)
    await enqueue(store, LIFECYCLE[0])
    await worker.drain(asyncio.Event())
    old = await store.thread(CHANNEL, THREAD_KEY)
    slack.delete(CHANNEL, old["ts"])

    await enqueue(store, LIFECYCLE[1])
    assert await worker.drain(asyncio.Event()) == 0
    assert calls(slack)[1:] == ["chat.update", "chat.postMessage", "chat.postMessage"]
    new = slack.messages(CHANNEL)[-1]
    assert new.thread_ts is None and "Identified · Major impact" in new.text
    assert await store.thread(CHANNEL, THREAD_KEY) == {"channel": old["channel"], "ts": new.ts} != old


async def test_a_parent_past_its_edit_window_turns_the_reply_into_a_broadcast(slack: FakeSlack, make: Factory) -> None:
    notifier = make("xoxb-edit-window-closed")
    ref = await notifier.send(compose(LIFECYCLE[0]), None)
    assert await notifier.send(compose(LIFECYCLE[1]), ref) is None
    parent, reply = slack.messages(CHANNEL)
    assert parent.edits == [] and (reply.thread_ts, reply.reply_broadcast) == (parent.ts, True)


async def test_the_opt_in_mention_pings_once_and_page_text_never(slack: FakeSlack, make: Factory) -> None:
    notifier = make()
    event = incident_event(1, "incident.created", "investigating", f"Body {INJECTION}", title=f"Title {INJECTION}")
    ref = await notifier.send(compose(event, mention="<!here>"), None)
    await notifier.send(compose(event, mention="<!here>"), ref)
    post, edit, reply = slack.requests
    for request in (post, reply):
        assert [text.startswith("<!here> ") for text in every_text(request)] == [True, True, False, False]
    assert not any(text.startswith("<!here>") for text in every_text(edit)), "an edit pings no one"
    for request in slack.requests:
        dump = json.dumps(request.body, ensure_ascii=False).replace('"<!here> ', '"')
        assert "<!" not in dump and "<@" not in dump and "<#" not in dump and "@here" not in dump
        assert "link_names" not in request.body and "parse" not in request.body


async def test_a_10000_character_update_is_truncated_and_delivered(slack: FakeSlack, make: Factory) -> None:
    event = incident_event(1, "incident.created", "investigating", "x" * 10_000)
    assert await make().send(compose(event), None) is not None
    (message,) = slack.messages(CHANNEL)
    assert len(message.text) <= MAX_TEXT
    assert all(len(block["text"]["text"]) <= MAX_SECTION for block in message.attachments[0]["blocks"])


# ---------------------------------------------------------------- failures


async def test_retry_after_is_really_waited_and_the_message_sent_once(
    slack: FakeSlack, make: Factory, store: Store
) -> None:
    await enqueue(store, LIFECYCLE[0])
    worker = DeliveryWorker(CHANNEL, make("xoxb-ratelimited-once"), store)  # real asyncio.sleep
    started = time.monotonic()
    assert await worker.drain(asyncio.Event()) == 0
    assert time.monotonic() - started >= 1.0
    assert calls(slack) == ["chat.postMessage"] * 2 and len(slack.messages(CHANNEL)) == 1


async def test_sdk_retries_are_off_a_429_is_the_engines_to_wait(slack: FakeSlack, make: Factory) -> None:
    with pytest.raises(RetryableError) as caught:
        await make("xoxb-ratelimited-once").send(compose(LIFECYCLE[0]), None)
    assert caught.value.retry_after == 1.0
    assert str(caught.value) == "slack channel 'ops': HTTP 429 Too Many Requests: ratelimited (retry after 1s)"
    assert len(slack.requests) == 1


async def test_server_errors_are_retried_by_the_worker(slack: FakeSlack, make: Factory, store: Store) -> None:
    sleep = RecordedSleep()
    await enqueue(store, LIFECYCLE[0])
    assert await worker_for(make("xoxb-5xx-2"), store, sleep).drain(asyncio.Event(), max_attempts=5) == 0
    assert len(slack.requests) == 3 and len(slack.messages(CHANNEL)) == 1
    assert len([wait for wait in sleep.waits if wait >= 1]) == 2  # two backoffs (pacing waits are shorter)


@pytest.mark.parametrize("with_thread", [False, True])
async def test_a_revoked_token_disables_the_channel_at_the_first_attempt(
    slack: FakeSlack, make: Factory, with_thread: bool
) -> None:
    thread = {"channel": "C0000000001", "ts": "1700000000.000100"} if with_thread else None
    with pytest.raises(PermanentError) as caught:
        await make("xoxb-token-revoked").send(compose(LIFECYCLE[1]), thread)
    assert caught.value.disable_channel
    assert str(caught.value) == "slack channel 'ops': token_revoked: channel disabled"
    assert len(slack.requests) <= 2


async def test_a_revoked_token_stops_the_worker_and_keeps_the_backlog(
    slack: FakeSlack, make: Factory, store: Store
) -> None:
    await enqueue(store, *LIFECYCLE)
    await asyncio.wait_for(worker_for(make("xoxb-token-revoked"), store).run(asyncio.Event()), timeout=5)
    assert len(slack.requests) == 1
    assert await store.disabled_reason(CHANNEL) == "slack channel 'ops': token_revoked: channel disabled"
    assert await store.pending_count(CHANNEL) == 4


async def test_a_rejected_payload_is_resent_once_as_plain_text(slack: FakeSlack, make: Factory) -> None:
    ref = await make("xoxb-rejects-blocks").send(compose(EXACT_EVENT), None)
    rich, plain = slack.requests
    assert "attachments" in rich.body
    assert set(plain.body) == {"channel", "text"} and plain.body["text"] == parent_payload(
        compose(EXACT_EVENT), plain=True)["text"]
    (message,) = slack.messages(CHANNEL)
    assert ref == {"channel": message.channel, "ts": message.ts}


async def test_rejected_edit_and_reply_fall_back_to_plain_text_too(slack: FakeSlack, make: Factory) -> None:
    notifier = make("xoxb-rejects-blocks")
    ref = await notifier.send(compose(LIFECYCLE[0]), None)
    assert await notifier.send(compose(LIFECYCLE[1]), ref) is None
    assert calls(slack)[2:] == ["chat.update"] * 2 + ["chat.postMessage"] * 2
    parent, reply = slack.messages(CHANNEL)
    assert parent.attachments is None and "Identified" in parent.text, "the stale coloured bar is removed"
    assert reply.thread_ts == parent.ts and reply.attachments is None


async def test_a_payload_rejected_twice_gives_up_this_message_only(slack: FakeSlack, make: Factory) -> None:
    slack.respond(200, {"ok": False, "error": "invalid_blocks"})
    slack.respond(200, {"ok": False, "error": "msg_too_long"})
    with pytest.raises(PermanentError) as caught:
        await make().send(compose(LIFECYCLE[0]), None)
    assert not caught.value.disable_channel
    assert str(caught.value) == "slack channel 'ops': msg_too_long: message rejected"
    assert len(slack.requests) == 2


async def test_an_edit_slack_refuses_does_not_cost_the_update(slack: FakeSlack, make: Factory) -> None:
    notifier = make()
    ref = await notifier.send(compose(LIFECYCLE[0]), None)
    slack.respond(200, {"ok": False, "error": "cant_update_message"})
    assert await notifier.send(compose(LIFECYCLE[1]), ref) is None
    assert slack.messages(CHANNEL)[1].reply_broadcast is True


async def test_a_retryable_edit_failure_posts_no_reply(slack: FakeSlack, make: Factory) -> None:
    notifier = make()
    ref = await notifier.send(compose(LIFECYCLE[0]), None)
    slack.respond(503, {"ok": False, "error": "service_unavailable"})
    with pytest.raises(RetryableError):
        await notifier.send(compose(LIFECYCLE[1]), ref)
    assert calls(slack) == ["chat.postMessage", "chat.update"] and len(slack.messages(CHANNEL)) == 1


SLACK_TABLE: list[tuple[int, Any, str]] = [
    *[(200, {"ok": False, "error": code}, "disable") for code in (
        "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "missing_scope",
        "not_allowed_token_type", "channel_not_found", "not_in_channel", "is_archived", "no_permission",
        "team_not_found", "ekm_access_denied", "restricted_action", "restricted_action_read_only_channel")],
    *[(200, {"ok": False, "error": code}, "retry") for code in (
        "ratelimited", "internal_error", "service_unavailable", "request_timeout")],
    (200, {"ok": False, "error": "fatal_error"}, "unexpected"),  # it may have posted: not resent forever
    (429, {"ok": False, "error": "ratelimited"}, "retry"),
    (500, "<html>oops</html>", "retry"),
    (503, {"ok": False, "error": "service_unavailable"}, "retry"),
    (200, {"ok": False, "error": "message_limit_exceeded"}, "drop"),
    (200, {"ok": False, "error": "some_future_error"}, "drop"),
    (200, {"ok": False, "error": "<script>not a code</script>"}, "unexpected"),
    (404, "<html>no such page</html>", "disable"),
    (400, {"ok": False}, "drop"),
]


@pytest.mark.parametrize(("status", "body", "expected"), SLACK_TABLE)
async def test_token_mode_outcome_per_answer(
    status: int, body: Any, expected: str, slack: FakeSlack, make: Factory
) -> None:
    slack.respond(status, body, {"Content-Type": "text/html"} if isinstance(body, str) else None)
    assert await outcome(make().send(compose(LIFECYCLE[0]), None)) == expected
    assert len(slack.requests) == 1


@pytest.mark.parametrize("code", [
    "invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long", "no_text",
    "too_many_attachments", "invalid_attachments", "invalid_arguments", "invalid_arg_name", "invalid_form_data",
    "markdown_text_conflict"])
async def test_payload_codes_get_one_plain_retry(code: str, slack: FakeSlack, make: Factory) -> None:
    slack.respond(200, {"ok": False, "error": code}, times=2)
    assert await outcome(make().send(compose(LIFECYCLE[0]), None)) == "drop"
    first, second = slack.requests
    assert "attachments" in first.body and "attachments" not in second.body


@pytest.mark.parametrize(("status", "message"), [
    (500, "slack channel 'ops': HTTP 500 Internal Server Error"),
    (404, "slack channel 'ops': HTTP 404 Not Found: channel disabled"),
    (200, "slack channel 'ops': HTTP 200 OK with 32 bytes of text/html: an unexpected answer"),
    (201, "slack channel 'ops': HTTP 201 Created with 32 bytes of application/json: an unexpected answer"),
])
async def test_non_json_answers_are_described_by_their_status(
    status: int, message: str, slack: FakeSlack, make: Factory
) -> None:
    # 201 claims JSON but is not: slack_sdk then raises with the raw aiohttp response.
    content_type = "application/json" if status == 201 else "text/html"
    slack.respond(status, "<html>secret-looking body</html>", {"Content-Type": content_type})
    with pytest.raises(DeliveryError) as caught:
        await make().send(compose(LIFECYCLE[0]), None)
    assert str(caught.value) == message


# ---------------------------------------------------------------- incoming webhooks


async def test_webhook_posts_one_standalone_message_per_event(slack: FakeSlack, make: Factory) -> None:
    notifier = make(webhook="ok")
    for event in LIFECYCLE:
        assert await notifier.send(compose(event, mention="<!here>"), {"channel": "C1", "ts": "1.2"}) is None
    posts = slack.webhook_posts("ok")
    assert posts == [update_payload(compose(event, mention="<!here>")) for event in LIFECYCLE]
    assert [r.path for r in slack.requests] == ["/services/T00000000/B00000000/ok"] * 4


@pytest.mark.parametrize(
    ("scenario", "expected", "requests", "message"),
    [
        ("rejects-blocks", "ok", 2, None),
        ("invalid_payload", "drop", 2, "HTTP 400 Bad Request: invalid_payload: message rejected"),
        ("prohibited", "disable", 1, "HTTP 403 Forbidden: action_prohibited: channel disabled"),
        ("gone", "disable", 1, "HTTP 404 Not Found: no_service: channel disabled"),
        ("archived", "disable", 1, "HTTP 410 Gone: channel_is_archived: channel disabled"),
        ("ratelimited-once", "retry", 1, "HTTP 429 Too Many Requests: rate_limited (retry after 1s)"),
    ],
)
async def test_webhook_outcome_per_scenario(
    scenario: str, expected: str, requests: int, message: str | None, slack: FakeSlack, make: Factory
) -> None:
    send = make(webhook=scenario).send(compose(LIFECYCLE[0]), None)
    if message is None:
        assert await send is None
    else:
        with pytest.raises(DeliveryError) as caught:
            await send
        assert kind(caught.value) == expected and str(caught.value) == f"slack channel 'ops': {message}"
        assert getattr(caught.value, "retry_after", None) == (1.0 if expected == "retry" else None)
    assert len(slack.requests) == requests


@pytest.mark.parametrize(("status", "body", "expected"), [
    (500, "rollup_error", "retry"), (503, "", "retry"), (400, "user_not_found", "drop"), (413, "", "drop"),
    (401, "", "disable"), (404, "channel_not_found", "disable"), (200, "ok", "ok"), (204, "", "ok"),
])
async def test_webhook_outcome_per_status(
    status: int, body: str, expected: str, slack: FakeSlack, make: Factory
) -> None:
    slack.respond(status, body)
    assert await outcome(make(webhook="ok").send(compose(LIFECYCLE[0]), None)) == expected


# ---------------------------------------------------------------- nothing leaks

TOKEN_SECRET = "S3CR3T0K3N9f2c"
HOOK_SECRET = "W3BH00KS3CR3T71"


@pytest.fixture
def engine_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The engine's own logging set-up at DEBUG, with caplog still capturing every record."""
    root = logging.getLogger()
    handlers, level, levels = root.handlers[:], root.level, {name: logger.level for name, logger in _loggers()}
    setup_logging("DEBUG")
    root.addHandler(caplog.handler)
    yield caplog
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in _loggers():
        logger.setLevel(levels.get(name, logging.NOTSET))


def _loggers() -> list[tuple[str, logging.Logger]]:
    return [(name, logger) for name, logger in logging.root.manager.loggerDict.items()
            if isinstance(logger, logging.Logger)]


async def failing_sends(slack: FakeSlack, make: Factory, store: Store) -> list[BaseException]:
    """Every failure path once, in both modes, plus the engine's own handling of them."""
    errors: list[BaseException] = []
    sends = [
        (make(f"xoxb-token-revoked-{TOKEN_SECRET}"), None),
        (make(f"xoxb-ratelimited-once-{TOKEN_SECRET}"), None),
        (make(f"xoxb-5xx-1-{TOKEN_SECRET}"), None),
        (make(f"xoxb-edit-window-closed-{TOKEN_SECRET}"), {"channel": "C0000000009", "ts": "1.1"}),
        (make(f"xoxb-rejects-blocks-{TOKEN_SECRET}"), None),
        (make(f"xoxb-unknown-{TOKEN_SECRET}"), None),
        *[(make(webhook=f"{name}-{HOOK_SECRET}"), None) for name in (
            "invalid_payload", "gone", "archived", "prohibited", "ratelimited-once", "rejects-blocks")],
    ]
    for notifier, thread in sends:
        try:
            await notifier.send(compose(LIFECYCLE[1]), thread)
        except DeliveryError as error:
            errors.append(error)
    await enqueue(store, LIFECYCLE[0])
    await worker_for(make(f"xoxb-token-revoked-{TOKEN_SECRET}"), store).run(asyncio.Event())
    return errors


async def test_no_token_or_webhook_url_in_errors_or_logs(
    slack: FakeSlack, make: Factory, store: Store, engine_logging: pytest.LogCaptureFixture
) -> None:
    errors = await failing_sends(slack, make, store)
    assert len(errors) == 9
    texts = [str(error) for error in errors] + ["".join(traceback.format_exception(error)) for error in errors]
    texts += [record.getMessage() for record in engine_logging.records]
    texts += [logging.Formatter().format(record) for record in engine_logging.records]
    assert any("resending it as plain text" in text for text in texts), "our own records were captured"
    assert any("disabled" in text for text in texts), "the engine's records were captured"
    for text in texts:
        assert TOKEN_SECRET not in text and HOOK_SECRET not in text and "/services/" not in text


async def test_our_own_records_never_carry_secrets_even_without_the_engines_set_up(
    slack: FakeSlack, make: Factory, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await failing_sends(slack, make, store)
    ours = [record for record in caplog.records if record.name.startswith("statusbot")]
    assert ours
    for record in ours:
        text = logging.Formatter().format(record)
        assert TOKEN_SECRET not in text and HOOK_SECRET not in text and "/services/" not in text


# ---------------------------------------------------------------- the fake itself


def test_fake_accepts_form_bodies_and_token_fields(slack: FakeSlack) -> None:
    form = {"token": "xoxb-ok", "channel": "#ops", "text": "hi", "reply_broadcast": "true",
            "attachments": json.dumps([{"color": "#000000", "blocks": []}])}
    answer = httpx.post(f"{slack.api_url}chat.postMessage", data=form).json()
    assert answer["ok"] and answer["channel"] == slack.channel_id("ops") and answer["message"]["text"] == "hi"
    (request,) = slack.requests
    assert request.token == "xoxb-ok" and request.body["reply_broadcast"] is True
    assert request.body["attachments"] == [{"color": "#000000", "blocks": []}]
    assert httpx.post(f"{slack.api_url}chat.postMessage", data={"channel": "#ops", "text": "x"}).json() == {
        "ok": False, "error": "not_authed"}
