"""The status.io format: authored payloads, real captures and detection; what every format keeps is in test_format_contract."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect import detect
from bot.model import Document, ParseError, Snapshot
from providers import statusio

PAYLOADS = Path(__file__).parent / "payloads" / "statusio"
URL = "https://api.status.io/1.0/status/64f0a1b2c3d4e5f601234500"
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
INCIDENT = "64f0b7c8d9e0f1a2b3c4d5e6"
MAINTENANCE = "64f0c9d0e1f2a3b4c5d6e7f8"
API, WEBSITE, GIT = (
    "64f0a1b2c3d4e5f601234501",
    "64f0a1b2c3d4e5f601234502",
    "64f0a1b2c3d4e5f601234503",
)


def parse(name: str, folder: Path = PAYLOADS) -> Snapshot:
    return statusio.FORMAT.parse("status", (folder / name).read_bytes(), URL)


@pytest.fixture(scope="module")
def versions() -> list[Snapshot]:
    """The page fetched three times: an incident and a maintenance come and go."""
    return [parse(f"status-{n}.json") for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def messy() -> Snapshot:
    return parse("status-messy.json")


# ---------------------------------------------------------------- documents


def test_the_description_names_the_api_url() -> None:
    assert "api.status.io/1.0/status/" in statusio.FORMAT.description


@pytest.mark.parametrize("url", [URL, f"{URL}/"])
def test_the_configured_url_is_the_document(url: str) -> None:
    assert statusio.documents(url) == [Document("status", URL)]


# ---------------------------------------------------------------- components


def test_components_take_their_worst_container(versions: list[Snapshot]) -> None:
    statuses = [{cid: c.status for cid, c in v.components.items()} for v in versions]
    assert statuses == [
        {API: "degraded_performance", WEBSITE: "operational", GIT: "operational"},
        {API: "partial_outage", WEBSITE: "operational", GIT: "under_maintenance"},
        {API: "operational", WEBSITE: "operational", GIT: "operational"},
    ]
    assert versions[0].components[GIT].name == "Git (ssh and https)"


def test_messy_components(messy: Snapshot) -> None:
    assert {cid: (c.name, c.status) for cid, c in messy.components.items()} == {
        # Own 100, containers 100, "400" and an unknown 999: the worst known one.
        "cmpworst": ("Worst container wins", "partial_outage"),
        # No code: the label.
        "cmplabel": ("Label only", "degraded_performance"),
        # 600, a security event.
        "cmpsecurity": ("Security", "major_outage"),
        # Nothing readable: not an invented outage.
        "cmpunknown": ("cmpunknown", "operational"),
    }


# ---------------------------------------------------------------- incidents and maintenances


def test_incident_fields(versions: list[Snapshot]) -> None:
    incident = versions[0].incidents[INCIDENT]
    assert incident.kind == "incident"
    assert incident.title == "Elevated API latency in EU West"
    assert (incident.status, incident.impact) == ("investigating", "minor")
    assert incident.created_at == datetime(2026, 3, 4, 8, 21, tzinfo=UTC)
    assert incident.updated_at == datetime(2026, 3, 4, 8, 21, 40, 488000, tzinfo=UTC)
    assert (incident.component_ids, incident.component_names) == ((API,), ("API",))
    # The API gives no link; the engine falls back to the page's.
    assert incident.url == ""
    assert incident.updates[0].body == (
        "We are investigating elevated latency on API requests served from EU West.\n\n"
        "US East is not affected."
    )


def test_message_ids_are_their_id_else_their_time_and_state(versions: list[Snapshot]) -> None:
    updates = versions[1].incidents[INCIDENT].updates
    assert [(u.id, u.status) for u in updates] == [
        ("2026-03-04T08:21:40.488000+00:00:100", "investigating"),
        ("64f0bd11e2f3a4b5c6d7e8f9", "identified"),
        ("2026-03-04T09:05:12.280000+00:00:200", "identified"),
    ]
    assert versions[1].incidents[INCIDENT].impact == "major"


def test_maintenance_phase_follows_its_list(versions: list[Snapshot]) -> None:
    upcoming, active = versions[0].incidents[MAINTENANCE], versions[1].incidents[MAINTENANCE]
    assert (upcoming.kind, upcoming.status, upcoming.impact) == ("maintenance", "scheduled", "none")
    assert upcoming.scheduled_for == datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert upcoming.scheduled_until == datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert active.status == "in_progress"
    assert [u.status for u in active.updates] == ["scheduled", "in_progress"]


def test_finished_items_leave_the_document(versions: list[Snapshot]) -> None:
    assert versions[2].incidents == {}


def test_messy_messages(messy: Snapshot) -> None:
    incident = messy.incidents["incmessy"]
    # Undated with an id first; without an id or a time dropped; one instant numbered in order;
    # an unknown state keeps the phase before; a "+01:00" time held in UTC.
    assert [(u.id, u.status) for u in incident.updates] == [
        ("msgundated", "investigating"),
        ("2026-03-04T08:00:00+00:00:100", "investigating"),
        ("2026-03-04T08:00:00+00:00:100#2", "investigating"),
        ("2026-03-04T08:20:00+00:00:999", "investigating"),
        ("2026-03-04T08:40:00+00:00:300", "monitoring"),
    ]
    assert incident.updates[-1].body == "Monitoring.\n\nStill watching."
    assert (incident.title, incident.status, incident.impact) == (
        "Messy messages",
        "monitoring",
        "critical",
    )
    assert incident.updated_at == datetime(2026, 3, 4, 8, 40, tzinfo=UTC)
    assert incident.component_ids == ("cmpworst",)


def test_messy_incidents_and_maintenances(messy: Snapshot) -> None:
    assert sorted(messy.incidents) == ["incbare", "incmessy", "mntbare"]
    bare = messy.incidents["incbare"]
    assert (bare.status, bare.impact, bare.updates, bare.updated_at) == (
        "investigating",
        "none",
        (),
        None,
    )
    maintenance = messy.incidents["mntbare"]
    assert (maintenance.kind, maintenance.status) == ("maintenance", "scheduled")
    assert [u.status for u in maintenance.updates] == ["scheduled"]


# ---------------------------------------------------------------- detection across versions


def kinds(events: list) -> list[tuple[str, str, str]]:
    return [(e.type, (e.incident or e.component).id, e.status) for e in events]


def test_first_sight_announces_what_is_open(versions: list[Snapshot]) -> None:
    events = detect("gitlab", "GitLab", None, versions[0], NOW)
    assert kinds(events) == [
        ("incident.created", INCIDENT, "investigating"),
        ("maintenance.created", MAINTENANCE, "scheduled"),
        ("component.status", API, "degraded_performance"),
    ]


def test_phase_changes_updates_and_components(versions: list[Snapshot]) -> None:
    events = detect("gitlab", "GitLab", versions[0], versions[1], NOW)
    assert kinds(events) == [
        ("incident.status", INCIDENT, "identified"),
        ("incident.updated", INCIDENT, "identified"),
        ("maintenance.status", MAINTENANCE, "in_progress"),
        ("component.status", API, "partial_outage"),
        ("component.status", GIT, "under_maintenance"),
    ]


def test_recovery_shows_as_components_only(versions: list[Snapshot]) -> None:
    # A resolved incident and a finished maintenance leave the document: only the components
    # going back to operational tell of it.
    events = detect("gitlab", "GitLab", versions[1], versions[2], NOW)
    assert kinds(events) == [
        ("component.status", API, "operational"),
        ("component.status", GIT, "operational"),
    ]


# ---------------------------------------------------------------- unreadable documents


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "not a JSON object: top level is an array"),
        (b"{}", "not a status.io status"),
        (b'{"result": []}', "not a status.io status"),
        (
            b'{"status": {"error": "yes", "message": "Statuspage not found"}}',
            "not a status.io status",
        ),
        (b'{"result": {', "not JSON: looks like truncated or malformed JSON"),
    ],
)
def test_unreadable_documents_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}"):
        statusio.FORMAT.parse("status", body, URL)


def test_a_result_with_empty_lists_is_an_empty_page() -> None:
    body = (
        b'{"result": {"status": [], "incidents": [], '
        b'"maintenance": {"active": [], "upcoming": []}}}'
    )
    assert statusio.FORMAT.parse("status", body, URL) == Snapshot()


# ---------------------------------------------------------------- real captures


def test_real_maintenance_capture(real_fixtures: Path) -> None:
    snapshot = parse(
        "gitlab-statusio-public-status-2020-09-05-maintenance.json", real_fixtures / "statusio"
    )
    assert len(snapshot.components) == 15
    assert snapshot.components["5f4e8819413cdd04b6882c94"].status == "under_maintenance"
    assert sum(c.status == "operational" for c in snapshot.components.values()) == 14
    incident = snapshot.incidents["5f52b8074ef75804bc7d2c3e"]
    assert (incident.kind, incident.status, incident.impact) == ("incident", "identified", "major")
    assert incident.title == "500 Error - User Notification Settings"
    assert [u.created_at for u in incident.updates] == [
        datetime(2020, 9, 4, 21, 56, tzinfo=UTC),
        datetime(2020, 9, 5, 9, 23, 23, 591000, tzinfo=UTC),
    ]
    assert "\r" not in incident.updates[0].body
    maintenance = snapshot.incidents["5f4e8b7f2250a004bc3453da"]
    assert (maintenance.kind, maintenance.status) == ("maintenance", "in_progress")
    assert [u.status for u in maintenance.updates] == ["scheduled", "in_progress"]
    assert maintenance.scheduled_until == datetime(2020, 9, 7, 17, 55, tzinfo=UTC)
    assert maintenance.component_names == ("dashboards.gitlab.com",)


def test_real_security_capture(real_fixtures: Path) -> None:
    snapshot = parse(
        "gitlab-statusio-public-status-2020-02-09-security-event.json", real_fixtures / "statusio"
    )
    statuses = [c.status for c in snapshot.components.values()]
    assert (statuses.count("major_outage"), statuses.count("operational")) == (5, 8)
    incident = snapshot.incidents["5e3d877d593d1b04c4620561"]
    assert (incident.status, incident.impact) == ("identified", "critical")
    assert len(incident.component_ids) == 5
    assert snapshot.incidents.keys() == {"5e3d877d593d1b04c4620561"}
