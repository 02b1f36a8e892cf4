"""A changed poll's plan, without I/O: documents in, the one transaction's contents out."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.config import BotSettings
from bot.fetch import FetchResult
from bot.model import Component, Event, Format, Snapshot, Validators
from bot.plan import ABSENT, PollTarget, detect_changes, missing_components, plan_commit
from bot.route import wants
from bot.store_base import DocumentState
from providers import FORMATS
from tests.fakes.status_page import PageScript

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TARGET = PollTarget("acme", "Acme", "https://status.acme.example", 60.0, ())


@dataclass(frozen=True)
class Channel:
    name: str
    providers: tuple[str, ...] = ()
    min_impact: str = "none"
    events: tuple[str, ...] = ("incident", "component", "maintenance")
    components: tuple[str, ...] = ()


def answer(document: dict) -> FetchResult:
    body = json.dumps(document).encode()
    return FetchResult(body, Validators(body_hash=hashlib.sha256(body).hexdigest()))


class Page:
    """One page's stored state, polled by the pure functions alone."""

    def __init__(self, kind: str, script: PageScript, target: PollTarget = TARGET,
                 channels: tuple[Channel, ...] = (Channel("hooks"),)):
        self.format: Format = FORMATS[kind]
        self.script = script
        self.target = target
        self.channels = channels
        self.documents = self.format.documents(target.url)
        self.state: dict[str, DocumentState] = {}

    def poll(self, summary: dict | None = None, seen: set[str] | None = None, history: bool = True):
        """Every document fetched (the summary as given, else as the script renders it)."""
        rendered = {"summary": summary or self.script.summary(), "incidents": self.script.incidents_document(),
                    "maintenances": self.script.maintenances_document()}
        results = [answer(rendered[doc.role]) if history or doc.every == 1 else FetchResult(None, ABSENT)
                   for doc in self.documents]
        detection = detect_changes(self.target, self.format, self.documents, self.state, results, "active", NOW)
        plan = plan_commit(detection, seen or set(), self.channels)
        self.state = {document.url: document for document in plan.documents}
        return plan


def incidentio_page() -> Page:
    script = PageScript("Acme", flavour="incidentio")
    script.component("chat", "Chat", "partial_outage")
    page = Page("incidentio", script)
    assert [e.type for e in page.poll().events] == ["component.status"]
    return page


def test_incidentio_components_keep_their_last_status_while_the_page_leaves_them_out():
    page = incidentio_page()
    without = {**page.script.summary(), "components": []}
    assert page.poll(summary=without).events == []
    assert page.poll().events == [], "back with the same status: nothing to say"
    page.poll(summary=without)
    page.script.component("chat", "Chat", "operational")
    assert [(e.old_status, e.new_status) for e in page.poll().events] == [("partial_outage", "operational")]


def test_a_format_without_that_rule_forgets_a_component_that_left_the_answer():
    script = PageScript("Acme")
    script.component("api", "API", "partial_outage")
    page = Page("statuspage", script)
    assert not page.format.keeps_unlisted_components
    page.poll()
    page.poll(summary={**script.summary(), "components": []})
    assert page.state[page.documents[0].url].snapshot.components == {}, "removed from the page"
    events = page.poll().events
    assert [(e.type, e.old_status, e.new_status) for e in events] == [("component.status", None, "partial_outage")], \
        "a component that comes back is new"


def test_only_the_unseen_events_are_planned_and_each_is_routed():
    script = PageScript("Acme")
    script.component("api", "API")
    script.open_incident("i1", "API errors", "Investigating")
    page = Page("statuspage", script)
    first = page.poll()
    assert [e.key for e in first.events] == ["inc:i1"]
    assert {"inc:i1", f"upd:i1:{script.incidents['i1']['incident_updates'][0]['id']}"} <= set(first.seen)
    assert [(channel, e.key) for channel, e in first.deliveries] == [("hooks", "inc:i1")]
    uid = script.update("i1", "identified", "Found it")
    announced = page.poll(seen={f"upd:i1:{uid}"})  # announced before a crash, say
    assert announced.events == [] and announced.deliveries == [] and announced.seen == []


