"""The Better Stack format: authored payloads, detection across versions, limits and the detection
sign; what every format keeps is in test_format_contract.

No public capture of a whole index.json with its status reports' details was found, so the
payloads are authored (tests/payloads/betterstack/README.md says which is modelled on what):
`index-no-updates.json` has the shape of status.latitude.so's public index.json (sections,
resources with their history, report references); the reports and updates of the others follow
Better Stack's documented status report and status update objects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.detect import detect
from bot.model import Answer, Document, Event, Limits, ParseError, Snapshot
from providers import betterstack

PAYLOADS = Path(__file__).parent / "payloads"
BASE = "https://status.acme.test"
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
INCIDENT, MAINTENANCE, OLD = "501", "502", "400"
INFERENCE, DASHBOARD, WEBHOOKS = "7001", "7002", "7003"


def body(name: str) -> bytes:
    return (PAYLOADS / "betterstack" / name).read_bytes()


def parse(raw: bytes) -> Snapshot:
    return betterstack.FORMAT.parse("index", raw, f"{BASE}/")


@pytest.fixture(scope="module")
def versions() -> list[Snapshot]:
    """The page fetched three times: an incident opens, worsens and resolves; a maintenance is
    scheduled, runs and completes."""
    return [parse(body(f"index-{n}.json")) for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def messy() -> Snapshot:
    return parse(body("index-messy.json"))


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize("base", [BASE, f"{BASE}/", f"{BASE}/acme", f"{BASE}/acme/"])
def test_the_document_is_index_json_under_the_base_url_and_its_prefix(base: str) -> None:
    assert betterstack.documents(base) == [Document("index", f"{base.rstrip('/')}/index.json")]


# ---------------------------------------------------------------- components


def test_resources_are_components_in_their_sections(versions: list[Snapshot]) -> None:
    statuses = [{cid: c.status for cid, c in v.components.items()} for v in versions]
    assert statuses == [
        {INFERENCE: "degraded_performance", DASHBOARD: "operational", WEBHOOKS: "operational"},
        {INFERENCE: "major_outage", DASHBOARD: "under_maintenance", WEBHOOKS: "operational"},
        {INFERENCE: "operational", DASHBOARD: "operational", WEBHOOKS: "operational"},
    ]
    webhooks = versions[0].components[WEBHOOKS]
    assert (webhooks.name, webhooks.group_id, webhooks.group) == ("Webhooks", "901", "API")


def test_messy_components(messy: Snapshot) -> None:
    assert {cid: (c.name, c.status, c.group_id, c.group) for cid, c in messy.components.items()} == {
        # Not monitored now is not an outage; a section id given as a string, the name cleaned.
        "7101": ("CDN", "operational", "904", "Edge <b>network</b>"),
        # An unknown status is not an invented outage; a section without a name is no group name.
        "7102": ("DNS", "operational", "903", None),
        # A numeric id, no name, a status in capitals.
        "7103": ("7103", "major_outage", None, None),
        # No attributes at all.
        "7104": ("7104", "operational", None, None),
    }


# ---------------------------------------------------------------- reports


def test_incident_fields(versions: list[Snapshot]) -> None:
    incident = versions[0].incidents[INCIDENT]
    assert (incident.kind, incident.title, incident.status, incident.impact) == (
        "incident", "Elevated inference errors", "investigating", "minor")
    assert incident.url == f"{BASE}/incident/501"
    # 14:05 at +02:00.
    assert incident.created_at == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
    assert (incident.component_ids, incident.component_names) == ((INFERENCE,), ("Inference API",))
    assert (incident.scheduled_for, incident.scheduled_until) == (None, None)


def test_updates_are_oldest_first_and_the_newest_carries_the_phase(versions: list[Snapshot]) -> None:
    resolved = versions[2].incidents[INCIDENT]
    assert [(u.id, u.status) for u in resolved.updates] == [
        ("50101", "investigating"), ("50102", "investigating"), ("50103", "resolved")]
    assert resolved.updates[0].body == "Some inference requests fail with **502** errors. We are investigating."
    assert resolved.updated_at == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)


def test_impact_is_the_worst_state_named_and_does_not_fall_on_resolution(versions: list[Snapshot]) -> None:
    assert [v.incidents[INCIDENT].impact for v in versions] == ["minor", "critical", "critical"]
    assert [v.incidents[INCIDENT].status for v in versions] == ["investigating", "investigating", "resolved"]


def test_maintenance_runs_while_its_resources_are_under_maintenance(versions: list[Snapshot]) -> None:
    assert [v.incidents[MAINTENANCE].status for v in versions] == ["scheduled", "in_progress", "completed"]
    maintenance = versions[0].incidents[MAINTENANCE]
    assert (maintenance.kind, maintenance.impact) == ("maintenance", "none")
    # 22:00 and 01:00 at -05:00.
    assert maintenance.scheduled_for == datetime(2026, 3, 2, 3, tzinfo=UTC)
    assert maintenance.scheduled_until == datetime(2026, 3, 2, 6, tzinfo=UTC)


def test_resolved_reports_stay_listed(versions: list[Snapshot]) -> None:
    assert all(v.incidents[OLD].status == "resolved" for v in versions)


def test_messy_reports(messy: Snapshot) -> None:
    assert set(messy.incidents) == {"601", "602", "603"}
    edge = messy.incidents["601"]
    # An automatic report is an incident; no aggregate state is open; the title is one line.
    assert (edge.kind, edge.status, edge.title) == ("incident", "investigating", "Edge <script>alert(1)</script> errors")
    # The resource it names went down; entries without a resource id are skipped.
    assert (edge.impact, edge.component_ids) == ("critical", ("7101",))
    assert edge.created_at == datetime(2026, 3, 1, 4, 30, tzinfo=UTC)
    # Linked by the report's relationships or by their own report id (a missing one is skipped,
    # one without an id has no key); an unreadable time goes first.
    assert [u.id for u in edge.updates] == ["60102", "60101", "60103"]
    assert edge.updates[0].created_at is None
    assert edge.updates[1].body == "<p>We see <em>errors</em> at the edge.</p>\n\n- Step one\n- Step two"
    assert edge.updates[0].body == ""
    bare = messy.incidents["602"]
    assert (bare.kind, bare.title, bare.status, bare.impact, bare.updates) == ("incident", "", "investigating",
                                                                              "minor", ())
    planned = messy.incidents["603"]
    # Without resources under maintenance, an open maintenance is scheduled.
    assert (planned.kind, planned.status, planned.component_ids) == ("maintenance", "scheduled", ())


def test_a_page_without_updates_still_tells_its_reports() -> None:
    page = parse(body("index-no-updates.json"))
    assert {i.id: (i.kind, i.status, i.updates) for i in page.incidents.values()} == {
        "594759": ("incident", "resolved", ()),
        "582904": ("maintenance", "completed", ()),
    }
    assert [c.name for c in page.components.values()] == ["app.acme.test/api/health", "gateway.acme.test"]


# ---------------------------------------------------------------- detection across versions


def kinds(events: list[Event]) -> list[tuple[str, str, str]]:
    return [(e.type, (e.incident or e.component).id, e.status) for e in events]  # type: ignore[union-attr]


def test_first_sight_announces_what_is_open(versions: list[Snapshot]) -> None:
    assert kinds(detect("acme", "Acme", None, versions[0], NOW)) == [
        ("incident.created", INCIDENT, "investigating"),
        ("maintenance.created", MAINTENANCE, "scheduled"),
        ("component.status", INFERENCE, "degraded_performance"),
    ]


def test_an_update_a_maintenance_starting_and_components(versions: list[Snapshot]) -> None:
    assert kinds(detect("acme", "Acme", versions[0], versions[1], NOW)) == [
        ("incident.updated", INCIDENT, "investigating"),
        ("maintenance.status", MAINTENANCE, "in_progress"),
        ("component.status", INFERENCE, "major_outage"),
        ("component.status", DASHBOARD, "under_maintenance"),
    ]


def test_resolution_and_completion(versions: list[Snapshot]) -> None:
    events = detect("acme", "Acme", versions[1], versions[2], NOW)
    assert kinds(events) == [
        ("incident.resolved", INCIDENT, "resolved"),
        ("maintenance.completed", MAINTENANCE, "completed"),
        ("component.status", INFERENCE, "operational"),
        ("component.status", DASHBOARD, "operational"),
    ]
    assert events[0].impact == "critical"


def test_an_edited_message_is_an_edit_of_the_same_update(versions: list[Snapshot]) -> None:
    document = json.loads(body("index-3.json"))
    for item in document["included"]:
        if item["id"] == "50102":
            item["attributes"]["message"] = "The inference API was down in us-east after a bad deploy."
    edited = parse(json.dumps(document).encode())
    assert kinds(detect("acme", "Acme", versions[2], edited, NOW)) == [("incident.edited", INCIDENT, "investigating")]


def test_without_updates_a_resolution_is_still_told() -> None:
    document = json.loads(body("index-no-updates.json"))
    report = document["included"][3]
    report["attributes"]["aggregate_state"] = "downtime"
    before = parse(json.dumps(document).encode())
    after = parse(body("index-no-updates.json"))
    assert kinds(detect("acme", "Acme", before, after, NOW)) == [("incident.resolved", "594759", "resolved")]


# ---------------------------------------------------------------- unreadable documents


STATUSPAGE_SUMMARY = (PAYLOADS / "statuspage_summary.json").read_bytes()
HTML_SHELL = (PAYLOADS / "error_html_page.html").read_bytes()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (HTML_SHELL, "not JSON: looks like an HTML page"),
        (STATUSPAGE_SUMMARY, "not a Better Stack index.json"),
        (b'{"errors": [{"status": "404", "title": "Not Found"}]}', "not a Better Stack index.json"),
        (b'{"data": {"id": "1", "type": "monitor", "attributes": {}}}', "not a Better Stack index.json"),
        (b'{"data": {"type": "status_page"}}', "not a Better Stack index.json"),
        (b'{"data": {"type": "status_page", "attributes": {}}, "included": {}}', "not a Better Stack index.json"),
        (b"[]", "not a JSON object: top level is an array"),
        (b'{"data": {"type": "status_page", "attributes": {', "not JSON: looks like truncated or malformed JSON"),
    ],
)
def test_unreadable_documents_raise_parse_error(raw: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}"):
        parse(raw)


@pytest.mark.parametrize("included", [[], None])
def test_a_page_with_nothing_included_is_an_empty_page(included: list[Any] | None) -> None:
    document = {"data": {"id": "1", "type": "status_page", "attributes": {"aggregate_state": "operational"}},
                "included": included}
    assert parse(json.dumps(document).encode()) == Snapshot()


# ---------------------------------------------------------------- limits


def report(number: int, updates: int = 1) -> list[dict[str, Any]]:
    """Report `number`, started `number` hours before the newest, with its updates."""
    rid = f"r{number}"
    return [
        {"id": rid, "type": "status_report",
         "attributes": {"title": f"Report {number}", "report_type": "manual", "aggregate_state": "degraded",
                        "starts_at": f"2026-03-01T{23 - number:02d}:00:00Z"},
         "relationships": {"status_updates": {"data": [{"id": f"{rid}u{n}", "type": "status_update"}
                                                      for n in range(updates)]}}},
        *({"id": f"{rid}u{n}", "type": "status_update",
           "attributes": {"message": f"Update {n}", "published_at": f"2026-03-01T{23 - number:02d}:{n:02d}:00Z"}}
          for n in range(updates)),
    ]


def test_the_newest_reports_and_updates_and_the_first_components_are_kept() -> None:
    resources = [{"id": f"c{n}", "type": "status_page_resource", "attributes": {"public_name": f"C{n}"}}
                 for n in range(5)]
    reports = [item for number in (4, 0, 6, 2, 5, 1, 3) for item in report(number, updates=3 if number == 0 else 1)]
    document = {"data": {"type": "status_page", "attributes": {}}, "included": [*resources, *reports]}
    raw = json.dumps(document).encode()
    limits = Limits(incidents=3, components=2, updates=2)
    full = betterstack.FORMAT.read("index", raw, BASE, Limits(10**6, 10**6, 10**6)).snapshot
    reading = betterstack.FORMAT.read("index", raw, BASE, limits)
    assert list(reading.snapshot.incidents) == ["r0", "r2", "r1"]
    assert list(reading.snapshot.components) == ["c0", "c1"]
    assert [u.id for u in reading.snapshot.incidents["r0"].updates] == ["r0u1", "r0u2"]
    assert reading.snapshot.incidents["r0"].updates == full.incidents["r0"].updates[1:]
    assert dict(reading.cut) == {"incidents": 7, "components": 5, "updates": 3}


# ---------------------------------------------------------------- the detection sign


SIGN = betterstack.FORMAT.signs[0]


def answer(raw: bytes, url: str = f"{BASE}/index.json", status: int = 200,
           content_type: str = "application/json") -> Answer:
    return Answer(url=url, status=status, content_type=content_type, body=raw)


@pytest.mark.parametrize("address", [BASE, f"{BASE}/"])
def test_the_sign_asks_for_index_json(address: str) -> None:
    assert SIGN.ask(address) == f"{BASE}/index.json"


def test_the_sign_asks_for_index_json_before_a_query_the_address_carries() -> None:
    assert SIGN.ask(f"{BASE}/?key=k1") == f"{BASE}/index.json?key=k1"


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.api+json"])
def test_the_sign_accepts_a_status_page_and_proposes_its_base_url(content_type: str) -> None:
    assert SIGN.read(BASE, answer(body("index-1.json"), content_type=content_type)) == BASE


def test_the_sign_follows_a_redirect_and_keeps_a_path_prefix() -> None:
    moved = answer(body("index-no-updates.json"), url="https://status.example.test/acme/index.json?v=1")
    assert SIGN.read(BASE, moved) == "https://status.example.test/acme"


@pytest.mark.parametrize(
    "refused",
    [
        answer(HTML_SHELL, content_type="text/html"),
        answer(body("index-1.json"), content_type="text/html"),
        answer(body("index-1.json"), status=404),
        answer(STATUSPAGE_SUMMARY),
        answer(b'{"errors": [{"status": "404", "title": "Not Found"}]}'),
        answer(b'{"data": {"type": "status_page", "attributes": {"company_name": "Acme"}}}'),
        answer(b"\xff\xfe{"),
        answer(b"[1, 2]"),
        answer(body("index-1.json"), url=f"{BASE}/somewhere-else"),
    ],
    ids=["html", "html-type", "404", "statuspage", "error-json", "no-aggregate-state", "not-utf8", "array",
         "elsewhere"],
)
def test_the_sign_refuses_other_answers(refused: Answer) -> None:
    assert SIGN.read(BASE, refused) is None


def test_a_report_reads_every_resource_whatever_the_components_limit() -> None:
    reading = betterstack.FORMAT.read("index", body("index-2.json"), BASE, Limits(components=1))
    assert list(reading.snapshot.components) == [INFERENCE]
    maintenance = reading.snapshot.incidents[MAINTENANCE]
    assert (maintenance.status, maintenance.component_names) == ("in_progress", ("Web dashboard",))
