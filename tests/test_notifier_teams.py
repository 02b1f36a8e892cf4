"""Microsoft Teams notifier: exact Adaptive Cards, page text inert, the size limit held whatever
the page says, and every answer of a Workflows webhook classified — with real httpx against a
local fake Workflows webhook, through the engine's DeliveryWorker and Store where the engine's
behaviour matters, and through the installed bot as a process."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.deliver import DeliveryWorker
from bot.message import compose
from bot.model import DeliveryError, Event, EventType, Incident, PermanentError, RetryableError, Update
from bot.retry_after import UnexpectedAnswer
from bot.state import Store
from notifiers._http import json_bytes
from notifiers._teams_card import BODY_MAX, neutralise, payload
from notifiers.teams import DESTINATION, TeamsNotifier, TeamsSettings
from tests.bot_process import BotProcess
from tests.builders import RecordedSleep
from tests.fakes.status_page import StatusPageServer
from tests.fakes.teams import SIG, FakeTeams
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.test_noise_render import DIGEST, GROUP, REMINDER
from tests.test_noise_render import incident_event as noise_incident
from tests.world import World

STARTED = datetime(2026, 2, 24, 0, 50, tzinfo=UTC)
THREAD = "acme:incident:inc1"
HOSTILE = ("**bold** _it_ [sign in](https://evil.example) ![x](https://evil.example/i.png) <https://evil.example> "
           "<at>Adele</at> `code` ~~gone~~ \\*")


def incident_event(n: int, kind: EventType, status: str, body: str, title: str = "Elevated errors",
                   impact: str = "major", incident_kind: Any = "incident",
                   components: tuple[str, ...] = ("API", "Dashboard")) -> Event:
    incident = Incident(id="inc1", kind=incident_kind, title=title, status=status, impact=impact,
                        url="https://status.acme.com/incidents/inc1", component_names=components)
    return Event(id=f"evt_{n}", type=kind, key=f"inc1/u{n}", provider="acme", provider_title="Acme",
                 thread_key=THREAD, impact=impact, occurred_at=STARTED + timedelta(minutes=n),
                 incident=incident, update=Update(id=f"u{n}", status=status, body=body))


CREATED = incident_event(1, "incident.created", "investigating", "We are investigating elevated error rates.")
LIFE = [
    CREATED,
    incident_event(2, "incident.status", "identified", "The cause is a bad deploy."),
    incident_event(3, "incident.resolved", "resolved", "This incident has been resolved."),
]


@pytest.fixture
def teams() -> Iterator[FakeTeams]:
    with FakeTeams() as fake:
        yield fake


def notifier_for(url: str, http: httpx.AsyncClient) -> TeamsNotifier:
    return TeamsNotifier("ops", TeamsSettings.model_validate({"webhook_url": url}), http)


def content(event: Event) -> dict[str, Any]:
    [attachment] = payload(compose(event))["attachments"]
    return attachment["content"]


async def enqueue(store: Store, *events: Event) -> None:
    await store.commit_poll("acme", [], [], [("ops", event) for event in events], changed=True)


# ---------------------------------------------------------------- pure payloads


def test_payload_exact_json() -> None:
    assert payload(compose(CREATED)) == {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "body": [
                    {"type": "Container", "style": "attention", "items": [
                        {"type": "TextBlock", "text": "New incident", "wrap": True, "size": "small", "isSubtle": True},
                        {"type": "TextBlock", "text": "Acme: Elevated errors", "wrap": True, "size": "medium",
                         "weight": "bolder", "color": "attention"},
                    ]},
                    {"type": "TextBlock", "text": "We are investigating elevated error rates.", "wrap": True},
                    {"type": "FactSet", "facts": [
                        {"title": "Status", "value": "Investigating"},
                        {"title": "Impact", "value": "Major"},
                        {"title": "Components", "value": "API, Dashboard"},
                        {"title": "Provider", "value": "Acme"},
                    ]},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": "View on the status page",
                             "url": "https://status.acme.com/incidents/inc1"}],
                "msteams": {"width": "Full"},
            },
        }],
    }


@pytest.mark.parametrize(
    ("event", "style", "colour"),
    [
        (incident_event(1, "incident.created", "investigating", "x", impact="critical"), "attention", "attention"),
        (incident_event(1, "incident.created", "investigating", "x", impact="minor"), "warning", "warning"),
        (incident_event(1, "incident.created", "investigating", "x", impact="none"), "emphasis", "default"),
        (LIFE[2], "good", "good"),
        (incident_event(1, "maintenance.created", "scheduled", "x", incident_kind="maintenance"), "accent", "accent"),
    ],
)
def test_the_colour_follows_impact_and_phase(event: Event, style: str, colour: str) -> None:
    header = content(event)["body"][0]
    assert (header["style"], header["items"][1]["color"]) == (style, colour)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("[sign in](https://evil.example)", "\\[sign in\\](https://evil.example)"),
        ("**bold** _it_ ~~s~~ `c`", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\`c\\`"),
        ("![x](u) <https://e> <at>A</at>", "!\\[x\\](u) \\<https://e\\> \\<at\\>A\\</at\\>"),
        ("- one\n+ two\n1. three\n2) four\n# five\n> six", "\\- one\n\\+ two\n1\\. three\n2\\) four\n\\# five\n\\> six"),
        ("snake_case \\ 3.5 - 2", "snake\\_case \\\\ 3.5 - 2"),
    ],
)
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_an_update_keeps_its_lines_as_paragraphs() -> None:
    event = incident_event(1, "incident.created", "investigating", "First line.\n- a list?\n\n\nLast line.")
    assert content(event)["body"][1]["text"] == "First line.\n\n\\- a list?\n\nLast line."


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://status.acme.com/x", "https://status.acme.com/" + "a" * 2100])
def test_only_a_web_link_of_sane_length_becomes_an_action(url: str) -> None:
    event = CREATED.model_copy(update={"url": url, "incident": CREATED.incident.model_copy(update={"url": url})})  # type: ignore[union-attr]
    assert "actions" not in content(event)


def test_a_group_a_reminder_and_a_digest_are_rendered() -> None:
    group = content(GROUP)["body"]
    assert group[0]["items"][1]["text"] == "Acme: API and 2 more components"
    assert group[-2:] == [
        {"type": "TextBlock", "text": "Also changed", "wrap": True, "weight": "bolder"},
        {"type": "TextBlock", "text": "Dashboard: Operational → Major outage\n\nSearch: Operational → Degraded performance",
         "wrap": True},
    ]
    reminder = content(REMINDER)["body"]
    assert reminder[1]["text"] == "Still identified after 4h 12m."
    assert {"title": "Open for", "value": "4h 12m"} in reminder[2]["facts"]
    digest = compose(DIGEST)
    lines = [line for line in digest.text.splitlines() if line.strip()]
    assert content(DIGEST)["body"][1]["text"] == "\n\n".join(neutralise(line) for line in lines)


def test_megabyte_page_text_is_cut_to_the_limit() -> None:
    huge = "é [x](https://evil.example) **b** " * 40_000  # 1.3 MB
    incident = Incident(id="inc1", title=huge, status="investigating", impact="critical",
                        url="https://status.acme.com/incidents/inc1", component_names=(huge,) * 30)
    event = Event(id="evt_1", type="incident.created", key="k", provider="acme", provider_title=huge,
                  thread_key=THREAD, impact="critical", incident=incident,
                  update=Update(id="u1", status="investigating", body=huge),
                  related=GROUP.related)
    body = json_bytes(payload(compose(event)))
    assert 10_000 < len(body) <= BODY_MAX
    text = json.loads(body)["attachments"][0]["content"]["body"][1]["text"]
    assert text.endswith("…") and "\\[x\\](https://evil.example)" in text


def test_a_long_digest_keeps_whole_lines_and_counts_the_rest() -> None:
    many = tuple(noise_incident("incident.created", "investigating", STARTED, title=f"Incident {n} " + "w" * 150,
                                iid=f"i{n}") for n in range(400))
    digest = DIGEST.model_copy(update={"related": many})
    body = payload(compose(digest))
    assert len(json_bytes(body)) <= BODY_MAX
    text = body["attachments"][0]["content"]["body"][1]["text"]
    assert text.split("\n\n")[-1].startswith("… and ") and text.endswith(" more")


# ---------------------------------------------------------------- sends to the fake Workflows webhook


async def test_a_card_is_accepted_with_202_and_posted(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    assert await notifier_for(teams.workflow_url(), http).send(compose(CREATED), None) is None
    [call] = teams.requests
    assert (call.status, call.content_type, call.query["sig"]) == (202, "application/json", SIG)
    [card] = teams.wait_for_cards(1)
    assert card.content == content(CREATED)
    assert card.links == ["https://status.acme.com/incidents/inc1"] and card.formatting == []


async def test_hostile_page_text_is_inert(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    event = incident_event(1, "incident.created", "investigating", f"Body {HOSTILE}\n- item\n1. step",
                           title=f"Title {HOSTILE}", components=(f"API {HOSTILE}",))
    await notifier_for(teams.workflow_url(), http).send(compose(event), None)
    [card] = teams.wait_for_cards(1)
    assert card.links == ["https://status.acme.com/incidents/inc1"], "no link but the incident's own"
    assert card.formatting == [] and card.mentions == []
    assert card.visible.count(HOSTILE) == 3, "a reader sees the page's characters as they were"
    assert "- item" in card.visible and "1. step" in card.visible


async def test_megabyte_text_is_posted_by_the_flow(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    event = incident_event(1, "incident.created", "investigating", "word " * 250_000, title="t" * 100_000)
    await notifier_for(teams.workflow_url(), http).send(compose(event), None)
    [card] = teams.wait_for_cards(1)
    assert teams.requests[0].size <= BODY_MAX and teams.failed_runs == []
    assert card.texts[2].endswith("…")


async def test_one_incident_is_one_card_per_event(teams: FakeTeams, http: httpx.AsyncClient, store: Store) -> None:
    worker = DeliveryWorker("ops", notifier_for(teams.workflow_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *LIFE)
    assert await worker.drain(asyncio.Event()) == 0
    cards = teams.wait_for_cards(3)
    assert [card.content["body"][2]["facts"][0]["value"] for card in cards] == ["Investigating", "Identified", "Resolved"]
    assert [card.content["body"][0]["style"] for card in cards] == ["attention", "attention", "good"]
    assert await store.thread("ops", THREAD) is None, "Teams gives no message id: nothing to thread on"


async def test_a_429_is_waited_as_asked_then_delivered_once(teams: FakeTeams, http: httpx.AsyncClient,
                                                            store: Store) -> None:
    sleep = RecordedSleep()
    worker = DeliveryWorker("ops", notifier_for(teams.workflow_url(), http), store, sleep=sleep)
    teams.respond(429, {"error": {"code": "WorkflowRequestsThrottled", "message": "Rate limit is exceeded."}},
                  headers={"Retry-After": "7"})
    await enqueue(store, CREATED)
    assert await worker.drain(asyncio.Event()) == 0
    assert [call.status for call in teams.requests] == [429, 202]
    assert 7.0 in sleep.waits
    assert len(teams.wait_for_cards(1)) == 1


@pytest.mark.parametrize(
    ("arrange", "status", "reason"),
    [
        (lambda teams: teams.delete(), 404,
         "teams channel 'ops': workflow error WorkflowNotFound: HTTP 404 Not Found: channel disabled"),
        (lambda teams: teams.turn_off(), 400,
         "teams channel 'ops': HTTP 400 Bad Request (WorkflowTriggerIsNotEnabled): the workflow is turned off or "
         "deleted: channel disabled"),
    ],
)
async def test_a_deleted_or_disabled_workflow_disables_the_channel_once_keeping_the_backlog(
    arrange: Any, status: int, reason: str, teams: FakeTeams, http: httpx.AsyncClient, store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arrange(teams)
    worker = DeliveryWorker("ops", notifier_for(teams.workflow_url(), http), store, sleep=RecordedSleep())
    await enqueue(store, *LIFE)
    with caplog.at_level(logging.INFO):
        await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)  # returns: the channel is disabled
    assert [call.status for call in teams.requests] == [status]
    assert await store.disabled_reason("ops") == reason
    assert await store.pending_count("ops") == 3, "the backlog is kept for when it is fixed"
    assert sum("disabled" in record.getMessage() for record in caplog.records) == 1


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "text"),
    [
        (401, {"error": {"code": "DirectApiInvalidAuthorizationSignature", "message": "..."}}, {}, "disable",
         "workflow error DirectApiInvalidAuthorizationSignature: HTTP 401 Unauthorized: channel disabled"),
        (403, None, {}, "disable", "HTTP 403 Forbidden: channel disabled"),
        (410, None, {}, "disable", "HTTP 410 Gone: endpoint disabled"),
        (400, {"error": {"code": "TriggerInputSchemaMismatch", "message": "..."}}, {}, "disable",
         "HTTP 400 Bad Request (TriggerInputSchemaMismatch): the workflow's trigger expects another body "
         "(remove its schema): channel disabled"),
        (400, {"error": {"code": "InvalidRequestContent", "message": "..."}}, {}, "drop",
         "workflow error InvalidRequestContent: HTTP 400 Bad Request: message rejected"),
        (400, {"error": {"code": "<b>not a code</b>"}}, {}, "drop", "HTTP 400 Bad Request: message rejected"),
        (413, None, {}, "drop", "HTTP 413 Request Entity Too Large: message rejected"),
        (429, None, {"Retry-After": "3"}, "retry", "HTTP 429 Too Many Requests (retry after 3s)"),
        (502, None, {}, "retry", "HTTP 502 Bad Gateway"),
        (302, None, {"Location": "https://login.example"}, "unexpected",
         "HTTP 302 Found with no body: a redirect, not followed"),
    ],
)
async def test_every_answer_is_classified_without_the_url(
    status: int, body: Any, headers: dict[str, str], error: str, text: str, teams: FakeTeams, http: httpx.AsyncClient,
) -> None:
    teams.respond(status, body, headers=headers)
    with pytest.raises(DeliveryError) as caught:
        await notifier_for(teams.workflow_url(), http).send(compose(CREATED), None)
    kinds = {"disable": PermanentError, "drop": PermanentError, "retry": RetryableError, "unexpected": UnexpectedAnswer}
    assert type(caught.value) is kinds[error]
    assert getattr(caught.value, "disable_channel", False) is (error == "disable")
    assert str(caught.value) == f"teams channel 'ops': {text}"
    assert SIG not in str(caught.value) and "workflows" not in str(caught.value)


async def test_a_200_from_a_flow_with_a_response_action_is_success(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    teams.respond(200, {"ok": True})
    assert await notifier_for(teams.workflow_url(), http).send(compose(CREATED), None) is None


async def test_a_wrong_sig_disables_the_channel(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    with pytest.raises(PermanentError) as caught:
        await notifier_for(teams.workflow_url(sig="wrong-sig"), http).send(compose(CREATED), None)
    assert caught.value.disable_channel and "wrong-sig" not in str(caught.value)
    assert teams.posted == []


async def test_an_unreachable_workflow_is_retried_without_naming_it(http: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}/workflows/0a1b/triggers/manual/paths/invoke?sig={SIG}"
    with pytest.raises(RetryableError) as caught:
        await notifier_for(url, http).send(compose(CREATED), None)
    assert str(caught.value) == "teams channel 'ops': connection refused (ConnectError)"


# ---------------------------------------------------------------- settings and the destination


@pytest.mark.parametrize(
    "raw",
    [
        {"webhook_url": f"ftp://prod.logic.azure.com/workflows/1?sig={SIG}"},
        {"webhook_url": "https://prod.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sv=1.0"},
        {"webhook_url": "https://prod.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig="},
        {"webhook_url": f"https://contoso.webhook.office.com/webhookb2/x/IncomingWebhook/{SIG}?sig={SIG}"},
        {"webhook_url": f"https://prod.logic.azure.com/workflows/1?sig={SIG}", "timeout": 0},
        {"webhook_url": f"https://prod.logic.azure.com/workflows/1?sig={SIG}", "mention": "<at>ops</at>"},
    ],
)
def test_invalid_settings_never_echo_the_url(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        TeamsSettings.model_validate(raw)
    assert SIG not in str(caught.value)


def test_a_connector_url_is_told_to_move_to_workflows() -> None:
    with pytest.raises(ValidationError, match="Office 365 connector URL, which Microsoft retired"):
        TeamsSettings.model_validate({"webhook_url": "https://outlook.office.com/webhook/x/IncomingWebhook/y?sig=z"})


async def test_created_through_the_destination(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    assert (DESTINATION.type, DESTINATION.settings, DESTINATION.secret_keys) == ("teams", TeamsSettings,
                                                                               ("webhook_url",))
    settings = DESTINATION.settings.model_validate({"webhook_url": teams.workflow_url()})
    assert settings.timeout == 15.0 and SIG not in repr(settings)
    notifier = DESTINATION.create("ops", settings, http)
    assert notifier.min_interval == 1.0
    await notifier.send(compose(CREATED), None)
    await notifier.aclose()
    assert len(teams.wait_for_cards(1)) == 1


# ---------------------------------------------------------------- the fake runs the flow as Teams does


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        ({"type": "AdaptiveCard", "version": "1.6", "body": []}, "card version '1.6' is not rendered by Teams"),
        ({"type": "AdaptiveCrad", "version": "1.2", "body": []}, "Property 'type' must be 'AdaptiveCard'"),
        ({"type": "AdaptiveCard", "version": "1.2", "body": [{"type": "TextBlock", "text": "x" * 30_000}]},
         "Request Entity too large"),
    ],
)
async def test_the_fake_accepts_then_fails_the_run_as_workflows_does(
    card: dict[str, Any], reason: str, teams: FakeTeams, http: httpx.AsyncClient
) -> None:
    body = {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "content": card}]}
    response = await http.post(teams.workflow_url(), json=body)
    assert (response.status_code, response.content) == (202, b"")
    [failed] = teams.failed_runs
    assert failed.reason.startswith(reason) and teams.posted == []


async def test_the_fake_refuses_what_workflows_refuses(teams: FakeTeams, http: httpx.AsyncClient) -> None:
    not_json = await http.post(teams.workflow_url(), content=b"{oops", headers={"content-type": "application/json"})
    no_sig = await http.post(teams.workflow_url().split("&sig=")[0], json={})
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "InvalidRequestContent")
    assert (no_sig.status_code, no_sig.json()["error"]["code"]) == (401, "DirectApiAuthorizationRequired")


# ---------------------------------------------------------------- through the installed bot


def teams_channel(teams: FakeTeams, workflow: str = "0a1b2c3d4e5f") -> str:
    return f"""
