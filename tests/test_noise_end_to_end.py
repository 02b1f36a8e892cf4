"""Noise control through the whole bot, as a process: flapping components, holds across a kill -9,
digest periods (one falling due while the bot is down), reminders, grouping in Slack's threads,
quiet hours, and what `statusbot status` and `/metrics` count. Durations are seconds long.

Nothing here proves that nothing happened by sleeping: a later event that must come after
(another change's delivery, a second incident's reminder) or an empty outbox after a few more
polls (`World.settle`) shows that whatever the bot would have sent has arrived.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.eventually import eventually
from tests.fakes.slack import FakeSlack
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.noise_world import HOOKS, NoiseWorld

HOLD = 2.0  # seconds: the `hold = "2s"` of the flap tests


@pytest.fixture
def world(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        yield NoiseWorld(tmp_path, pages, receiver)


def component_change(data: dict) -> tuple[str, str | None, str | None]:
    """(component name, old status, new status) of a component change's payload (a delivery's `data`)."""
    return data["component"]["name"], data["old_status"], data["new_status"]


def moment(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_component_that_flaps_back_within_the_hold_is_not_announced(world):
    with world.running('hold = "2s"') as bot:
        world.acme.component("api", "API", "major_outage")
        world.publish_and_wait("hold", 1)
        world.acme.component("api", "API", "operational")
        world.publish_and_wait("hold", 2)  # the flap back joined the hold
        world.acme.component("web", "Website", "degraded_performance")
        world.publish()
        world.expect(1)
        world.settle()
        counts = world.noise_metrics()
        assert bot.stop() == 0
    assert [component_change(p["data"]) for p in world.delivered()] == [("Website", "operational", "degraded_performance")]
    assert counts[(HOOKS, "held")] == 3
    assert counts[(HOOKS, "suppressed")] == 2, "the flap's two changes are counted as suppressed"
    assert world.status()[HOOKS]["SUPPRESSED"] == "2"


def test_a_component_that_stays_down_is_one_message_after_the_hold_saying_since_when(world):
    with world.running('hold = "2s"') as bot:
        published, began = time.monotonic(), time.time()
        world.acme.component("api", "API", "degraded_performance")
        world.publish_and_wait("hold", 1)
        seen = time.time()
        world.acme.component("api", "API", "major_outage")  # a second change within the hold
        world.publish_and_wait("hold", 2)
        world.expect(1)
        waited = time.monotonic() - published
        world.settle()
        assert bot.stop() == 0
    [payload] = world.delivered()
    assert payload["type"] == "component.status"
    assert component_change(payload["data"]) == ("API", "operational", "major_outage"), "the hold's changes as one"
    assert waited >= HOLD, f"delivered {waited:.2f}s after the change: not held"
    assert payload["data"]["since"] is not None, "the webhook payload says when the held change began"
    assert began - 1 <= moment(payload["data"]["since"]) <= seen + 1, "since: when the first change was seen"


def test_a_minor_incident_resolved_within_its_hold_is_not_announced_and_a_major_one_is_not_held(world):
    with world.running('hold = "2s"\nhold_incidents_below = "major"') as bot:
        world.acme.open_incident("blip", "Slow logins", "Investigating", impact="minor")
        world.publish_and_wait("hold", 1)
        world.acme.update("blip", "resolved", "Fixed")
        world.publish_and_wait("hold", 2)
        world.acme.open_incident("big", "API down", "Investigating", impact="major")
        published = time.monotonic()
        world.publish()
        world.expect(1)
        assert time.monotonic() - published < HOLD, "a major incident is not held"
        # Held after the minor incident ended, so released after its hold: the proof it was dropped.
        world.acme.component("web", "Website", "degraded_performance")
        world.publish()
        world.expect(2)
        world.settle()
        counts = world.noise_metrics()
        assert bot.stop() == 0
    assert [(p["type"], p["data"]["thread_key"]) for p in world.delivered()] == [
        ("incident.created", "acme:incident:big"), ("component.status", "acme:component:web")]
    assert counts[(HOOKS, "suppressed")] == 2


def test_a_hold_survives_kill_9_and_is_delivered_once(world):
    with world.running('hold = "2s"') as bot:
        world.acme.component("api", "API", "major_outage")
        world.publish_and_wait("hold", 1)
        bot.kill()
    assert world.delivered() == [], "killed within the hold"
    assert world.status()[HOOKS]["HELD"] == "1", "the held change is in the database"
    with world.running('hold = "2s"') as bot:
        world.expect(1)
        eventually(lambda: world.undelivered() == 0 and world.waiting("hold") == 0)
        bot.kill()  # once the delivery is recorded: nothing may come again
    with world.running('hold = "2s"') as bot:
        world.settle()
        assert bot.stop() == 0
    assert [component_change(p["data"]) for p in world.delivered()] == [("API", "operational", "major_outage")]


def test_a_digest_channel_gets_one_digest_per_period_and_nothing_in_between(world):
    with world.running('mode = "digest"\ndigest_every = "3s"') as bot:
        world.acme.open_incident("live", "Elevated errors", "Investigating", impact="minor")
        world.acme.component("api", "API", "major_outage")
        world.acme.component("web", "Website", "degraded_performance")
        world.publish_and_wait("digest", 3)  # one poll of one page: one period
        world.expect(1)
        world.settle()
        assert bot.stop() == 0
    [digest] = world.delivered()
    assert digest["type"] == "digest"
    told = digest["data"]["events"]  # the webhook digest carries the events it summarises
    assert sorted(event["thread_key"] for event in told) == [
        "acme:component:api", "acme:component:web", "acme:incident:live"]
    assert {event["provider"] for event in told} == {"acme"}
    assert (digest["data"]["count"], digest["data"]["omitted"]) == (3, 0)
    assert moment(digest["data"]["since"]) < moment(digest["data"]["until"]), "the period it covers"
    assert any((event.get("update") or {}).get("body") == "Investigating" for event in told), "each with its fields"


def test_a_digest_that_fell_due_while_the_bot_was_down_goes_out_at_start(world):
    # A daily digest whose period ends a few seconds from now: the bot stops well before then.
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    hooks = f'mode = "digest"\ndigest_every = "1d"\ndigest_at = "{ends:%H:%M:%S}"'
    with world.running(hooks) as bot:
        world.acme.component("api", "API", "partial_outage")
        world.publish_and_wait("digest", 1)
        assert bot.stop() == 0
    assert world.delivered() == [], "stopped within the digest period"
    due = world.due()
    assert due == ends.timestamp()
    eventually(lambda: time.time() > due + 0.5, what="the digest's due time, passed while the bot is down")
    with world.running(hooks) as bot:
        world.expect(1)
        world.settle()
        assert bot.stop() == 0
    [digest] = world.delivered()
    assert digest["type"] == "digest"
    assert [component_change(event) for event in digest["data"]["events"]] == [
        ("API", "operational", "partial_outage")]


def test_reminders_come_while_an_incident_is_open_and_stop_when_it_resolves(world):
    with world.running('remind_every = "1s"') as bot:
        world.acme.open_incident("first", "API errors", "Investigating", impact="major")
        world.publish()
        eventually(lambda: world.of_type("incident.reminder"), what="a reminder of the open incident")
        world.acme.update("first", "resolved", "Fixed")
        world.acme.open_incident("second", "Login failures", "Investigating", impact="major")
        world.publish()  # one poll: the first ends as the second begins
        # The second's first reminder falls due a period after the first's end: by then a reminder
        # of the first, had it been kept, would have fallen due too.
        eventually(lambda: any(p["data"]["thread_key"] == "acme:incident:second"
                               for p in world.of_type("incident.reminder")), what="a reminder of the second")
        world.settle()
        assert bot.stop() == 0
    told = [(p["type"], p["data"]["thread_key"]) for p in world.delivered()]
    resolved = told.index(("incident.resolved", "acme:incident:first"))
    assert ("incident.reminder", "acme:incident:first") in told[:resolved]
    assert ("incident.reminder", "acme:incident:first") not in told[resolved:], told
    reminder = world.of_type("incident.reminder")[0]["data"]
    assert reminder["incident"]["id"] == "first" and reminder["incident"]["status"] == "investigating"


SLACK = """
[[channels]]
name = "ops-slack"
type = "slack"
token = "xoxb-ok"
channel = "#incidents"
api_url = "{api_url}"
"""


def test_slack_groups_an_incident_with_its_component_and_threads_the_later_change(world):
    with FakeSlack() as slack, world.running("", SLACK.format(api_url=slack.api_url)) as bot:
        world.acme.component("api", "API", "major_outage")
        world.acme.open_incident("live", "Elevated errors", "Investigating", components=("api",))
        world.publish()  # both in one poll
        world.expect(2)  # the webhook channel does not group: one delivery each
        world.settle()
        eventually(lambda: slack.messages("#incidents"), what="the Slack message")
        [parent] = slack.messages("#incidents")
        edits = [r for r in slack.requests if r.path.endswith("chat.update")]
        world.acme.component("api", "API", "partial_outage")  # tied to the open incident
        world.publish()
        world.expect(3)
        world.settle()
        assert bot.stop() == 0
    posts = [r for r in slack.requests if r.path.endswith("chat.postMessage")]
    assert len(posts) == 2, "the incident and its component in one message, then one reply"
    assert parent.thread_ts is None
    assert "Operational → Major outage" in json.dumps([parent.text, parent.attachments], ensure_ascii=False)
    reply = slack.messages("#incidents")[1]
    assert reply.thread_ts == parent.ts and not reply.reply_broadcast
    assert [r for r in slack.requests if r.path.endswith("chat.update")] == edits, "the parent is not edited for it"


def quiet_window(seconds: float) -> tuple[str, float]:
    """A UTC quiet window that began a minute ago and ends `seconds` from now, as
    "HH:MM:SS-HH:MM:SS", and when it ends (unix seconds)."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(minutes=1), now + timedelta(seconds=seconds)
    return f"{start:%H:%M:%S}-{end:%H:%M:%S}", end.timestamp()


