"""Detection is a pure function: every row of bot/detect.py's tables, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.detect import covered_keys, detect, is_deduplicated, scope, snapshot_keys
from bot.model import Component, Incident, Snapshot, Update

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def upd(uid: str, status: str, body: str = "", minute: int = 0) -> Update:
    return Update(id=uid, status=status, body=body or f"{status} {uid}", created_at=at(minute))


def inc(iid: str = "i1", *updates: Update, status: str | None = None, kind: str = "incident",
        title: str = "API errors", impact: str = "major") -> Incident:
    return Incident(
        id=iid, kind=kind, title=title, impact=impact,
        status=status or (updates[-1].status if updates else "investigating"), updates=updates,
    )


def snap(*incidents: Incident, components: tuple[Component, ...] = ()) -> Snapshot:
    return Snapshot(incidents={i.id: i for i in incidents}, components={c.id: c for c in components})


def comp(cid: str, status: str, name: str | None = None) -> Component:
    return Component(id=cid, name=name or cid.upper(), status=status)


def kinds(events) -> list[tuple[str, str]]:
    return [(e.type, e.key) for e in events]


U1 = upd("u1", "investigating", minute=1)
U2 = upd("u2", "identified", minute=2)
U3 = upd("u3", "identified", minute=3)
U4 = upd("u4", "monitoring", minute=4)
U5 = upd("u5", "resolved", minute=5)

INCIDENT_TABLE = [
    # (case, old snapshot, new snapshot, expected (type, key) in order)
    ("new incident", snap(), snap(inc("i1", U1)), [("incident.created", "inc:i1")]),
    ("new incident with three updates",
     snap(), snap(inc("i1", U1, U2, U3)),
     [("incident.created", "inc:i1"), ("incident.status", "upd:i1:u2"), ("incident.updated", "upd:i1:u3")]),
    ("new incident without updates", snap(), snap(inc("i1")), [("incident.created", "inc:i1")]),
    ("nothing changed", snap(inc("i1", U1)), snap(inc("i1", U1)), []),
    ("update, same status", snap(inc("i1", U2)), snap(inc("i1", U2, U3)), [("incident.updated", "upd:i1:u3")]),
    ("update, phase change", snap(inc("i1", U1)), snap(inc("i1", U1, U2)), [("incident.status", "upd:i1:u2")]),
    ("update resolves", snap(inc("i1", U1, U4)), snap(inc("i1", U1, U4, U5)), [("incident.resolved", "upd:i1:u5")]),
    ("several updates at once, in order",
     snap(inc("i1", U1)), snap(inc("i1", U1, U2, U4, U5)),
     [("incident.status", "upd:i1:u2"), ("incident.status", "upd:i1:u4"), ("incident.resolved", "upd:i1:u5")]),
    ("status moves with no update",
     snap(inc("i1", U1)), snap(inc("i1", U1, status="identified")), [("incident.status", "phase:i1:identified")]),
    ("resolved with no update",
     snap(inc("i1", U1)), snap(inc("i1", U1, status="resolved")), [("incident.resolved", "phase:i1:resolved")]),
    ("update edited in place",
     snap(inc("i1", U1, U5)), snap(inc("i1", U1, upd("u5", "resolved", "Root cause: a bad deploy", 5))),
     [("incident.edited", "edit:i1:u5:" + "x")]),
    ("renamed, updated_at moved: nothing",
     snap(inc("i1", U1)), snap(inc("i1", U1, title="Incident with all services")), []),
    ("deleted incident: nothing", snap(inc("i1", U1), inc("i2", U1)), snap(inc("i2", U1)), []),
    ("postmortem after resolved is a status change",
     snap(inc("i1", U5)), snap(inc("i1", U5, upd("u6", "postmortem", minute=9))), [("incident.status", "upd:i1:u6")]),
    ("repeated identical update: announced once",
     snap(inc("i1", upd("u1", "investigating", "Looking into it", 1))),
     snap(inc("i1", upd("u1", "investigating", "Looking into it", 1), upd("u2", "investigating", "Looking  into it", 2),
              upd("u3", "investigating", "Found a lead", 3))),
     [("incident.updated", "upd:i1:u3")]),
    ("maintenance lifecycle",
     snap(inc("m1", upd("s1", "scheduled"), kind="maintenance")),
     snap(inc("m1", upd("s1", "scheduled"), upd("s2", "in_progress", minute=1), upd("s3", "verifying", minute=2),
              upd("s4", "completed", minute=3), kind="maintenance")),
     [("maintenance.status", "upd:m1:s2"), ("maintenance.status", "upd:m1:s3"),
      ("maintenance.completed", "upd:m1:s4")]),
]


@pytest.mark.parametrize("case,old,new,expected", INCIDENT_TABLE, ids=[row[0] for row in INCIDENT_TABLE])
def test_incident_table(case, old, new, expected):
    got = kinds(detect("acme", "Acme", old, new, NOW))
    if expected and expected[0][1].endswith(":x"):  # edit keys end with a body hash
        assert [(t, k.rsplit(":", 1)[0]) for t, k in got] == [(t, k[:-2]) for t, k in expected]
    else:
        assert got == expected


COMPONENT_TABLE = [
    ("degraded", (comp("c1", "operational"),), (comp("c1", "degraded_performance"),),
     [("operational", "degraded_performance", "minor")]),
    ("recovered", (comp("c1", "major_outage"),), (comp("c1", "operational"),),
     [("major_outage", "operational", "critical")]),
    ("unchanged", (comp("c1", "partial_outage"),), (comp("c1", "partial_outage"),), []),
    ("renamed only", (comp("c1", "operational", "API"),), (comp("c1", "operational", "Public API"),), []),
    ("new and broken", (), (comp("c2", "partial_outage"),), [(None, "partial_outage", "major")]),
    ("new and fine", (), (comp("c2", "operational"),), []),
    ("removed", (comp("c1", "major_outage"),), (), []),
]


@pytest.mark.parametrize("case,old,new,expected", COMPONENT_TABLE, ids=[row[0] for row in COMPONENT_TABLE])
def test_component_table(case, old, new, expected):
    events = detect("acme", "Acme", snap(components=old), snap(components=new), NOW)
    assert [(e.old_status, e.new_status, e.impact) for e in events] == expected
    assert all(e.type == "component.status" and e.key == f"comp:{e.component.id}:{e.new_status}" for e in events)


def test_component_that_degrades_twice_gets_two_distinct_event_ids():
    ok, bad = snap(components=(comp("c1", "operational"),)), snap(components=(comp("c1", "major_outage"),))
    first = detect("acme", "Acme", ok, bad, NOW)[0]
    second = detect("acme", "Acme", ok, bad, NOW + timedelta(hours=1))[0]
    assert first.key == second.key and first.id != second.id
    assert not is_deduplicated(first)


def test_incident_event_ids_are_deterministic_and_per_provider():
    a = detect("acme", "Acme", snap(), snap(inc("i1", U1)), NOW)[0]
    b = detect("acme", "Acme", snap(), snap(inc("i1", U1)), NOW + timedelta(days=1))[0]
    c = detect("other", "Other", snap(), snap(inc("i1", U1)), NOW)[0]
    assert a.id == b.id != c.id


def test_created_event_carries_first_update_and_covers_its_key():
    event = detect("acme", "Acme", snap(), snap(inc("i1", U1, U2)), NOW)[0]
    assert event.update == U1
    assert covered_keys(event) == ("inc:i1", "upd:i1:u1")
    assert event.thread_key == "acme:incident:i1"
    assert event.occurred_at == U1.created_at


FIRST_RUN = snap(
    inc("open", U1, U2),
    inc("done", U1, U5),
    inc("m1", upd("s1", "scheduled"), kind="maintenance"),
    components=(comp("c1", "operational"), comp("c2", "degraded_performance")),
)


@pytest.mark.parametrize("mode,expected", [
    ("active", [("incident.created", "inc:open"), ("maintenance.created", "inc:m1"), ("component.status", "comp:c2:degraded_performance")]),
    ("all", [("incident.created", "inc:open"), ("incident.created", "inc:done"), ("maintenance.created", "inc:m1"),
             ("component.status", "comp:c2:degraded_performance")]),
    ("none", []),
])
def test_first_run_modes(mode, expected):
    events = detect("acme", "Acme", None, FIRST_RUN, NOW, first_run=mode)
    assert kinds(events) == expected
    created = [e for e in events if e.key == "inc:open"]
    if created:
        assert created[0].update == U2, "first sight shows the latest update"


def test_snapshot_keys_cover_every_incident_and_update():
    assert sorted(snapshot_keys(FIRST_RUN)) == sorted([
        "inc:open", "upd:open:u1", "upd:open:u2", "inc:done", "upd:done:u1", "upd:done:u5", "inc:m1", "upd:m1:s1",
    ])


def test_scope_keeps_named_components_and_the_incidents_touching_them():
    api = Incident(id="a", title="API down", status="investigating", component_ids=("c1",))
    web = Incident(id="w", title="Web down", status="investigating", component_names=("Web",))
    unknown = Incident(id="u", title="Something", status="investigating")
    snapshot = Snapshot(
        incidents={"a": api, "w": web, "u": unknown},
        components={"c1": comp("c1", "operational", "API"), "c2": comp("c2", "operational", "Web")},
    )
    scoped = scope(snapshot, ("api",))
    assert set(scoped.components) == {"c1"}
    assert set(scoped.incidents) == {"a", "u"}
    assert scope(snapshot, ()) is snapshot


def test_events_link_to_the_incident_else_the_page():
    linked = Incident(id="i1", title="x", status="investigating", url="https://stspg.io/i1")
    [incident_event] = detect("acme", "Acme", snap(), snap(linked), NOW, page_url="https://status.acme.test")
    [component_event] = detect("acme", "Acme", snap(components=(comp("c1", "operational"),)),
                               snap(components=(comp("c1", "major_outage"),)), NOW, page_url="https://status.acme.test")
    assert incident_event.url == "https://stspg.io/i1"
    assert component_event.url == "https://status.acme.test"


def test_scope_by_group_name_keeps_every_child_and_what_hits_them():
    api = Component(id="c1", name="API", status="operational", group_id="g1", group="Platform")
    web = Component(id="c2", name="Web", status="operational", group_id="g1", group="Platform")
    docs = Component(id="c3", name="Docs", status="operational")
    hit_web = Incident(id="w", title="Web down", status="investigating", component_ids=("c2",))
    hit_docs = Incident(id="d", title="Docs down", status="investigating", component_ids=("c3",))
    snapshot = Snapshot(incidents={"w": hit_web, "d": hit_docs}, components={"c1": api, "c2": web, "c3": docs})
    scoped = scope(snapshot, ("platform",))
    assert set(scoped.components) == {"c1", "c2"} and set(scoped.incidents) == {"w"}


def test_times_are_held_in_utc():
    pacific = datetime(2026, 6, 16, 10, 0, tzinfo=timezone(timedelta(hours=-7)))
    assert Update(id="u", status="x", created_at=pacific).created_at == datetime(2026, 6, 16, 17, 0, tzinfo=UTC)
    assert Update(id="u", status="x", created_at=datetime(2026, 1, 1)).created_at.tzinfo == UTC


def test_on_a_page_of_ongoing_incidents_leaving_the_list_means_resolved():
    ongoing = snap(inc("i1", U1), inc("m1", upd("s1", "in_progress"), kind="maintenance"), inc("done", U5))
    events = detect("acme", "Acme", ongoing, snap(), NOW, vanished_means_resolved=True)
    assert sorted(kinds(events)) == [("incident.resolved", "phase:i1:resolved"),
                                     ("maintenance.completed", "phase:m1:completed")]
    assert detect("acme", "Acme", ongoing, snap(), NOW) == [], "elsewhere it was deleted: nothing"
