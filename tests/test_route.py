"""Routing and the mention rule: pure functions, one table each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.model import Component, Event, Incident
from bot.route import mention_for, route, wants


@dataclass(frozen=True)
class Channel:
    name: str = "ch"
    providers: tuple[str, ...] = ()
    min_impact: str = "none"
    events: tuple[str, ...] = ("incident", "component", "maintenance")
    components: tuple[str, ...] = ()
    mention: str | None = None
    mention_min_impact: str = "major"


def incident_event(type_="incident.created", impact="major", provider="acme", components=("API",), kind="incident"):
    incident = Incident(id="i1", kind=kind, title="Errors", status="investigating", impact=impact,
                        component_names=components, component_ids=tuple(c.lower() for c in components))
    return Event(id="e", type=type_, key="k", provider=provider, provider_title="Acme", thread_key="t",
                 impact=impact if kind == "incident" else "none", incident=incident)


def component_event(old="operational", new="major_outage", impact="critical", name="API"):
    return Event(id="e", type="component.status", key="k", provider="acme", provider_title="Acme", thread_key="t",
                 impact=impact, component=Component(id=name.lower(), name=name, status=new),
                 old_status=old, new_status=new)


def summary_event(impact="none"):
    return Event(id="s", type="provider.summary", key="summary:x", provider="acme", provider_title="Acme",
                 thread_key="acme:summary:x", impact=impact, summarised=3)


ROUTING = [
    ("defaults take everything", Channel(), incident_event(), True),
    ("other provider", Channel(providers=("nova",)), incident_event(), False),
    ("listed provider", Channel(providers=("nova", "acme")), incident_event(), True),
    ("family not wanted", Channel(events=("component",)), incident_event(), False),
    ("component family wanted", Channel(events=("component",)), component_event(), True),
    ("below min impact", Channel(min_impact="critical"), incident_event(impact="major"), False),
    ("at min impact", Channel(min_impact="major"), incident_event(impact="major"), True),
    ("maintenance ignores min impact", Channel(min_impact="critical"),
     incident_event("maintenance.created", kind="maintenance"), True),
    ("maintenance filtered by events", Channel(events=("incident",)),
     incident_event("maintenance.created", kind="maintenance"), False),
    ("component scoped away", Channel(components=("Dashboard",)), incident_event(), False),
    ("component scoped in, by name", Channel(components=("api",)), incident_event(), True),
    ("incident naming no component is kept", Channel(components=("Dashboard",)), incident_event(components=()), True),
    ("component event scoped by name", Channel(components=("API",)), component_event(), True),
    ("component event scoped away", Channel(components=("Web",)), component_event(), False),
    # A summary is made for one channel from the events that passed its filters: only `providers` is asked.
    ("summary of maintenances in a channel of critical incidents", Channel(min_impact="critical"),
     summary_event(), True),
    ("summary in a channel of one family", Channel(events=("component",)), summary_event(), True),
    ("summary in a channel of some components", Channel(components=("Web",)), summary_event(), True),
    ("summary of another provider", Channel(providers=("nova",)), summary_event("critical"), False),
]


@pytest.mark.parametrize("case,channel,event,expected", ROUTING, ids=[r[0] for r in ROUTING])
def test_routing_table(case, channel, event, expected):
    assert wants(channel, event) is expected


def test_route_keeps_configuration_order():
    channels = [Channel(name="b"), Channel(name="a", providers=("nova",)), Channel(name="c")]
    assert route(channels, incident_event()) == ["b", "c"]


MENTIONS = [
    ("no mention configured", Channel(), incident_event(), None),
    ("new major incident", Channel(mention="<!here>"), incident_event(), "<!here>"),
    ("new minor incident", Channel(mention="<!here>"), incident_event(impact="minor"), None),
    ("threshold lowered", Channel(mention="<!here>", mention_min_impact="minor"), incident_event(impact="minor"),
     "<!here>"),
    ("an update never pings", Channel(mention="<!here>"), incident_event("incident.updated"), None),
    ("a resolution never pings", Channel(mention="<!here>"), incident_event("incident.resolved"), None),
    ("component going down", Channel(mention="@here"), component_event(), "@here"),
    ("component recovering", Channel(mention="@here"), component_event("major_outage", "operational"), None),
    ("a summary never pings", Channel(mention="@here", mention_min_impact="none"), summary_event("critical"), None),
]


@pytest.mark.parametrize("case,channel,event,expected", MENTIONS, ids=[r[0] for r in MENTIONS])
def test_mention_rule(case, channel, event, expected):
    assert mention_for(channel, event) == expected
