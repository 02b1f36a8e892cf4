"""The Google Cloud format: authored payloads, the real capture and detection; what every format keeps is in test_format_contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect import detect
from bot.model import Document, ParseError, Snapshot
from providers import gcp

PAYLOADS = Path(__file__).parent / "payloads"
BASE = "https://status.cloud.google.com"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
OPEN = "pX4mQ7aVn2LkR8tYc3Ws"


def parse(name: str, base_url: str = BASE) -> Snapshot:
    return gcp.FORMAT.parse("incidents", (PAYLOADS / "gcp" / name).read_bytes(), base_url)


@pytest.fixture(scope="module")
def versions() -> list[Snapshot]:
    """One page fetched three times while an incident runs its course."""
    return [parse(f"incidents-{n}.json") for n in (1, 2, 3)]


@pytest.fixture(scope="module")
def messy() -> Snapshot:
    return parse("incidents-messy.json")


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        (BASE, f"{BASE}/incidents.json"),
        (f"{BASE}/", f"{BASE}/incidents.json"),
        ("http://127.0.0.1:8000/gcp/", "http://127.0.0.1:8000/gcp/incidents.json"),
    ],
)
def test_one_document_keeping_the_path_prefix(base_url: str, url: str) -> None:
    assert gcp.documents(base_url) == [Document("incidents", url)]


# ---------------------------------------------------------------- incidents


def test_incident_fields(versions: list[Snapshot]) -> None:
    incident = versions[0].incidents[OPEN]
    assert incident.kind == "incident"
    assert (
        incident.title
        == "Multiple Cloud products are experiencing elevated error rates in us-central1"
    )
    assert (incident.status, incident.impact) == ("service_information", "major")
    assert incident.url == f"{BASE}/incidents/{OPEN}"
    assert incident.created_at == datetime(2026, 3, 1, 9, 12, 5, tzinfo=UTC)
    assert incident.updated_at == datetime(2026, 3, 1, 9, 12, 7, tzinfo=UTC)
    assert incident.component_ids == ("L3MkJ8hLTmYkCgGmDhxA", "hV87iK5DcEXKgWU2kDri")
    assert incident.component_names == ("Google Compute Engine", "Cloud SQL")
    assert versions[0].components == {}


def test_updates_are_oldest_first_with_googles_phases(versions: list[Snapshot]) -> None:
    updates = versions[2].incidents[OPEN].updates
    assert [u.status for u in updates] == [
        "service_information",
        "service_disruption",
        "service_outage",
        "resolved",
    ]
    stamps = [u.created_at for u in updates]
    assert stamps == sorted(stamps)


def test_update_ids_are_the_creation_time_and_status(versions: list[Snapshot]) -> None:
    updates = versions[1].incidents[OPEN].updates
    assert [u.id for u in updates] == [
        "2026-03-01T09:12:05+00:00:SERVICE_INFORMATION",
        "2026-03-01T09:48:10+00:00:SERVICE_DISRUPTION",
        "2026-03-01T10:31:44+00:00:SERVICE_OUTAGE",
    ]


def test_an_edited_update_keeps_its_id(versions: list[Snapshot]) -> None:
    before = versions[0].incidents[OPEN].updates[0]
    after = versions[1].incidents[OPEN].updates[0]
    assert before.id == after.id
    assert "creating instances" in before.body
    assert "creating or resizing instances" in after.body


def test_body_is_tidied_markdown(versions: list[Snapshot]) -> None:
    body = versions[0].incidents[OPEN].updates[0].body
    assert body.startswith("Summary: Multiple Cloud products")
    assert "**HTTP 503**" in body
    assert "\nWorkaround: None at this time." in body


def test_an_incident_with_an_end_is_resolved(versions: list[Snapshot]) -> None:
    resolved = versions[2].incidents[OPEN]
    assert (resolved.status, resolved.is_final) == ("resolved", True)
    assert versions[0].incidents["Yv1oG6dN0pQz3HwE8sKr"].status == "resolved"


def test_an_end_resolves_even_without_a_final_update(versions: list[Snapshot]) -> None:
    incident = versions[0].incidents["kT4sWq9ZbN6eJ1cU5yHd"]
    assert incident.status == "resolved"
    assert [u.status for u in incident.updates] == ["service_outage"]


@pytest.mark.parametrize(
    ("incident_id", "impact"),
    [("Yv1oG6dN0pQz3HwE8sKr", "minor"), (OPEN, "major"), ("kT4sWq9ZbN6eJ1cU5yHd", "critical")],
)
def test_impact_from_severity(versions: list[Snapshot], incident_id: str, impact: str) -> None:
    assert versions[0].incidents[incident_id].impact == impact


# ---------------------------------------------------------------- detection across versions


def test_first_sight_announces_only_the_open_incident(versions: list[Snapshot]) -> None:
    events = detect("gcp", "Google Cloud", None, versions[0], NOW)
    assert [(e.type, e.incident.id) for e in events] == [("incident.created", OPEN)]
    assert events[0].update.status == "service_information"


def test_new_updates_and_an_edit_give_their_events(versions: list[Snapshot]) -> None:
    events = detect("gcp", "Google Cloud", versions[0], versions[1], NOW)
    assert [(e.type, e.update.status) for e in events] == [
        ("incident.status", "service_disruption"),
        ("incident.status", "service_outage"),
        ("incident.edited", "service_information"),
    ]
    assert [e.type for e in events].count("incident.edited") == 1


def test_the_final_update_resolves(versions: list[Snapshot]) -> None:
    events = detect("gcp", "Google Cloud", versions[1], versions[2], NOW)
    assert [(e.type, e.update.id) for e in events] == [
        ("incident.resolved", "2026-03-01T11:40:12+00:00:AVAILABLE")
    ]


def test_items_without_a_usable_id_or_not_objects_are_skipped(messy: Snapshot) -> None:
    assert sorted(messy.incidents) == [
        "20260304",
        "mEsSy0000000000000001",
        "mEsSy0000000000000003",
    ]


def test_messy_updates(messy: Snapshot) -> None:
    incident = messy.incidents["mEsSy0000000000000001"]
    # Undated updates and non-objects dropped; a repeated time and status numbered in order.
    assert [(u.id, u.status, u.body) for u in incident.updates] == [
        (
            "2026-03-03T09:15:00+00:00:",
            "",
            "First line.\n\nSecond paragraph with a [link](https://cloud.google.com/storage).",
        ),
        (
            "2026-03-03T10:00:00+00:00:SERVICE_DISRUPTION",
            "service_disruption",
            "Same instant, posted first.",
        ),
        (
            "2026-03-03T10:00:00+00:00:SERVICE_DISRUPTION#2",
            "service_disruption",
            "Same instant, posted second.",
        ),
    ]
    assert incident.status == "service_disruption"


def test_offsets_are_converted_to_utc(messy: Snapshot) -> None:
    incident = messy.incidents["mEsSy0000000000000001"]
    assert incident.created_at == datetime(2026, 3, 3, 9, 15, tzinfo=UTC)
    assert incident.updates[0].created_at.utcoffset().total_seconds() == 0


def test_title_is_one_line_and_impact_falls_back_to_status_impact(messy: Snapshot) -> None:
    incident = messy.incidents["mEsSy0000000000000001"]
    assert incident.title == "Cloud Storage: slow uploads in europe-west4"
    assert incident.impact == "critical"


def test_products_without_an_id_are_skipped_and_without_a_title_named_by_id(
    messy: Snapshot,
) -> None:
    incident = messy.incidents["mEsSy0000000000000001"]
    assert incident.component_ids == ("UwaYoXQ5bHYHG6EdiPB8", "no-title-product")
    assert incident.component_names == ("Cloud Storage", "no-title-product")


def test_fields_of_the_wrong_type_fall_back(messy: Snapshot) -> None:
    incident = messy.incidents["20260304"]
    # `end` that is not a string does not end it; an unknown severity is no impact.
    assert (incident.title, incident.status, incident.impact) == ("", "investigating", "none")
    assert (incident.updates, incident.component_ids) == ((), ())


@pytest.mark.parametrize(
    ("incident_id", "url"),
    [
        ("mEsSy0000000000000001", f"{BASE}/incidents/mEsSy0000000000000001"),  # javascript:
        ("20260304", f"{BASE}/incidents/20260304"),  # //evil.example/...
        ("mEsSy0000000000000003", f"{BASE}/incidents/mEsSy0000000000000003"),  # /incidents/...
    ],
)
def test_links_stay_on_the_page(messy: Snapshot, incident_id: str, url: str) -> None:
    assert messy.incidents[incident_id].url == url


def test_links_keep_the_configured_path_prefix() -> None:
    snapshot = parse("incidents-1.json", base_url="http://127.0.0.1:8000/gcp/")
    assert snapshot.incidents[OPEN].url == f"http://127.0.0.1:8000/gcp/incidents/{OPEN}"


def test_an_empty_array_is_no_incidents() -> None:
    assert gcp.FORMAT.parse("incidents", b"[]", BASE) == Snapshot()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{}", "not a JSON array: top level is an object"),
        (b'{"incidents": []}', "not a JSON array: top level is an object"),
        (b"null", "not a JSON array: top level is null"),
        (b'[{"id": "x"', "not JSON: looks like truncated or malformed JSON"),
        (b"\xff\xfe[\x00]\x00", "not JSON: looks like UTF-16 text"),
    ],
)
def test_unreadable_documents_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}"):
        gcp.FORMAT.parse("incidents", body, BASE)


# ---------------------------------------------------------------- the real capture


@pytest.fixture(scope="module")
def real(real_fixtures: Path) -> Snapshot:
    return gcp.FORMAT.parse(
        "incidents", (real_fixtures / "gcp" / "gcp-incidents-2022-07-03.json").read_bytes(), BASE
    )


def test_real_counts(real: Snapshot) -> None:
    assert len(real.incidents) == 157
    assert sum(len(incident.updates) for incident in real.incidents.values()) == 770


def test_real_incident(real: Snapshot) -> None:
    incident = real.incidents["TaA75H7XA1DQyM2ReK2f"]
    assert incident.title == "[Google BigQuery] Lower throughput from the Read API"
    assert (incident.status, incident.impact) == ("resolved", "minor")
    assert incident.url == f"{BASE}/incidents/TaA75H7XA1DQyM2ReK2f"
    assert incident.component_ids == ("9CcrhHUcFevXPSVaSxkf",)
    assert incident.component_names == ("Google BigQuery",)
    assert incident.updates[0].id == "2022-07-01T14:04:53+00:00:SERVICE_INFORMATION"
    assert incident.updates[-1].id == "2022-07-01T19:25:45+00:00:AVAILABLE"
    assert incident.updates[-1].status == "resolved"


def test_real_updates_oldest_first_in_utc_with_distinct_ids(real: Snapshot) -> None:
    for incident in real.incidents.values():
        stamps = [u.created_at for u in incident.updates]
        assert stamps == sorted(stamps), incident.id
        assert all(stamp.utcoffset().total_seconds() == 0 for stamp in stamps)
        assert len({u.id for u in incident.updates}) == len(incident.updates)


def test_real_edited_updates_are_keyed_by_creation_not_modification(
    real_fixtures: Path, real: Snapshot
) -> None:
    raw = json.loads((real_fixtures / "gcp" / "gcp-incidents-2022-07-03.json").read_bytes())
    # `modified` trails `created` by a few seconds on most updates; a minute or more is an edit
    # (one of them 13 days later).
    edited = [
        (item["id"], update)
        for item in raw
        for update in item["updates"]
        if (stamp(update["modified"]) - stamp(update["created"])).total_seconds() >= 60
    ]
    assert len(edited) == 68
    for incident_id, update in edited:
        ids = [u.id for u in real.incidents[incident_id].updates]
        assert f"{stamp(update['created']).isoformat()}:{update['status']}" in ids
        assert not any(update["modified"] in key for key in ids)


def stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_real_phases_and_impacts(real: Snapshot) -> None:
    statuses = {u.status for i in real.incidents.values() for u in i.updates}
    assert statuses == {"service_information", "service_disruption", "service_outage", "resolved"}
    assert {i.status for i in real.incidents.values()} == {"resolved"}
    impacts = [i.impact for i in real.incidents.values()]
    assert (impacts.count("minor"), impacts.count("major"), impacts.count("critical")) == (
        19,
        118,
        20,
    )
