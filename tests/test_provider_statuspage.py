"""The Atlassian Statuspage format: authored payloads and real captures; what every format keeps is in test_format_contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.model import Document, ParseError, Snapshot
from providers import statuspage

PAYLOADS = Path(__file__).parent / "payloads"
BASE = "https://status.acme.test"


def parse(name: str, role: str = "summary", base_url: str = BASE) -> Snapshot:
    return statuspage.FORMAT.parse(role, (PAYLOADS / name).read_bytes(), base_url)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def summary() -> Snapshot:
    return parse("statuspage_summary.json")


@pytest.fixture(scope="module")
def incidents() -> Snapshot:
    return parse("statuspage_incidents.json", role="incidents")


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        ("https://www.githubstatus.com", "https://www.githubstatus.com"),
        ("https://www.githubstatus.com/", "https://www.githubstatus.com"),
        ("http://127.0.0.1:8000/acme", "http://127.0.0.1:8000/acme"),
        ("http://127.0.0.1:8000/acme/", "http://127.0.0.1:8000/acme"),
    ],
)
def test_documents_keep_the_path_prefix(base_url: str, prefix: str) -> None:
    assert statuspage.documents(base_url) == [
        Document("summary", f"{prefix}/api/v2/summary.json"),
        Document("incidents", f"{prefix}/api/v2/incidents.json", statuspage.HISTORY_EVERY),
        Document("maintenances", f"{prefix}/api/v2/scheduled-maintenances.json", statuspage.MAINTENANCES_EVERY),
    ]


# ---------------------------------------------------------------- components


def test_group_containers_are_skipped_and_children_keep_their_group(summary: Snapshot) -> None:
    assert "grpapi000001" not in summary.components
    assert summary.components["cmprest00001"].group_id == "grpapi000001"
    assert summary.components["cmpdash00001"].group_id is None
    assert summary.components["cmpdash00001"].status == "major_outage"


def test_component_status_is_lower_cased(summary: Snapshot) -> None:
    assert summary.components["cmpgraphql01"].status == "operational"


def test_component_fields_of_the_wrong_type_fall_back(summary: Snapshot) -> None:
    component = summary.components["cmpwrongty01"]
    assert (component.name, component.status, component.group_id) == (
        "cmpwrongty01",
        "operational",
        None,
    )


def test_components_without_an_id_or_not_objects_are_skipped(summary: Snapshot) -> None:
    assert sorted(summary.components) == [
        "cmpdash00001",
        "cmpgraphql01",
        "cmprest00001",
        "cmpwrongty01",
    ]


# ---------------------------------------------------------------- incidents


def test_summary_holds_unresolved_incidents_and_maintenances(summary: Snapshot) -> None:
    kinds = {key: incident.kind for key, incident in summary.incidents.items()}
    assert kinds == {
        "inc1short001": "incident",
        "inc2nolink01": "incident",
        "mnt1db000001": "maintenance",
    }


def test_incident_fields(summary: Snapshot) -> None:
    incident = summary.incidents["inc1short001"]
    assert incident.title == "Elevated errors on the REST API"
    assert incident.status == "identified"
    assert incident.impact == "major"
    assert incident.created_at == datetime(2026, 3, 1, 17, 15, tzinfo=UTC)
    assert incident.updated_at == utc("2026-03-01T18:31:02.100+00:00")
    assert incident.scheduled_for is None


def test_updates_are_oldest_first_and_ties_keep_posting_order(summary: Snapshot) -> None:
    updates = summary.incidents["inc1short001"].updates
    # upd1a and upd1b carry the same instant, written with -08:00 and with Z.
    assert [update.id for update in updates] == ["upd1a0000001", "upd1b0000002", "upd1c0000003"]
    assert [update.status for update in updates] == ["investigating", "investigating", "identified"]


def test_offsets_are_converted_to_utc(summary: Snapshot) -> None:
    first = summary.incidents["inc1short001"].updates[0]
    assert first.created_at == datetime(2026, 3, 1, 17, 15, tzinfo=UTC)
    assert first.created_at.utcoffset().total_seconds() == 0


def test_body_is_tidied_and_markdown_and_curly_quotes_are_kept(summary: Snapshot) -> None:
    body = summary.incidents["inc1short001"].updates[-1].body
    assert body == (
        "We’ve identified the cause — a bad deploy. We are rolling back **now**.\n\n"
        'See [the runbook](https://acme.test/runbook "runbook").'
    )


def test_null_and_empty_bodies_become_empty_text(summary: Snapshot) -> None:
    assert [update.body for update in summary.incidents["inc2nolink01"].updates] == ["", ""]


def test_shortlink_is_the_url_when_present(summary: Snapshot) -> None:
    assert summary.incidents["inc1short001"].url == "https://stspg.io/acme0001"


def test_url_is_built_from_the_page_url_without_a_shortlink(summary: Snapshot) -> None:
    assert summary.incidents["inc2nolink01"].url == f"{BASE}/incidents/inc2nolink01"


def test_url_falls_back_to_the_base_url_without_a_page_url() -> None:
    body = json.dumps({"incidents": [{"id": "abc", "name": "x", "status": "investigating"}]})
    snapshot = statuspage.FORMAT.parse("incidents", body.encode(), "http://127.0.0.1:8000/acme/")
    assert snapshot.incidents["abc"].url == "http://127.0.0.1:8000/acme/incidents/abc"


def test_unknown_impact_is_none(summary: Snapshot) -> None:
    assert summary.incidents["inc2nolink01"].impact == "none"


def test_components_of_an_incident_come_from_its_components_list(summary: Snapshot) -> None:
    incident = summary.incidents["inc1short001"]
    # Its updates name the component "API - REST API"; the incident's own list wins.
    assert incident.component_ids == ("cmprest00001",)
    assert incident.component_names == ("REST API",)


def test_components_are_those_an_update_moved_off_operational(summary: Snapshot) -> None:
    incident = summary.incidents["inc2nolink01"]
    # The dashboard went down (named "Web Dashboard", later "Dashboard"); the GraphQL API was
    # only tied to the incident (operational -> operational): a scope on it must not hear of it.
    assert incident.component_ids == ("cmpdash00001",)
    assert incident.component_names == ("Dashboard",)


def test_an_incident_tied_to_every_component_names_only_the_one_hit() -> None:
    document = {
        "page": {"id": "p", "name": "Acme", "url": "https://status.acme.test"},
        "components": [
            {"id": "grp", "name": "Platform", "status": "partial_outage", "group": True},
            {"id": "api", "name": "API", "status": "partial_outage", "group_id": "grp"},
            {"id": "web", "name": "Web", "status": "operational", "group_id": "grp"},
        ],
        "incidents": [{
            "id": "i1", "name": "API errors", "status": "investigating", "impact": "major",
            "components": [{"id": "api", "name": "API"}, {"id": "web", "name": "Web"}],
            "incident_updates": [{
                "id": "u1", "status": "investigating", "body": "Looking", "created_at": "2026-01-01T00:00:00Z",
                "affected_components": [
                    {"code": "api", "name": "Platform - API", "old_status": "operational", "new_status": "partial_outage"},
                    {"code": "web", "name": "Platform - Web", "old_status": "operational", "new_status": "operational"},
                ],
            }],
        }],
    }
    snapshot = statuspage.FORMAT.parse("summary", json.dumps(document).encode(), "https://status.acme.test")
    assert snapshot.incidents["i1"].component_ids == ("api",)
    assert snapshot.incidents["i1"].component_names == ("API",)
    assert snapshot.components["web"].group == "Platform" and "grp" not in snapshot.components


def test_null_affected_components_are_tolerated(summary: Snapshot) -> None:
    assert summary.incidents["inc1short001"].updates[-1].id == "upd1c0000003"


def test_reminder_intervals_as_a_string_is_tolerated(summary: Snapshot) -> None:
    assert summary.incidents["inc1short001"].status == "identified"


# ---------------------------------------------------------------- maintenances


def test_maintenance_fields(summary: Snapshot) -> None:
    maintenance = summary.incidents["mnt1db000001"]
    assert maintenance.kind == "maintenance"
    assert maintenance.status == "scheduled"
    assert maintenance.impact == "none"
    assert maintenance.url == "http://stspg.io/acme0002"
    assert maintenance.scheduled_for == datetime(2026, 3, 5, 9, tzinfo=UTC)
    assert maintenance.scheduled_until == datetime(2026, 3, 5, 11, tzinfo=UTC)
    assert maintenance.component_ids == ("cmpdash00001",)


def test_a_maintenance_listed_among_incidents_is_still_a_maintenance(incidents: Snapshot) -> None:
    maintenance = incidents.incidents["mnt2done0001"]
    assert (maintenance.kind, maintenance.status, maintenance.is_final) == (
        "maintenance",
        "completed",
        True,
    )
    assert [update.status for update in maintenance.updates] == [
        "scheduled",
        "in_progress",
        "completed",
    ]


def test_maintenances_are_read_from_any_document() -> None:
    body = json.dumps(
        {"scheduled_maintenances": [{"id": "m1", "name": "Upgrade", "status": "in_progress"}]}
    )
    snapshot = statuspage.FORMAT.parse("incidents", body.encode(), BASE)
    assert snapshot.incidents["m1"].kind == "maintenance"


# ---------------------------------------------------------------- incidents.json


def test_incidents_document_includes_resolved_and_postmortem(incidents: Snapshot) -> None:
    assert incidents.incidents["inc3resolv01"].status == "resolved"
    assert incidents.incidents["inc3resolv01"].is_final
    assert incidents.incidents["inc4postm001"].status == "postmortem"
    assert incidents.incidents["inc4postm001"].impact == "critical"
    assert incidents.components == {}


def test_positive_offsets_are_converted_to_utc(incidents: Snapshot) -> None:
    incident = incidents.incidents["inc3resolv01"]
    assert incident.created_at == datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert [update.created_at.hour for update in incident.updates] == [7, 7, 8]


def test_page_url_with_a_trailing_slash_gives_no_double_slash(incidents: Snapshot) -> None:
    assert incidents.incidents["inc4postm001"].url == f"{BASE}/incidents/inc4postm001"


def test_items_without_a_usable_id_or_not_objects_are_skipped(incidents: Snapshot) -> None:
    assert sorted(incidents.incidents) == [
        "12345",
        "inc3resolv01",
        "inc4postm001",
        "inc5messy001",
        "mnt2done0001",
    ]


def test_incident_fields_of_the_wrong_type_fall_back(incidents: Snapshot) -> None:
    incident = incidents.incidents["12345"]
    assert incident.kind == "incident"
    assert (incident.title, incident.status, incident.impact) == ("", "", "none")
    assert (incident.created_at, incident.updated_at) == (None, None)
    assert incident.updates == ()
    assert incident.component_ids == ()
    # A shortlink that is not a web link is not trusted.
    assert incident.url == "https://status.acme.test/incidents/12345"


def test_messy_updates(incidents: Snapshot) -> None:
    incident = incidents.incidents["inc5messy001"]
    assert incident.impact == "minor"
    # Undated first; the id-less one and non-objects dropped; one copy of a repeated id.
    assert [(u.id, u.status, u.body) for u in incident.updates] == [
        ("upd5b0000002", "", ""),
        ("upd5a0000001", "investigating", "First."),
        ("upd5c0000003", "monitoring", "Newest copy."),
    ]
    assert incident.updates[0].created_at is None


def test_an_id_of_control_characters_is_no_id() -> None:
    body = b'{"incidents": [{"id": " \\u0000 ", "name": "x", "status": "investigating"}]}'
    assert statuspage.FORMAT.parse("incidents", body, BASE).incidents == {}


def test_missing_status_falls_back_to_the_newest_update() -> None:
    body = {
        "incidents": [
            {
                "id": "i1",
                "name": "x",
                "incident_updates": [
                    {"id": "u2", "status": "monitoring", "created_at": "2026-01-01T01:00:00Z"},
                    {"id": "u1", "status": "investigating", "created_at": "2026-01-01T00:00:00Z"},
                ],
            }
        ]
    }
    snapshot = statuspage.FORMAT.parse("incidents", json.dumps(body).encode(), BASE)
    assert snapshot.incidents["i1"].status == "monitoring"


@pytest.mark.parametrize(
    "document",
    [
        {"page": {}, "incidents": None, "components": None, "scheduled_maintenances": None},
        {"status": {"indicator": "none"}},
        {"page": {"url": "not a url"}, "incidents": []},
    ],
)
def test_missing_null_or_mistyped_arrays_are_empty(document: dict) -> None:
    assert statuspage.FORMAT.parse("summary", json.dumps(document).encode(), BASE) == Snapshot()


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-03-01T10:00:00.000-07:00", datetime(2026, 3, 1, 17, tzinfo=UTC)),
        ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-13-01T00:00:00Z", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:59:59-01:00", None),
        (1772384400, None),
    ],
)
def test_timestamps(stamp: object, expected: datetime | None) -> None:
    body = {"incidents": [{"id": "i1", "name": "x", "status": "new", "created_at": stamp}]}
    snapshot = statuspage.FORMAT.parse("incidents", json.dumps(body).encode(), BASE)
    assert snapshot.incidents["i1"].created_at == expected


def test_control_characters_and_lone_surrogates_are_cleaned() -> None:
    body = b'{"incidents": [{"id": "i\\u0000d", "name": "a\\ud800b\\u0007", "status": "x"}]}'
    incident = statuspage.FORMAT.parse("incidents", body, BASE).incidents["id"]
    assert incident.title == "a\ufffdb"
    incident.model_dump_json()  # encodable as UTF-8 for storage and delivery


# ---------------------------------------------------------------- unreadable documents


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("error_html_page.html", "not JSON: looks like an HTML page"),
        ("error_truncated.json", "not JSON: looks like truncated or malformed JSON"),
        ("error_top_level_array.json", "not a JSON object: top level is an array"),
        ("error_not_a_summary.json", "not a Statuspage summary"),
    ],
)
def test_unreadable_payloads_raise_parse_error(name: str, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}"):
        parse(name)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"null", "top level is null"),
        (b'"ok"', "top level is a string"),
        (b"42", "top level is a number"),
        (b"true", "top level is a boolean"),
        (b"{}", "not a Statuspage summary"),
        (b"<?xml version='1.0'?><feed></feed>", "looks like an XML document or feed"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else None,
)
def test_odd_bodies_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        statuspage.FORMAT.parse("summary", body, BASE)


# ---------------------------------------------------------------- real captures


def real(folder: Path, name: str) -> Snapshot:
    return statuspage.FORMAT.parse("summary", (folder / "statuspage" / name).read_bytes(), BASE)


def test_real_claude_monitoring_incident(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "claude-summary-2026-10-07-monitoring-incident.json")
    incident = snapshot.incidents["978mjkgw6mh7"]
    assert (incident.kind, incident.status, incident.impact) == ("incident", "monitoring", "major")
    assert [u.id for u in incident.updates] == [
        "c56sq7q6flhm",
        "lkt8xyfbql3f",
        "l3390gw3zj8k",
        "1nnyzdbn2qkg",
    ]
    assert [u.status for u in incident.updates] == [
        "investigating",
        "investigating",
        "identified",
        "monitoring",
    ]
    assert incident.component_ids == ("0qbwn08sd68x",)
    assert incident.component_names == ("Claude Console (platform.claude.com)",)
    assert incident.url == "https://stspg.io/sjkw7njwf0mt"
    assert len(snapshot.components) == 6
    assert snapshot.components["0qbwn08sd68x"].status == "degraded_performance"


def test_real_twilio_groups_offsets_and_maintenances(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "twilio-summary-2020-06-16-incidents-groups-maintenances.json")
    # 73 components of which 8 are group containers.
    assert len(snapshot.components) == 65
    assert "s2k3h0mkqnth" not in snapshot.components
    assert snapshot.components["d1j2nx64rpq3"].group_id == "s2k3h0mkqnth"
    kinds = [incident.kind for incident in snapshot.incidents.values()]
    assert (kinds.count("incident"), kinds.count("maintenance")) == (2, 9)
    incident = snapshot.incidents["r0f0vdz8vrgm"]
    assert len(incident.updates) == 5
    assert incident.updates[0].created_at == utc("2020-06-16T13:41:44.723+00:00")
    assert incident.updates[-1].status == "monitoring"
    maintenance = snapshot.incidents["9szb6ydlg10w"]
    assert (maintenance.status, maintenance.impact) == ("scheduled", "none")
    assert maintenance.scheduled_for == datetime(2020, 6, 16, 23, tzinfo=UTC)


def test_real_cloudamqp_maintenance_in_progress(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "cloudamqp-summary-2020-07-16-maintenance-in-progress.json")
    maintenance = snapshot.incidents["qy6n39trpl7l"]
    assert (maintenance.kind, maintenance.status) == ("maintenance", "in_progress")
    assert "“jellyfish”" in maintenance.title
    assert any(c.status == "under_maintenance" for c in snapshot.components.values())


def test_real_docs_example_minimal_shape(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "docs-example-summary-github-header.json")
    incident = snapshot.incidents["cp306tmzcl0y"]
    assert (incident.status, incident.impact) == ("identified", "critical")
    assert incident.component_ids == ()
    assert incident.updates[0].created_at == utc("2014-05-14T20:22:40.301+00:00")
    assert snapshot.incidents["k7mf5z1gz05c"].impact == "minor"


def test_real_claude_maintenances_lifecycle(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "claude-scheduled-maintenances-completed-with-verifying.json")
    maintenance = snapshot.incidents["x017628t2rl5"]
    assert maintenance.kind == "maintenance" and maintenance.is_final
    assert [u.status for u in maintenance.updates] == [
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    ]
    # Its updates name "console.anthropic.com"; the incident's components carry the new name.
    renamed = snapshot.incidents["16z0qdmy3qv2"]
    assert renamed.component_ids == ("rwppv331jlwc", "0qbwn08sd68x")
    assert "console.anthropic.com" not in renamed.component_names


# ---------------------------------------------------------------- broken pages


@pytest.mark.parametrize("document", [
    {"page": None, "incidents": {}, "components": []},
    {"page": {}, "components": "[]"},
    {"page": "Acme", "incidents": []},
    {"status": ["none"], "components": []},
])
def test_a_mistyped_section_is_a_broken_page(document: dict) -> None:
    with pytest.raises(ParseError, match=r"not a Statuspage summary: '.*' is not"):
        statuspage.FORMAT.parse("summary", json.dumps(document).encode(), BASE)
