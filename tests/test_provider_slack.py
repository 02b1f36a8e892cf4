"""Slack's status API: authored payloads, the real capture and detection; what every format keeps is in test_format_contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect import detect
from bot.model import Document, ParseError, Snapshot
from providers import slack

PAYLOADS = Path(__file__).parent / "payloads" / "slack"
BASE = "https://slack-status.com"
NOW = datetime(2026, 3, 3, 12, tzinfo=UTC)


def parse(name: str) -> Snapshot:
    role = name.split("-", 1)[0]
    return slack.FORMAT.parse(role, (PAYLOADS / name).read_bytes(), BASE)


def page(current: str, history: str) -> Snapshot:
    """The page as the engine sees it: both documents merged."""
    return parse(current).merged(parse(history))


@pytest.fixture(scope="module")
def versions() -> list[Snapshot]:
    """The page fetched three times: history lags behind current in the second."""
    return [
        page("current-1.json", "history-1.json"),
        page("current-2.json", "history-1.json"),
        page("current-3.json", "history-3.json"),
    ]


@pytest.fixture(scope="module")
def messy() -> Snapshot:
    return parse("history-messy.json")


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        (BASE, f"{BASE}/api/v2.0.0"),
        (f"{BASE}/", f"{BASE}/api/v2.0.0"),
        ("http://127.0.0.1:8000/slack/", "http://127.0.0.1:8000/slack/api/v2.0.0"),
    ],
)
def test_documents_keep_the_path_prefix(base_url: str, prefix: str) -> None:
    assert slack.documents(base_url) == [
        Document("current", f"{prefix}/current"),
        Document("history", f"{prefix}/history"),
    ]


# ---------------------------------------------------------------- incidents


def test_incident_fields(versions: list[Snapshot]) -> None:
    incident = versions[0].incidents["1201"]
    assert incident.kind == "incident"
    assert incident.title == "Some users can\u2019t load threads"
    assert (incident.status, incident.impact) == ("investigating", "major")
    # Slack escapes "/" as "\/": plain JSON.
    assert incident.url == "https://slack-status.com/2026-03/1a2b3c4d5e6f7a8b"
    assert incident.component_ids == ()
    assert incident.component_names == ("Messaging", "Apps/Integrations/APIs")
    assert versions[0].components == {}


def test_offsets_are_converted_to_utc(versions: list[Snapshot]) -> None:
    incident = versions[0].incidents["1201"]
    assert incident.created_at == datetime(2026, 3, 2, 16, 5, 12, tzinfo=UTC)
    assert incident.updates[0].created_at == datetime(2026, 3, 2, 16, 5, 12, tzinfo=UTC)
    assert incident.updates[0].created_at.utcoffset().total_seconds() == 0


def test_notes_are_keyed_by_their_time_oldest_first(versions: list[Snapshot]) -> None:
    # The API lists notes newest first.
    notes = versions[1].incidents["1201"].updates
    assert [note.id for note in notes] == ["2026-03-02T16:05:12+00:00", "2026-03-02T16:40:31+00:00"]
    assert notes[1].body.startswith("We've identified the cause")


def test_the_newest_note_carries_the_incident_phase(versions: list[Snapshot]) -> None:
    assert [n.status for n in versions[2].incidents["1201"].updates] == [
        "investigating",
        "investigating",
        "resolved",
    ]
    assert [n.status for n in versions[2].incidents["1202"].updates] == [
        "scheduled",
        "scheduled",
        "completed",
    ]


def test_maintenance_phases(versions: list[Snapshot]) -> None:
    phases = [v.incidents["1202"].status for v in versions]
    assert phases == ["scheduled", "in_progress", "completed"]
    maintenance = versions[0].incidents["1202"]
    assert (maintenance.kind, maintenance.impact) == ("maintenance", "none")
    assert maintenance.updates[0].body == (
        "On March 3 from 02:00 to 03:00 PST we will perform maintenance on Slack Calls.\n"
        "Calls may drop briefly during this window."
    )


def test_history_holds_resolved_incidents_and_notices(versions: list[Snapshot]) -> None:
    resolved = versions[0].incidents["1100"]
    assert (resolved.status, resolved.is_final, resolved.impact) == ("resolved", True, "major")
    notice = versions[0].incidents["1090"]
    assert (notice.kind, notice.impact) == ("incident", "minor")


def test_the_copy_with_more_notes_wins_the_merge(versions: list[Snapshot]) -> None:
    assert len(versions[1].incidents["1201"].updates) == 2


def test_an_ok_current_status_has_no_incidents() -> None:
    assert parse("current-3.json") == Snapshot()
    assert slack.FORMAT.parse("current", b'{"status": "ok"}', BASE) == Snapshot()


# ---------------------------------------------------------------- detection across versions


def kinds(events: list) -> list[tuple[str, str, str]]:
    return sorted((e.incident.id, e.type, e.status) for e in events)


def test_first_sight_announces_what_is_open(versions: list[Snapshot]) -> None:
    events = detect("slack", "Slack", None, versions[0], NOW)
    assert kinds(events) == [
        ("1201", "incident.created", "investigating"),
        ("1202", "maintenance.created", "scheduled"),
    ]


def test_a_new_note_and_a_maintenance_starting(versions: list[Snapshot]) -> None:
    events = detect("slack", "Slack", versions[0], versions[1], NOW)
    assert kinds(events) == [
        ("1201", "incident.updated", "investigating"),
        ("1202", "maintenance.status", "in_progress"),
    ]


def test_resolution_and_completion_come_from_history(versions: list[Snapshot]) -> None:
    events = detect("slack", "Slack", versions[1], versions[2], NOW)
    assert kinds(events) == [
        ("1201", "incident.resolved", "resolved"),
        ("1202", "maintenance.completed", "completed"),
    ]
    resolution = next(e for e in events if e.incident.id == "1201")
    assert resolution.update.body.startswith("The fix is in place")
    assert resolution.impact == "major"


def test_a_resolution_without_a_new_note_is_still_announced(versions: list[Snapshot]) -> None:
    resolved = json.loads((PAYLOADS / "current-2.json").read_bytes())
    resolved["active_incidents"][0]["status"] = "resolved"
    new = slack.FORMAT.parse("current", json.dumps(resolved).encode(), BASE)
    events = detect("slack", "Slack", versions[1], new, NOW)
    assert [(e.type, e.update) for e in events if e.incident.id == "1201"] == [
        ("incident.resolved", None)
    ]


def test_the_same_documents_again_give_nothing(versions: list[Snapshot]) -> None:
    assert (
        detect("slack", "Slack", versions[1], page("current-2.json", "history-1.json"), NOW) == []
    )


# ---------------------------------------------------------------- tolerance


def test_items_without_a_usable_id_or_not_objects_are_skipped(messy: Snapshot) -> None:
    assert sorted(messy.incidents) == ["546", "880", "881", "882", "883"]


def test_messy_notes(messy: Snapshot) -> None:
    incident = messy.incidents["546"]
    # Listed newest first: notes of one instant numbered in posting order; undated ones and
    # non-objects dropped.
    assert [(n.id, n.status, n.body) for n in incident.updates] == [
        ("2018-09-07T21:35:00+00:00", "investigating", ""),
        ("2018-09-07T21:35:00+00:00#2", "investigating", "Posted second at the same instant."),
        (
            "2018-09-08T01:34:15+00:00",
            "resolved",
            "Technical Summary:\nOn September 7th at 2:35pm PT, we received reports.\n\nAll fixed.",
        ),
    ]


def test_a_new_note_of_the_same_instant_moves_no_key() -> None:
    def notes(*bodies: str) -> list[str]:
        item = {
            "id": 1,
            "notes": [{"date_created": "2026-03-02T09:05:12-07:00", "body": b} for b in bodies],
        }
        snapshot = slack.FORMAT.parse("history", json.dumps([item]).encode(), BASE)
        return [f"{n.id} {n.body}" for n in snapshot.incidents["1"].updates]

    # Newest first, as the API lists them.
    before, after = notes("second", "first"), notes("third", "second", "first")
    assert after[: len(before)] == before
    assert after[-1] == "2026-03-02T16:05:12+00:00#3 third"


def test_string_ids_one_line_titles_and_clean_services(messy: Snapshot) -> None:
    incident = messy.incidents["546"]
    assert incident.title == "Slack\u2019s forwarding email feature is failing for some customers"
    assert incident.component_names == ("Apps/Integrations/APIs", "Email forwarding")


@pytest.mark.parametrize(
    ("incident_id", "kind", "status", "impact"),
    [
        ("880", "incident", "investigating", "minor"),  # a notice
        ("881", "incident", "resolved", "critical"),  # an outage, status capitalised
        ("882", "maintenance", "in_progress", "none"),  # listed without a status: taken as open
        ("883", "maintenance", "canceled", "none"),
    ],
)
def test_types_and_statuses(
    messy: Snapshot, incident_id: str, kind: str, status: str, impact: str
) -> None:
    incident = messy.incidents[incident_id]
    assert (incident.kind, incident.status, incident.impact) == (kind, status, impact)


def test_a_canceled_maintenance_closes_with_its_newest_note(messy: Snapshot) -> None:
    assert [n.status for n in messy.incidents["883"].updates] == ["scheduled", "canceled"]


def test_fields_of_the_wrong_type_fall_back(messy: Snapshot) -> None:
    incident = messy.incidents["880"]
    assert (incident.updates, incident.component_names) == ((), ())
    assert (incident.created_at, incident.updated_at) == (None, None)


@pytest.mark.parametrize("incident_id", ["880", "881"])
def test_unsafe_links_fall_back_to_the_page(messy: Snapshot, incident_id: str) -> None:
    assert messy.incidents[incident_id].url == BASE


@pytest.mark.parametrize(
    ("role", "body", "message"),
    [
        ("current", b"", "empty body"),
        ("current", b"[]", "not a JSON object: top level is an array"),
        ("history", b'{"status": "ok"}', "not a JSON array: top level is an object"),
        ("current", b'{"error": "rate_limited"}', "not a Slack current status"),
        (
            "current",
            b"<html><head><title>502</title></head></html>",
            "not JSON: looks like an HTML page",
        ),
        ("history", b"[{", "not JSON: looks like truncated or malformed JSON"),
    ],
)
def test_unreadable_documents_raise_parse_error(role: str, body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}"):
        slack.FORMAT.parse(role, body, BASE)


# ---------------------------------------------------------------- the real capture


def test_real_current_with_two_active_incidents(real_fixtures: Path) -> None:
    body = (
        real_fixtures / "slack" / "slack-api-v2-current-2020-07-30-two-active.json"
    ).read_bytes()
    snapshot = slack.FORMAT.parse("current", body, "https://status.slack.com")
    assert sorted(snapshot.incidents) == ["878", "879"]
    incident = snapshot.incidents["879"]
    assert (incident.kind, incident.status, incident.impact) == (
        "incident",
        "investigating",
        "major",
    )
    assert incident.url == "https://status.slack.com/2020-07/7d32ad54b0703c47"
    assert incident.component_names == ("Apps/Integrations/APIs",)
    assert incident.created_at == datetime(2020, 7, 24, 17, 45, 8, tzinfo=UTC)
    assert [(n.id, n.status) for n in incident.updates] == [
        ("2020-07-24T17:45:08+00:00", "investigating")
    ]
    assert snapshot.incidents["878"].updates[0].body.startswith("Some users might notice")