def test_quiet_hours_defer_a_minor_change_let_a_critical_one_through_and_end_in_one_digest(world):
    window, ends = quiet_window(6)
    with world.running(f'quiet_hours = "{window}"') as bot:
        world.acme.component("web", "Website", "degraded_performance")  # minor: deferred
        world.publish_and_wait("quiet", 1)
        world.acme.open_incident("down", "Total outage", "Everything is down", impact="critical")
        world.publish()
        world.expect(1)
        at_once = time.time()
        world.expect(2)
        world.settle()
        assert bot.stop() == 0
    critical, digest = world.delivered()
    assert critical["type"] == "incident.created" and at_once < ends, "a critical event never waits"
    assert digest["type"] == "digest" and moment(digest["timestamp"]) >= ends - 1
    assert [component_change(e) for e in digest["data"]["events"]] == [
        ("Website", "operational", "degraded_performance")]


def test_status_shows_held_and_deferred_counts_per_channel_while_events_wait(world):
    digests = f"""
[[channels]]
name = "digests"
type = "webhook"
url = "{world.receiver.url}/digests"
mode = "digest"
"""
    with world.running('hold = "1h"', digests) as bot:
        world.acme.component("api", "API", "major_outage")
        world.acme.component("web", "Website", "major_outage")
        world.publish_and_wait("hold", 2)
        eventually(lambda: world.waiting("digest", "digests") == 2)
        rows = world.status()
        counts = world.noise_metrics()
        bot.kill()
    assert (rows[HOOKS]["HELD"], rows[HOOKS]["DEFERRED"]) == ("2", "0")
    assert (rows["digests"]["HELD"], rows["digests"]["DEFERRED"]) == ("0", "2")
    assert rows["log"]["HELD"] == rows["log"]["DEFERRED"] == "0"
    assert counts[(HOOKS, "held")] == 2 and counts[("digests", "deferred")] == 2
    assert world.delivered() == []
