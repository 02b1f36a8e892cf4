"""The Cachet format: authored payloads, detection across versions, and the ping sign; what every
format keeps is in test_format_contract.

The payloads are authored (no public capture of a whole Cachet page was found): their shape is
that of Cachet 2.4's code and of public captures of its answers, as tests/payloads/cachet/README.md
says for each file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect import detect
from bot.model import DEFAULT_LIMITS, Answer, Event, Limits, ParseError, Snapshot
from providers import cachet

PAYLOADS = Path(__file__).parent / "payloads" / "cachet"
BASE = "http://127.0.0.1:8000/acme"
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
SCHEDULE = "schedule-7"


def read(name: str, limits: Limits = DEFAULT_LIMITS) -> Snapshot:
    role = name.split("-", 1)[0]
    return cachet.read(role, (PAYLOADS / name).read_bytes(), BASE, limits).snapshot


def page(version: int) -> Snapshot:
    """One poll: the three documents merged, as the engine merges them."""
    parts = [read(f"{role}-{version}.json") for role in ("components", "incidents", "schedules")]
    return parts[0].merged(parts[1]).merged(parts[2])


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def changes(events: list[Event]) -> list[tuple[str, str]]:
    return [(event.type, event.key) for event in events]


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize("base", [BASE, f"{BASE}/"])
def test_the_three_lists_are_read_under_the_base_url_newest_first(base: str) -> None:
    assert [(d.role, d.url, d.every) for d in cachet.documents(base)] == [
        ("components", f"{BASE}/api/v1/components?per_page=1000", 1),
        ("incidents", f"{BASE}/api/v1/incidents?sort=id&order=desc&per_page=50", 1),
        ("schedules", f"{BASE}/api/v1/schedules?sort=id&order=desc&per_page=50", 1),
    ]


# ---------------------------------------------------------------- components


def test_component_statuses_and_groups() -> None:
    statuses = [{cid: (c.name, c.status, c.group_id) for cid, c in read(f"components-{v}.json").components.items()}
                for v in (1, 2)]
    assert statuses[0] == {"1": ("Website", "operational", "1"), "2": ("API", "operational", "1"),
                           "3": ("Webhooks", "operational", None)}
    assert statuses[1]["2"] == ("API", "partial_outage", "1")


def test_odd_components() -> None:
    components = read("components-edge.json").components
    assert {cid: c.status for cid, c in components.items()} == {
        "1": "partial_outage",  # a status sent as a string
        "2": "operational",  # 0, Unknown: no outage is invented
        "3": "operational",  # a code Cachet does not have
        "4": "degraded_performance",
        "5": "major_outage",
    }
    assert components["2"].group_id is None and components["4"].group_id == "5"
    assert components["4"].name == "4"  # no name: its id
    assert components["5"].name == "Bidi name across lines"  # untrusted text made one clean line


# ---------------------------------------------------------------- incidents


def test_the_incident_message_is_its_first_update_then_its_updates_oldest_first() -> None:
    incident = read("incidents-3.json").incidents["41"]
    assert [(u.id, u.status, u.created_at) for u in incident.updates] == [
        ("message", "investigating", when("2026-03-01 09:02:00")),
        ("101", "identified", when("2026-03-01 09:20:00")),
        ("102", "resolved", when("2026-03-01 11:05:00")),
    ]
    assert incident.updates[0].body == "We are investigating elevated error rates on the API."
    assert (incident.kind, incident.status, incident.impact, incident.title) == (
        "incident", "resolved", "minor", "Elevated API errors")
    assert incident.url == "https://status.acme.test/incidents/41"
    assert incident.component_ids == ("2",)
    assert (incident.created_at, incident.updated_at) == (when("2026-03-01 09:02:00"), when("2026-03-01 11:05:00"))


def test_without_updates_the_message_carries_the_incident_status() -> None:
    assert [(u.id, u.status) for u in read("incidents-1.json").incidents["41"].updates] == [("message", "investigating")]
    assert read("incidents-edge.json").incidents["53"].status == "investigating"  # unknown code 7


def test_odd_incidents() -> None:
    incidents = read("incidents-edge.json").incidents
    assert sorted(incidents) == ["50", "51", "52", "53", "54"]  # no id, a boolean id, a string: skipped
    login = incidents["50"]
    assert login.title == "<b>Login</b> failures for some users"  # kept as text, on one line
    assert [(u.id, u.status, u.created_at) for u in login.updates] == [
        ("message", "investigating", when("2026-03-01 08:00:00")),  # occurred_at +02:00, in UTC
        ("202", "identified", when("2026-03-01 08:30:00")),  # a status sent as a string; listed twice, read once
        ("203", "monitoring", when("2026-03-01 09:30:00")),  # +01:00
        ("204", "monitoring", when("2026-03-01 09:45:00")),  # unknown code 9 keeps the phase before it
    ]  # the update without an id is skipped
    assert login.updates[0].body == (
        "Some users **cannot log in**.\n\n<script>alert(1)</script> See [details](https://acme.test/x).")
    assert login.status == "monitoring"
    legacy = incidents["51"]
    assert (legacy.kind, legacy.status, legacy.impact, legacy.scheduled_for) == (
        "maintenance", "scheduled", "none", when("2026-03-05 01:00:00"))
    bare = incidents["52"]
    assert (bare.status, bare.url, bare.component_ids, bare.created_at) == ("investigating", "", (), None)
    assert [(u.id, u.body) for u in bare.updates] == [("message", "")]
    backdated = incidents["54"]
    assert [u.created_at for u in backdated.updates] == [when("2026-02-26 11:00:00")] * 2  # never after its update
    assert (backdated.title, backdated.component_ids) == ("", ())


def test_an_empty_list_is_an_empty_page() -> None:
    assert read("incidents-empty.json") == Snapshot()


def test_tight_limits_keep_the_newest_and_say_what_they_cut() -> None:
    body = (PAYLOADS / "incidents-3.json").read_bytes()
    reading = cachet.read("incidents", body, BASE, Limits(incidents=1, components=1, updates=2))
    assert list(reading.snapshot.incidents) == ["41"]
    assert [u.id for u in reading.snapshot.incidents["41"].updates] == ["101", "102"]
    assert reading.cut == {"incidents": 2, "updates": 3}


# ---------------------------------------------------------------- maintenances


def test_a_schedule_is_a_maintenance_in_its_phase() -> None:
    phases = [read(f"schedules-{v}.json").incidents[SCHEDULE] for v in (1, 2, 3)]
    assert [m.status for m in phases] == ["scheduled", "in_progress", "completed"]
    maintenance = phases[0]
    assert (maintenance.kind, maintenance.impact, maintenance.title, maintenance.component_ids) == (
        "maintenance", "none", "Database upgrade", ("1", "2"))
    assert (maintenance.scheduled_for, maintenance.scheduled_until) == (
        when("2026-03-02 22:00:00"), when("2026-03-02 23:00:00"))
    assert [(u.id, u.status) for u in maintenance.updates] == [("message", "scheduled")]


def test_odd_schedules() -> None:
    schedules = read("schedules-edge.json").incidents
    assert sorted(schedules) == ["schedule-6", "schedule-8", "schedule-9"]
    assert schedules["schedule-9"].status == "scheduled"  # unknown code 5
    assert schedules["schedule-9"].scheduled_for == when("2026-03-10 01:00:00")  # -05:00, in UTC
    assert schedules["schedule-8"].status == "in_progress" and schedules["schedule-8"].component_ids == ("3",)
    assert schedules["schedule-8"].updates[0].body == "## Moving\n\n* files\n* images"


# ---------------------------------------------------------------- detection


def test_first_sight_announces_only_what_is_open() -> None:
    events = detect("acme", "Acme", None, page(1), NOW)
    assert changes(events) == [("incident.created", "inc:41"), ("maintenance.created", f"inc:{SCHEDULE}")]


def test_an_update_and_a_component_change_then_the_resolution() -> None:
    versions = [page(v) for v in (1, 2, 3)]
    assert changes(detect("acme", "Acme", versions[0], versions[1], NOW)) == [
        ("incident.status", "upd:41:101"),
        ("maintenance.status", f"phase:{SCHEDULE}:in_progress"),
        ("component.status", "comp:2:partial_outage"),
    ]
    assert changes(detect("acme", "Acme", versions[1], versions[2], NOW)) == [
        ("incident.resolved", "upd:41:102"),
        ("maintenance.completed", f"phase:{SCHEDULE}:completed"),
        ("component.status", "comp:2:operational"),
    ]


def test_the_same_page_again_is_no_news() -> None:
    assert detect("acme", "Acme", page(2), page(2), NOW) == []


def test_an_edited_update_is_the_same_id_with_a_new_body() -> None:
    document = json.loads((PAYLOADS / "incidents-2.json").read_bytes())
    document["data"][0]["updates"][0]["message"] = "The cause is a failed network switch."
    document["data"][0]["message"] = "Elevated error rates on the API, in Europe only."
    edited = cachet.read("incidents", json.dumps(document).encode(), BASE, DEFAULT_LIMITS).snapshot
    events = detect("acme", "Acme", read("incidents-2.json"), edited, NOW)
    assert [(e.type, e.update.id if e.update else None) for e in events] == [
        ("incident.edited", "message"), ("incident.edited", "101")]


# ---------------------------------------------------------------- what is not a Cachet list

STATUSPAGE = (Path(__file__).parent / "payloads" / "statuspage_summary.json").read_bytes()
ERROR = b'{"errors":[{"id":"abc","status":404,"title":"Not Found","detail":"The requested resource could not be found."}]}'
PONG = b'{"data":"Pong!"}'


@pytest.mark.parametrize(("body", "message"), [
    (b"<!DOCTYPE html><html><body>Cachet</body></html>", "HTML page"),
    (STATUSPAGE, "not a Cachet list of incidents"),
    (ERROR, "not a Cachet list of incidents"),
    (PONG, "not a Cachet list of incidents"),
    (b'{"data":[]}', "not a Cachet list of incidents"),  # no pagination: some other API
    (b"[]", "not a JSON object"),
])
def test_anything_else_is_a_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        cachet.read("incidents", body, BASE, DEFAULT_LIMITS)


def test_an_unknown_role_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unknown role"):
        cachet.read("summary", (PAYLOADS / "incidents-1.json").read_bytes(), BASE, DEFAULT_LIMITS)


# ---------------------------------------------------------------- the sign

SIGN = cachet.FORMAT.signs[0]
PING = f"{BASE}/api/v1/ping"


def answer(body: bytes, status: int = 200, url: str = PING, content_type: str = "application/json") -> Answer:
    return Answer(url=url, status=status, content_type=content_type, body=body)


@pytest.mark.parametrize("address", [BASE, f"{BASE}/"])
def test_the_sign_asks_the_ping(address: str) -> None:
    assert SIGN.ask(address) == PING


def test_the_sign_asks_the_ping_before_a_query_the_address_carries() -> None:
    assert SIGN.ask(f"{BASE}/?key=k1") == f"{PING}?key=k1"


def test_the_sign_proposes_the_base_url_of_the_ping() -> None:
    assert SIGN.read(BASE, answer(PONG)) == BASE
    assert SIGN.read(BASE, answer(b'\xef\xbb\xbf{ "data" : "Pong!" }\n')) == BASE
    # After a redirect, the page is where the ping was answered.
    moved = "https://status.acme.test/api/v1/ping/"
    assert SIGN.read(BASE, answer(PONG, url=moved)) == "https://status.acme.test"


@pytest.mark.parametrize("refused", [
    answer(b"<!DOCTYPE html><html><body>Pong!</body></html>", content_type="text/html"),
    answer(STATUSPAGE),
    answer(ERROR, status=404),
    answer(PONG, status=404),
    answer(b'{"data":"pong"}'),
    answer(b'{"data":"Pong!","meta":{}}'),
    answer(b'"Pong!"'),
    answer(PONG, url="https://status.acme.test/login"),  # redirected away from the ping
])
def test_the_sign_refuses_anything_else(refused: Answer) -> None:
    assert SIGN.read(BASE, refused) is None


def test_the_format_is_described_and_kept_by_kind() -> None:
    assert cachet.FORMAT.kind == "cachet" and "Cachet" in cachet.FORMAT.description
    assert cachet.FORMAT.vanished_means_resolved is False  # resolved incidents stay listed