def test_without_its_history_an_incident_leaving_the_summary_has_ended():
    script = PageScript("Acme")
    script.open_incident("i1", "API errors", "Investigating")
    page = Page("statuspage", script)
    page.poll(history=False)
    script.update("i1", "resolved", "Fixed")
    assert [(e.type, e.key) for e in page.poll(history=False).events] == [("incident.resolved", "phase:i1:resolved")]


def test_missing_components_name_the_closest_real_ones():
    snapshot = Snapshot(components={
        "c1": Component(id="c1", name="API", status="operational", group="Platform"),
        "c2": Component(id="c2", name="Website", status="operational"),
    })
    assert missing_components(("api", "platform", "c2", "Web site", "Billing"), snapshot) == {
        "Web site": ["Website"], "Billing": [],
    }


# ---------------------------------------------------------------- the cap on events per poll


def flooded(count: int, cap: int, channels: tuple[Channel, ...] = (Channel("hooks"),),
            impact=lambda n: "major") -> tuple[Page, PageScript]:
    """A page seen once with nothing on it, then showing `count` new incidents (i0, i1, ... in
    the order opened: i{count-1} is the newest), planned with `cap`."""
    script = PageScript("Acme")
    page = Page("statuspage", script, replace(TARGET, max_events_per_poll=cap), channels)
    page.poll()
    for n in range(count):
        script.open_incident(f"i{n}", f"Outage {n}", f"Investigating {n}", impact=impact(n))
    return page, script


def announced(plan) -> list[str]:
    return [e.key for e in plan.events if e.type != "provider.summary"]


def summaries_by_channel(plan) -> dict[str, Event]:
    return {channel: e for channel, e in plan.deliveries if e.type == "provider.summary"}


def test_the_default_cap_is_the_configurations():
    assert TARGET.max_events_per_poll == BotSettings().max_events_per_poll == 25


def test_a_poll_within_the_cap_announces_everything():
    page, _ = flooded(5, cap=5)
    plan = page.poll()
    assert announced(plan) == [f"inc:i{n}" for n in range(5)]
    assert plan.summarised == 0 and len(plan.deliveries) == 5


def test_over_the_cap_the_rest_is_one_summary_per_channel_after_the_kept_events():
    page, _ = flooded(40, cap=5)
    plan = page.poll()
    assert len(announced(plan)) == 5 and plan.summarised == 35
    assert [e.type for _, e in plan.deliveries] == ["incident.created"] * 5 + ["provider.summary"]
    summary = plan.deliveries[-1][1]
    assert (summary.summarised, summary.impact, summary.provider, summary.provider_title) == (35, "major", "acme", "Acme")
    assert summary.url == TARGET.url and summary.thread_key.startswith("acme:summary:")
    assert summary.occurred_at is not None
    assert plan.events[-1] == summary, "counted among the poll's events, for metrics"


def test_every_key_is_seen_even_summarised_so_nothing_comes_later():
    page, script = flooded(40, cap=5)
    plan = page.poll()
    updates = {f"upd:{iid}:{i['incident_updates'][0]['id']}" for iid, i in script.incidents.items()}
    assert {f"inc:i{n}" for n in range(40)} | updates <= set(plan.seen)
    again = page.poll(seen=set(plan.seen))
    assert again.events == [] and again.deliveries == [] and again.summarised == 0


def test_the_most_recent_are_kept_among_equals():
    page, _ = flooded(40, cap=5)
    assert announced(page.poll()) == [f"inc:i{n}" for n in range(35, 40)], "the newest five, in page order"


def test_higher_impact_is_kept_before_recency():
    page, _ = flooded(40, cap=5, impact=lambda n: "critical" if n % 10 == 0 else "minor")
    plan = page.poll()
    assert announced(plan) == ["inc:i0", "inc:i10", "inc:i20", "inc:i30", "inc:i39"]
    assert plan.deliveries[-1][1].impact == "minor", "the highest impact among those summarised"


