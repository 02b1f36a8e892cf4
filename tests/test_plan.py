"""A changed poll's plan, without I/O: documents in, the one transaction's contents out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.fetch import FetchResult, Validators
from bot.model import Component, Format, Snapshot
from bot.plan import ABSENT, PollTarget, detect_changes, missing_components, plan_commit
from bot.state import DocumentState
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

    def __init__(self, kind: str, script: PageScript):
        self.format: Format = FORMATS[kind]
        self.script = script
        self.documents = self.format.documents(TARGET.url)
        self.state: dict[str, DocumentState] = {}

    def poll(self, summary: dict | None = None, seen: set[str] | None = None, history: bool = True):
        """Every document fetched (the summary as given, else as the script renders it)."""
        rendered = {"summary": summary or self.script.summary(), "incidents": self.script.incidents_document(),
                    "maintenances": self.script.maintenances_document()}
        results = [answer(rendered[doc.role]) if history or doc.every == 1 else FetchResult(None, ABSENT)
                   for doc in self.documents]
        detection = detect_changes(TARGET, self.format, self.documents, self.state, results, "active", NOW)
        plan = plan_commit(detection, seen or set(), [Channel("hooks")])
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
