"""How noise control's messages look: a grouped message, a held change that says since when, a
digest and a reminder, composed (exact values) and sent by the real notifiers to the local fakes
of Slack, Discord and a webhook receiver, with page text that tries to ping arriving inert."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.message import GREEN, ORANGE, RED, compose, lines_within
from bot.model import Component, Event, Incident, Update
from bot.noise.summary import duration
from notifiers import DESTINATIONS
from tests.builders import update_event
from tests.fakes import WebhookReceiver, verify_standard_webhook
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.test_notifier_summary import notifier

T0 = datetime(2026, 2, 24, 14, 2, tzinfo=UTC)
HOSTILE = "<!channel> @everyone <@U123> <@&456>"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def change(cid: str, name: str, old: str, new: str, at: datetime, impact: str = "major",
           since: datetime | None = None) -> Event:
    """Component `cid` of provider acme going from `old` to `new` at `at`."""
    return Event(id=f"evt_{cid}_{new}_{at:%H%M}", type="component.status", key=f"{cid}/{new}", provider="acme",
                 provider_title="Acme", thread_key=f"acme:component:{cid}", impact=impact, occurred_at=at,
                 component=Component(id=cid, name=name, status=new), old_status=old, new_status=new, since=since)


def incident(title: str = "Elevated errors", status: str = "identified", iid: str = "i1",
             provider: str = "acme") -> Incident:
    update = Update(id="u9", status=status, body="A fix is rolling out.")
    return Incident(id=iid, title=title, status=status, impact="major", created_at=T0, updates=(update,),
                    url=f"https://status.{provider}.example/incidents/{iid}")


def incident_event(kind: Any, status: str, at: datetime, title: str = "Elevated errors", iid: str = "i1",
                   provider: str = "acme", provider_title: str = "Acme") -> Event:
    return Event(id=f"evt_{provider}_{iid}_{status}", type=kind, key=f"{iid}/{status}", provider=provider,
                 provider_title=provider_title, thread_key=f"{provider}:incident:{iid}", impact="major",
                 occurred_at=at, incident=incident(title, status, iid, provider),
                 update=Update(id=f"u_{status}", status=status, body=f"{readable_body(status)}"))


def readable_body(status: str) -> str:
    return f"We are {status}."


API_DOWN = change("c1", "API", "operational", "partial_outage", T0)
DASHBOARD_DOWN = change("c2", "Dashboard", "operational", "major_outage", T0, impact="critical")
SEARCH_SLOW = change("c3", "Search", "operational", "degraded_performance", T0, impact="minor")
GROUP = API_DOWN.model_copy(update={"id": "evt_group", "thread_key": "acme:components:ab12",
                                    "related": (DASHBOARD_DOWN, SEARCH_SLOW)})
HELD = change("c1", "API", "operational", "partial_outage", T0 + timedelta(minutes=5), since=T0)
REMINDER = Event(id="evt_reminder", type="incident.reminder", key="i1/reminder/1", provider="acme",
                 provider_title="Acme", thread_key="acme:incident:i1", impact="major",
                 occurred_at=T0 + timedelta(hours=4, minutes=12), since=T0, incident=incident(), reply=True)
STARTED = incident_event("incident.created", "investigating", T0)
TIED = API_DOWN.model_copy(update={"thread_key": "acme:incident:i1", "reply": True})


def digest(*events: Event, hours: int = 3) -> Event:
    return Event(id="evt_digest", type="digest", key="digest:1", provider="", provider_title="",
                 thread_key="digest:1", impact="critical", since=T0 - timedelta(hours=1),
                 occurred_at=T0 + timedelta(hours=hours - 1), related=events)


RESOLVED = incident_event("incident.resolved", "resolved", T0 + timedelta(hours=1, minutes=12))
DIGEST = digest(
    STARTED, API_DOWN, DASHBOARD_DOWN, RESOLVED,
    change("c1", "API", "partial_outage", "operational", T0 + timedelta(minutes=40), impact="none"),
    incident_event("incident.created", "investigating", T0, title=f"Actions slow {HOSTILE}", iid="g1",
                   provider="github", provider_title="GitHub"),
)


# ---------------------------------------------------------------- composed: exact values


def test_a_group_of_component_changes_counts_them_in_its_title_and_lists_them() -> None:
    message = compose(GROUP)
    assert (message.headline, message.text, message.changes) == (
        "Acme: API and 2 more components", "API: Operational → Partial outage",
        ("Dashboard: Operational → Major outage", "Search: Operational → Degraded performance"))
    assert (message.impact, message.colour, message.final, message.components) == ("critical", RED, False, ())


def test_an_incident_tells_the_component_changes_it_caused() -> None:
    message = compose(STARTED.model_copy(update={"related": (API_DOWN,)}))
    assert (message.title, message.text, message.changes) == (
        "Elevated errors", "We are investigating.", ("API: Operational → Partial outage",))
    assert (message.colour, message.components) == (ORANGE, ())


def test_a_held_change_says_when_it_began_in_utc() -> None:
    assert compose(HELD).text == "Operational → Partial outage since 14:02 UTC"
    overnight = HELD.model_copy(update={"since": T0 - timedelta(hours=15)})
    assert compose(overnight).text == "Operational → Partial outage since 23 Feb 23:02 UTC"
    grouped = compose(GROUP.model_copy(update={"related": (HELD,)}))
    assert grouped.changes == ("API: Operational → Partial outage since 14:02 UTC",)


def test_a_reminder_says_how_long_the_incident_has_been_open() -> None:
    message = compose(REMINDER)
    assert (message.label, message.phase, message.text, message.age) == (
        "Reminder", "Identified", "Still identified after 4h 12m.", "4h 12m")


def test_a_digest_summarises_each_provider() -> None:
    message = compose(DIGEST)
    assert message.headline == "Digest: 2 incidents, 3 component changes"
    assert message.text == (
        "From 24 Feb 13:02 to 16:02 UTC\n\n"
        "Acme\n"
        "• Resolved after 1h 12m — Elevated errors\n"
        "• API — not operational for 40m, now Operational\n"
        "• Dashboard — not operational for 2h, still Major outage\n\n"
        "GitHub\n"
        f"• Still open (Investigating) — Actions slow {HOSTILE}")
    assert (message.label, message.phase, message.colour) == ("Digest", "Still ongoing", RED)
    over = compose(digest(STARTED, RESOLVED))
    assert (over.headline, over.phase, over.colour) == ("Digest: 1 incident", "All resolved", GREEN)


def test_downtime_counts_from_the_period_start_from_a_held_start_and_to_the_period_end() -> None:
    back = change("c1", "API", "major_outage", "operational", T0 + timedelta(minutes=30), impact="none")
    held = change("c2", "Dashboard", "operational", "partial_outage", T0 + timedelta(minutes=5), since=T0)
    text = compose(digest(back, held, hours=2)).text  # the period: 13:02 to 15:02
    assert text.splitlines()[3:] == [
        "• API — not operational for 1h 30m, now Operational",  # down before the period began
        "• Dashboard — not operational for 1h, still Partial outage",
    ]


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0s"), (45, "45s"), (60, "1m"), (4_320, "1h 12m"), (7_200, "2h"), (90_061, "1d 1h"), (86_400 * 3, "3d")])
def test_durations_show_their_two_largest_units(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_lines_that_do_not_fit_are_counted() -> None:
    assert lines_within(["aaaa"] * 10, 25) == ["aaaa", "aaaa", "… and 8 more"]
    assert lines_within(["aaa", "bbb"], 7) == ["aaa", "bbb"]


# ---------------------------------------------------------------- sent: console


async def printed(event: Event, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    await DESTINATIONS["console"].create("log", None, None).send(compose(event), None)
    return [line.split(" | ", 2)[2] for line in out.getvalue().splitlines()]


async def test_the_console_prints_a_line_per_event_of_a_group(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await printed(GROUP.model_copy(update={"related": (HELD,)}), monkeypatch) == [
        "Component | Provider=Acme | Product=API | Status=partial_outage | Message=operational → partial_outage",
        "Component | Provider=Acme | Product=API | Status=partial_outage"
        " | Message=operational → partial_outage since 2026-02-24 14:02:00",
    ]


async def test_the_console_prints_a_digest_and_its_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = await printed(DIGEST, monkeypatch)
    assert lines[0] == ("Digest | Provider= | Product= | Status= "
                        "| Message=Digest: 2 incidents, 3 component changes (From 24 Feb 13:02 to 16:02 UTC)")
    assert lines[1:] == [
        "Digest | Provider=Acme | Product= | Status= | Message=Resolved after 1h 12m — Elevated errors",
        "Digest | Provider=Acme | Product= | Status= | Message=API — not operational for 40m, now Operational",
        "Digest | Provider=Acme | Product= | Status= | Message=Dashboard — not operational for 2h, still Major outage",
        f"Digest | Provider=GitHub | Product= | Status= | Message=Still open (Investigating) — Actions slow {HOSTILE}",
    ]


async def test_the_console_prints_a_reminder_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert await printed(REMINDER, monkeypatch) == [
        "Reminder | Provider=Acme | Product=Elevated errors | Status=identified"
        " | Message=Still identified after 4h 12m. | Incident=Elevated errors"
        " | Link=https://status.acme.example/incidents/i1"]


# ---------------------------------------------------------------- sent: Slack


def blocks_text(attachments: list[Any] | None) -> str:
    return "\n".join(block["text"]["text"] for attachment in attachments or [] for block in attachment["blocks"])


async def test_slack_shows_a_group_and_replies_a_reminder_in_the_thread_without_editing_it(
        http: httpx.AsyncClient) -> None:
    with FakeSlack() as slack:
        chat = notifier("slack", http, token="xoxb-ok", channel="#ops", api_url=slack.api_url)
        grouped = await chat.send(compose(GROUP), None)
        thread = await chat.send(compose(STARTED), None)
        replies = [await chat.send(compose(event), thread) for event in (REMINDER, TIED)]
        await chat.aclose()
        group, parent, reminder, tied = slack.messages("#ops")
        paths = [request.path for request in slack.requests]
    assert grouped is not None and replies == [None, None]
    assert "*Also changed*\nDashboard: Operational → Major outage\nSearch: Operational → Degraded performance" in (
        blocks_text(group.attachments))
    assert paths == ["/api/chat.postMessage"] * 4, "no chat.update: a reply-only message leaves the parent as it is"
    assert parent.edits == [] and (reminder.thread_ts, tied.thread_ts) == (parent.ts, parent.ts)
    assert not reminder.reply_broadcast and not tied.reply_broadcast
    assert "Reminder: Identified · Major impact\nStill identified after 4h 12m." in blocks_text(reminder.attachments)


async def test_slack_posts_a_reply_only_message_on_its_own_without_a_thread(http: httpx.AsyncClient) -> None:
    with FakeSlack() as slack:
        chat = notifier("slack", http, token="xoxb-ok", channel="#ops", api_url=slack.api_url)
        gone = {"channel": slack.channel_id("#ops"), "ts": "1600000000.000100"}  # a thread someone deleted
        refs = [await chat.send(compose(event), thread) for event, thread in ((REMINDER, None), (TIED, gone))]
        await chat.aclose()
        messages = slack.messages("#ops")
    assert refs == [None, None], "a reply-only message starts no thread"
    assert [(m.thread_ts, m.edits) for m in messages] == [(None, []), (None, [])]


async def test_slack_shows_a_held_change_and_a_hostile_digest_inert(http: httpx.AsyncClient) -> None:
    with FakeSlack() as slack:
        chat = notifier("slack", http, webhook_url=slack.webhook_url("ok"))
        for event in (HELD, DIGEST):
            assert await chat.send(compose(event), None) is None
        await chat.aclose()
        held, summary = slack.webhook_posts("ok")
    assert "Operational → Partial outage since 14:02 UTC" in blocks_text(held["attachments"])
    shown = blocks_text(summary["attachments"])
    assert "• Resolved after 1h 12m — Elevated errors" in shown
    assert "Actions slow &lt;!channel&gt; @\u200beveryone &lt;@U123&gt; &lt;@&amp;456&gt;" in shown
    assert "<!channel>" not in json.dumps(summary) and "<@U123>" not in json.dumps(summary)


# ---------------------------------------------------------------- sent: Discord


def embed(version: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = version["embeds"][0]
    return first


async def test_discord_edits_the_age_line_for_a_reminder_and_posts_nothing(http: httpx.AsyncClient) -> None:
    with FakeDiscord() as discord:
        chat = notifier("discord", http, webhook_url=discord.webhook_url("ok"))
        thread = await chat.send(compose(STARTED), None)
        assert await chat.send(compose(REMINDER), thread) is None
        calls = [(call.method, call.json["allowed_mentions"]) for call in discord.requests]
        [first] = discord.messages
    assert calls == [("POST", {"parse": []}), ("PATCH", {"parse": []})]
    card = embed(first.current)
    assert (card["footer"], card["description"], card["fields"][0]) == (
        {"text": "Open for 4h 12m"}, "A fix is rolling out.", {"name": "Status", "value": "Identified", "inline": True})


async def test_discord_posts_reply_only_messages_as_cards_that_start_nothing(http: httpx.AsyncClient) -> None:
    with FakeDiscord() as discord:
        chat = notifier("discord", http, webhook_url=discord.webhook_url("ok"))
        alone = await chat.send(compose(REMINDER), None)
        thread = await chat.send(compose(STARTED), None)
        tied = await chat.send(compose(TIED), thread)
        methods = [call.method for call in discord.requests]
        reminder, parent, change_card = discord.messages
    assert (alone, tied) == (None, None) and methods == ["POST"] * 3, "never a PATCH"
    assert parent.edits == 0
    assert embed(reminder.current)["description"] == "Still identified after 4h 12m."
    assert embed(change_card.current)["description"] == "Operational → Partial outage"


async def test_discord_shows_a_group_a_held_change_and_a_hostile_digest_inert(http: httpx.AsyncClient) -> None:
    with FakeDiscord() as discord:
        chat = notifier("discord", http, webhook_url=discord.webhook_url("ok"))
        for event in (GROUP, HELD, DIGEST):
            await chat.send(compose(event), None)
        group, held, summary = (embed(message.current) for message in discord.messages)
        pings = [(m.current["mention_everyone"], m.current["mentions"], m.current["mention_roles"])
                 for m in discord.messages]
    assert group["title"] == "Acme: API and 2 more components"
    assert group["fields"][-1] == {"name": "Also changed", "inline": False,
                                   "value": "Dashboard: Operational → Major outage\n"
                                            "Search: Operational → Degraded performance"}
    assert held["description"] == "Operational → Partial outage since 14:02 UTC"
    assert summary["title"] == "Digest: 2 incidents, 3 component changes"
    assert "Actions slow <!channel> @\u200beveryone <\u200b@U123> <\u200b@&456>" in summary["description"]
    assert pings == [(False, [], [])] * 3


# ---------------------------------------------------------------- sent: webhook


async def test_a_webhook_gets_one_digest_delivery_carrying_its_events(http: httpx.AsyncClient) -> None:
    with WebhookReceiver() as receiver:
        await notifier("webhook", http, url=f"{receiver.url}/hook", secret=SECRET).send(compose(DIGEST), None)
        [request] = receiver.requests
    assert verify_standard_webhook(SECRET, request.headers, request.body)
    body = json.loads(request.body)
    data = body["data"]
    assert (body["type"], request.headers["webhook-id"], data["id"]) == ("digest", DIGEST.id, DIGEST.id)
    assert {key: data[key] for key in ("provider", "thread_key", "impact", "since", "until", "count", "omitted")} == {
        "provider": "", "thread_key": "digest:1", "impact": "critical", "since": "2026-02-24T13:02:00Z",
        "until": "2026-02-24T16:02:00Z", "count": 6, "omitted": 0}
    assert [event["id"] for event in data["events"]] == [event.id for event in DIGEST.related]
    assert [event["type"] for event in data["events"]] == [event.type for event in DIGEST.related]
    assert data["events"][5]["incident"]["title"] == f"Actions slow {HOSTILE}", "a machine reader gets the text as is"


async def test_a_webhook_gets_one_group_delivery_primary_first(http: httpx.AsyncClient) -> None:
    with WebhookReceiver() as receiver:
        hook = notifier("webhook", http, url=f"{receiver.url}/hook")
        await hook.send(compose(GROUP), None)
        await hook.send(compose(REMINDER), None)
        group, reminder = (json.loads(request.body) for request in receiver.requests)
        ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert (group["type"], group["data"]["count"], group["data"]["omitted"]) == ("group", 3, 0)
    assert group["data"]["impact"] == "critical", "the worst of the group, not only its primary's"
    assert [event["component"]["name"] for event in group["data"]["events"]] == ["API", "Dashboard", "Search"]
    assert (reminder["type"], reminder["data"]["since"], ids) == (
        "incident.reminder", "2026-02-24T14:02:00Z", [GROUP.id, REMINDER.id])


def test_an_update_event_of_the_builders_renders_unchanged() -> None:
    """An event noise control left alone composes as before: no changes, no age, no summary."""
    message = compose(update_event(1))
    assert (message.changes, message.age, message.summary, message.headline) == ((), "", None, "Acme: API errors")