def test_what_is_still_ongoing_is_kept_before_what_ended():
    page, script = flooded(6, cap=100, impact=lambda n: "critical" if n < 3 else "minor")
    page.poll()
    page.target = replace(page.target, max_events_per_poll=3)
    for n in range(3):
        script.update(f"i{n}", "resolved", "Fixed")  # critical, ended
    for n in range(3, 6):
        script.update(f"i{n}", "identified", "Found it")  # minor, still going
    plan = page.poll()
    assert [e.incident.id for e in plan.events if e.incident] == ["i3", "i4", "i5"]
    assert plan.deliveries[-1][1].impact == "critical"


def test_threads_are_kept_whole_and_in_order():
    page, script = flooded(0, cap=3)
    script.open_incident("big", "Big outage", "Investigating", impact="critical")
    for status in ("identified", "monitoring", "identified"):
        script.update("big", status, f"Now {status}")  # four events: more than the cap
    script.open_incident("pair", "Slow API", "Investigating", impact="minor")
    script.update("pair", "identified", "Found it")
    script.open_incident("one", "Dashboard", "Investigating", impact="none")
    script.open_incident("ended", "Old", "Investigating", impact="critical")
    script.update("ended", "resolved", "Fixed")
    plan = page.poll()
    kept = [e for e in plan.events if e.incident]
    assert [(e.incident.id, e.type) for e in kept] == [
        ("pair", "incident.created"), ("pair", "incident.status"), ("one", "incident.created"),
    ], "the four-event thread cannot fit, and the ended one ranks last"
    assert plan.summarised == 4 + 2
    assert plan.deliveries[-1][1].impact == "critical"


def test_the_summary_is_the_same_when_the_poll_is_planned_again():
    plans = [flooded(40, cap=5)[0].poll() for _ in range(2)]  # as after a crash before the commit
    assert plans[0].deliveries == plans[1].deliveries
    other = flooded(41, cap=5)[0].poll()
    assert summaries_by_channel(other)["hooks"].id != summaries_by_channel(plans[0])["hooks"].id


def test_each_channel_counts_only_what_it_would_have_received():
    channels = (Channel("all"), Channel("critical", min_impact="critical"), Channel("components", events=("component",)),
                Channel("nova", providers=("nova",)), Channel("also-all"))
    page, _ = flooded(30, cap=5, channels=channels, impact=lambda n: "critical" if n < 10 else "minor")
    plan = page.poll()
    assert announced(plan) == [f"inc:i{n}" for n in range(5, 10)], "the newest critical ones"
    summaries = summaries_by_channel(plan)
    assert {channel: e.summarised for channel, e in summaries.items()} == {"all": 25, "critical": 5, "also-all": 25}
    assert (summaries["all"].impact, summaries["critical"].impact) == ("critical", "critical")
    assert summaries["all"].id == summaries["also-all"].id != summaries["critical"].id, "one id per content"
    assert Counter(channel for channel, _ in plan.deliveries) == {"all": 6, "critical": 6, "also-all": 6}
    by_name = {channel.name: channel for channel in channels}
    assert all(wants(by_name[channel], e) for channel, e in plan.deliveries)
    assert len([e for e in plan.events if e.type == "provider.summary"]) == 2


def test_the_summary_links_the_pages_public_address_only():
    target = PollTarget("acme", "Acme", "https://status.acme.example/feed?token=s3cret", 60.0, (),
                        secrets=frozenset({"s3cret"}), max_events_per_poll=1)
    script = PageScript("Acme")
    for n in range(3):
        script.open_incident(f"i{n}", f"Outage {n}", "Investigating")
    summary = Page("statuspage", script, target).poll().deliveries[-1][1]
    assert summary.type == "provider.summary" and summary.url == "https://status.acme.example/feed"
