"""The Instatus format: authored payloads, detection across versions and the platform sign; what
every format keeps is in test_format_contract.

No public capture of these documents is stored (see payloads/instatus/README.md): the payloads
are written against Instatus's documentation (summary-docs-example.json has the shape of
https://instatus.com/help/api/public-data's example) and other projects' clients of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect import detect
from bot.model import Answer, Document, Event, Limits, ParseError, Snapshot
from providers import instatus

PAYLOADS = Path(__file__).parent / "payloads"
HERE = PAYLOADS / "instatus"
BASE = "https://status.acme.test"
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
INCIDENT = "cm7q2k1ve000208jx4hbd6t1a"
MAINTENANCE = "cm7p9d3rw000108mc2yfk0s7e"
API, WEBSITE, DATABASE = "cm7a0b1c2000008kz3api0001", "cm7a0b1c2000108kz3web0002", "cm7a0b1c2000208kz3dbs0003"


def parse(name: str, base: str = BASE) -> Snapshot:
    role = "components" if name.startswith("components") else "summary"
    return instatus.FORMAT.parse(role, (HERE / name).read_bytes(), base)


@pytest.fixture(scope="module")
def versions() -> list[Snapshot]:
    """The page read three times, summary and components merged as the engine merges them."""
    return [parse(f"summary-{n}.json").merged(parse(f"components-{n}.json")) for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def messy() -> Snapshot:
    return parse("summary-messy.json", f"{BASE}/acme").merged(parse("components-messy.json"))


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize("base", [BASE, f"{BASE}/"])
def test_documents_are_the_summary_and_the_components(base: str) -> None:
    assert instatus.documents(base) == [
        Document("summary", f"{BASE}/summary.json"),
        Document("components", f"{BASE}/v2/components.json"),
    ]


def test_a_path_prefix_is_kept() -> None:
    urls = [d.url for d in instatus.documents("http://127.0.0.1:8000/acme/")]
    assert urls == ["http://127.0.0.1:8000/acme/summary.json", "http://127.0.0.1:8000/acme/v2/components.json"]


def test_only_ongoing_items_are_listed_so_vanishing_resolves() -> None:
    assert instatus.FORMAT.vanished_means_resolved


# ---------------------------------------------------------------- incidents and maintenances


def test_incident_phases_and_impacts_across_versions(versions: list[Snapshot]) -> None:
    first, second = versions[0].incidents[INCIDENT], versions[1].incidents[INCIDENT]
    assert (first.kind, first.title, first.status, first.impact) == (
        "incident", "Elevated API error rates", "investigating", "major",
    )
    assert (second.status, second.impact) == ("identified", "critical")
    # `started` is JavaScript's Date.toString(); `updatedAt` ISO 8601.
    assert first.created_at == datetime(2026, 3, 3, 9, 12, 40, tzinfo=UTC)
    assert second.updated_at == datetime(2026, 3, 3, 9, 47, 5, 130000, tzinfo=UTC)
    assert first.url == f"{BASE}/incident/{INCIDENT}"
    # The public documents carry no updates and no affected components.
    assert (first.updates, first.component_ids) == ((), ())
    assert INCIDENT not in versions[2].incidents


def test_maintenance_phases_and_window(versions: list[Snapshot]) -> None:
    phases = [v.incidents[MAINTENANCE].status for v in versions]
    assert phases == ["scheduled", "in_progress", "completed"]
    maintenance = versions[0].incidents[MAINTENANCE]
    assert (maintenance.kind, maintenance.impact) == ("maintenance", "none")
    # `duration` is minutes: the window ends two hours after it starts.
    assert (maintenance.scheduled_for, maintenance.scheduled_until) == (
        datetime(2026, 3, 4, 2, tzinfo=UTC), datetime(2026, 3, 4, 4, tzinfo=UTC),
    )
    assert maintenance.url == f"{BASE}/maintenance/{MAINTENANCE}"


def test_the_documented_example_has_no_ids_they_come_from_the_links() -> None:
    snapshot = parse("summary-docs-example.json")
    assert {i.id: (i.kind, i.status, i.impact) for i in snapshot.incidents.values()} == {
        "cm7n4w8ha000508l2c1xq9v0b": ("incident", "investigating", "critical"),
        "cm7n5a2kd000608l2h7rz3p4c": ("maintenance", "scheduled", "none"),
    }
    maintenance = snapshot.incidents["cm7n5a2kd000608l2h7rz3p4c"]
    assert maintenance.scheduled_until == datetime(2026, 3, 2, 5, tzinfo=UTC)


def test_a_quiet_page_leaves_its_lists_out() -> None:
    assert parse("summary-quiet.json") == Snapshot()


def test_messy_incidents(messy: Snapshot) -> None:
    incidents = {i.id: i for i in messy.incidents.values() if i.kind == "incident"}
    # Neither an id nor a link, and a string among the objects: skipped.
    assert sorted(incidents) == [
        "12345", "cm7r0aa01000108ab1mon0001", "cm7r0bb02000208ab2url0002", "cm7r0cc03000308ab3res0003",
    ]
    monitoring = incidents["cm7r0aa01000108ab1mon0001"]
    # Lower-case status read; markup kept as text on one line; an offset held in UTC; a link
    # that is no web link replaced by the page's own (the page's url is none either: the base).
    assert (monitoring.status, monitoring.impact) == ("monitoring", "minor")
    assert monitoring.title == "<b>Login</b> **failures** for some users"
    assert monitoring.created_at == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert (monitoring.updated_at, monitoring.url) == (None, f"{BASE}/acme/incident/cm7r0aa01000108ab1mon0001")
    # The id from the link; unknown status and impact words; a JavaScript date at GMT-0700.
    from_link = incidents["cm7r0bb02000208ab2url0002"]
    assert (from_link.status, from_link.impact) == ("investigating", "none")
    assert from_link.created_at == datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    # Still listed although resolved: final; an unreadable date is none.
    resolved = incidents["cm7r0cc03000308ab3res0003"]
    assert (resolved.status, resolved.impact, resolved.created_at) == ("resolved", "major", None)
    bare = incidents["12345"]
    assert (bare.title, bare.status, bare.impact, bare.created_at) == ("", "investigating", "none", None)


def test_messy_maintenances(messy: Snapshot) -> None:
    maintenances = {i.id: i for i in messy.incidents.values() if i.kind == "maintenance"}
    # One linked as an incident is no maintenance's id: skipped.
    assert {mid: m.status for mid, m in maintenances.items()} == {
        "cm7r1dd04000408ab4mnt0004": "in_progress",
        "cm7r1ee05000508ab5url0005": "scheduled",
        "cm7r1ff06000608ab6big0006": "scheduled",
    }
    numeric = maintenances["cm7r1dd04000408ab4mnt0004"]
    assert numeric.scheduled_until == datetime(2026, 3, 6, 0, 30, tzinfo=UTC)
    # "soon" and a billion minutes are no window's end; GMT+0100 held in UTC.
    unreadable = maintenances["cm7r1ee05000508ab5url0005"]
    assert (unreadable.scheduled_for, unreadable.scheduled_until) == (datetime(2026, 3, 6, 5, tzinfo=UTC), None)
    assert maintenances["cm7r1ff06000608ab6big0006"].scheduled_until is None


# ---------------------------------------------------------------- components


def test_component_statuses_across_versions(versions: list[Snapshot]) -> None:
    statuses = [{cid: c.status for cid, c in v.components.items()} for v in versions]
    assert statuses == [
        {API: "partial_outage", WEBSITE: "operational", DATABASE: "operational"},
        {API: "major_outage", WEBSITE: "operational", DATABASE: "under_maintenance"},
        {API: "operational", WEBSITE: "operational", DATABASE: "operational"},
    ]
    database = versions[0].components[DATABASE]
    assert (database.group_id, database.group, versions[0].components[API].group) == (
        "cm7a0b1c2000308kz3grp0004", "Infrastructure", None,
    )


def test_messy_components(messy: Snapshot) -> None:
    assert {cid: (c.name, c.status, c.group) for cid, c in messy.components.items()} == {
        # A group given as a plain name.
        "cm7c0aa01000108cd1cdn0001": ("<i>CDN</i>", "degraded_performance", "Edge network"),
        # No name: the id; a minor outage is a partial one.
        "cm7c0bb02000208cd2noname2": ("cm7c0bb02000208cd2noname2", "partial_outage", None),
        # An unknown word, or none: not an invented outage.
        "cm7c0cc03000308cd3new0003": ("Queues", "operational", None),
        "cm7c0dd04000408cd4sto0004": ("Object storage", "operational", "Storage"),
        "cm7c0ee05000508cd5mnt0005": ("Email", "under_maintenance", None),
    }


def test_limits_keep_the_newest_items_and_the_first_components() -> None:
    limits = Limits(incidents=2, components=1)
    summary = instatus.read("summary", (HERE / "summary-messy.json").read_bytes(), BASE, limits)
    # Incidents are read first and take both places: the two that started last.
    assert sorted(summary.snapshot.incidents) == ["cm7r0aa01000108ab1mon0001", "cm7r0bb02000208ab2url0002"]
    # Listed: the objects of both lists (five incidents, four maintenances).
    assert summary.cut == {"incidents": 9}
    components = instatus.read("components", (HERE / "components-1.json").read_bytes(), BASE, limits)
    assert (list(components.snapshot.components), components.cut) == ([API], {"components": 3})


# ---------------------------------------------------------------- detection across versions


def told(events: list[Event]) -> list[tuple[str, str, str]]:
    return [(e.type, (e.incident or e.component).id, e.status) for e in events]  # type: ignore[union-attr]


def changes(old: Snapshot | None, new: Snapshot) -> list[Event]:
    return detect("acme", "Acme", old, new, NOW, vanished_means_resolved=instatus.FORMAT.vanished_means_resolved)


def test_first_sight_announces_what_is_ongoing(versions: list[Snapshot]) -> None:
    assert told(changes(None, versions[0])) == [
        ("incident.created", INCIDENT, "investigating"),
        ("maintenance.created", MAINTENANCE, "scheduled"),
        ("component.status", API, "partial_outage"),
    ]


def test_phase_changes_are_announced_without_text(versions: list[Snapshot]) -> None:
    events = changes(versions[0], versions[1])
    assert told(events) == [
        ("incident.status", INCIDENT, "identified"),
        ("maintenance.status", MAINTENANCE, "in_progress"),
        ("component.status", API, "major_outage"),
        ("component.status", DATABASE, "under_maintenance"),
    ]
    assert events[0].update is None
    assert events[0].impact == "critical"


def test_a_vanished_incident_is_resolved_a_completed_maintenance_completes(versions: list[Snapshot]) -> None:
    assert sorted(told(changes(versions[1], versions[2]))) == [
        ("component.status", API, "operational"),
        ("component.status", DATABASE, "operational"),
        ("incident.resolved", INCIDENT, "resolved"),
        ("maintenance.completed", MAINTENANCE, "completed"),
    ]


def test_an_unchanged_page_says_nothing(versions: list[Snapshot]) -> None:
    assert changes(versions[1], parse("summary-2.json").merged(parse("components-2.json"))) == []


# ---------------------------------------------------------------- unreadable documents


@pytest.mark.parametrize(
    ("role", "name", "message"),
    [
        ("summary", "error_html_page.html", "not JSON: looks like an HTML page"),
        ("summary", "error_not_a_summary.json", "not an Instatus summary"),
        ("summary", "error_top_level_array.json", "not a JSON object"),
        ("summary", "statuspage_summary.json", "not an Instatus summary"),
        ("summary", "instatus/components-1.json", "not an Instatus summary"),
        ("components", "instatus/summary-1.json", "not Instatus components"),
        ("components", "error_html_page.html", "not JSON: looks like an HTML page"),
    ],
)
def test_other_documents_are_refused(role: str, name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        instatus.FORMAT.parse(role, (PAYLOADS / name).read_bytes(), BASE)


@pytest.mark.parametrize(
    "body",
    [
        b'{"page": {"status": "UP"}, "activeIncidents": {"id": "x"}}',
        b'{"page": {"status": "UP"}, "activeMaintenances": "none"}',
        b'{"page": "Acme", "activeIncidents": []}',
    ],
)
def test_a_section_of_the_wrong_type_is_a_broken_page(body: bytes) -> None:
    with pytest.raises(ParseError, match="not an Instatus summary"):
        instatus.FORMAT.parse("summary", body, BASE)


# ---------------------------------------------------------------- platform detection


SIGN = instatus.FORMAT.signs[0]


def answer(name: str, url: str = f"{BASE}/summary.json", status: int = 200) -> Answer:
    return Answer(url=url, status=status, content_type="application/json", body=(PAYLOADS / name).read_bytes())


@pytest.mark.parametrize("address", ["http://127.0.0.1:8000/acme", "http://127.0.0.1:8000/acme/"])
def test_the_sign_asks_for_the_summary(address: str) -> None:
    assert SIGN.ask(address) == "http://127.0.0.1:8000/acme/summary.json"


@pytest.mark.parametrize("name", ["summary-1.json", "summary-quiet.json", "summary-docs-example.json"])
def test_the_sign_recognises_an_instatus_summary(name: str) -> None:
    assert SIGN.read(BASE, answer(f"instatus/{name}")) == BASE


def test_the_sign_gives_the_address_a_redirect_led_to() -> None:
    moved = answer("instatus/summary-1.json", "https://status.example.net/acme/summary.json")
    assert SIGN.read(BASE, moved) == "https://status.example.net/acme"


@pytest.mark.parametrize(
    "refused",
    [
        answer("error_html_page.html"),
        answer("statuspage_summary.json"),
        answer("incidentio_summary_active.json"),
        answer("error_not_a_summary.json"),
        answer("instatus/components-1.json"),
        answer("instatus/summary-1.json", status=404),
        answer("instatus/summary-1.json", url=f"{BASE}/login"),
    ],
    ids=["html", "statuspage", "incidentio", "error-json", "components", "404", "elsewhere"],
)
def test_the_sign_refuses_other_answers(refused: Answer) -> None:
    assert SIGN.read(BASE, refused) is None


def test_the_sign_refuses_an_unknown_page_status() -> None:
    odd = Answer(url=f"{BASE}/summary.json", status=200, content_type="application/json",
                 body=b'{"page": {"status": "GREEN"}, "activeIncidents": []}')
    assert SIGN.read(BASE, odd) is None


def test_an_item_whose_link_is_no_valid_address_and_has_no_id_is_skipped_not_a_crash() -> None:
    body = json.loads((HERE / "summary-docs-example.json").read_text())
    body["activeMaintenances"][0]["url"] = "https://[status.acme.test/maintenance/cm7n5a2kd000608l2h7rz3p4c"
    snapshot = instatus.FORMAT.parse("summary", json.dumps(body).encode(), BASE)
    assert [i.kind for i in snapshot.incidents.values()] == ["incident"]