[[channels]]
name = "ops-teams"
type = "teams"
webhook_url = "{teams.workflow_url(workflow)}"
"""


@pytest.fixture
def world(tmp_path: Any) -> Iterator[tuple[World, FakeTeams]]:
    with StatusPageServer() as pages, WebhookReceiver() as receiver, FakeTeams() as teams:
        yield World(tmp_path, pages, receiver), teams


def test_the_bot_delivers_an_incidents_life_to_teams(world: tuple[World, FakeTeams]) -> None:
    world_, teams = world
    world_.acme.open_incident("live", "API errors", "Investigating **errors** [here](https://evil.example)",
                              impact="critical")
    world_.publish()
    with world_.bot(channels=teams_channel(teams)) as bot:
        world_.expect(1)
        world_.acme.update("live", "identified", "Cause found")
        world_.publish()
        world_.expect(2)
        world_.acme.update("live", "resolved", "All clear")
        world_.publish()
        world_.expect(3)
        cards = teams.wait_for_cards(3, timeout=30)
        assert bot.stop() == 0
    assert [card.content["body"][0]["style"] for card in cards] == ["attention", "attention", "good"]
    assert "Investigating **errors** [here](https://evil.example)" in cards[0].visible
    assert all(card.formatting == [] and "https://evil.example" not in card.links for card in cards)
    assert "Resolved" in cards[2].visible and "All clear" in cards[2].visible
    assert teams.failed_runs == [] and len(teams.requests) == 3


def test_send_test_and_check_for_a_teams_channel(world: tuple[World, FakeTeams]) -> None:
    world_, teams = world
    config = world_.config(extra=teams_channel(teams))
    sent = BotProcess("send-test", "ops-teams", "--config", str(config), cwd=world_.tmp)
    assert sent.run() == 0 and "delivered to channel ops-teams" in "".join(sent.stdout)
    [card] = teams.wait_for_cards(1)
    assert "Test message from statusbot" in card.visible

    teams.delete()
    refused = BotProcess("send-test", "ops-teams", "--config", str(config), cwd=world_.tmp)
    assert refused.run() == 1
    assert "WorkflowNotFound" in "".join(refused.stderr) and SIG not in "".join(refused.stderr)

    config.write_text(config.read_text() + 'mention = "@everyone"\n')
    checked = BotProcess("check", "--config", str(config), cwd=world_.tmp)
    assert checked.run() == 0
    output = "".join(checked.stdout + checked.stderr)
    assert "ops-teams" in output and "teams" in output
    assert SIG not in output and "/workflows/" not in output, "check hides the whole URL"
    assert "(ops-teams).mention: ignored: a teams channel cannot ping anyone" in output
