"""The incident.io format (Statuspage-compatible API): authored payloads and real captures; what every format keeps is in test_format_contract."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.model import Document, ParseError, Snapshot
from providers import FORMATS, incidentio, statuspage

PAYLOADS = Path(__file__).parent / "payloads"
BASE = "https://status.example-ai.test"
parse_document = incidentio.FORMAT.parse


def parse(name: str, role: str = "summary") -> Snapshot:
    return parse_document(role, (PAYLOADS / name).read_bytes(), BASE)


@pytest.fixture(scope="module")
def active() -> Snapshot:
    return parse("incidentio_summary_active.json")


@pytest.fixture(scope="module")
def history() -> Snapshot:
    return parse("incidentio_incidents.json", role="incidents")


def test_registered_and_reusing_the_statuspage_parser() -> None:
    assert FORMATS["incidentio"] is incidentio.FORMAT
    assert incidentio.FORMAT.read is statuspage.read
    assert incidentio.FORMAT.documents("http://127.0.0.1:8000/openai/") == [
        Document("summary", "http://127.0.0.1:8000/openai/api/v2/summary.json"),
        Document("incidents", "http://127.0.0.1:8000/openai/api/v2/incidents.json", statuspage.HISTORY_EVERY),
    ]


def test_missing_incidents_key_means_no_incidents() -> None:
    snapshot = parse("incidentio_summary_operational.json")
    assert snapshot.incidents == {}
    assert {c.status for c in snapshot.components.values()} == {"operational"}


def test_components_without_group_fields(active: Snapshot) -> None:
    api = active.components["01JBBBBBBBBBBBBBBBBBBBBAPI"]
    assert (api.name, api.status, api.group_id) == ("API", "degraded_performance", None)


def test_ulid_ids_and_built_urls_without_a_double_slash(active: Snapshot) -> None:
    incident = active.incidents["01M3Q4RK1SM4EMK445GGPG7C0N"]
    # No shortlink; page.url ends with "/".
    assert incident.url == "https://status.example-ai.test/incidents/01M3Q4RK1SM4EMK445GGPG7C0N"
    assert [u.id for u in incident.updates] == [
        "01M3Q4RK1S5K0NQDA0FZ267QJC",
        "01M3Q6J3T2220NEB407NX63SS9",
    ]


def test_empty_update_bodies_are_kept_as_empty_text(active: Snapshot) -> None:
    first, second = active.incidents["01M3Q4RK1SM4EMK445GGPG7C0N"].updates
    assert first.body == ""
    assert second.body.startswith("We’re still investigating.")
    assert '[support@example-ai.test](mailto:support@example-ai.test "support")' in second.body


def test_no_affected_components_gives_no_component_ids(active: Snapshot) -> None:
    incident = active.incidents["01M3Q4RK1SM4EMK445GGPG7C0N"]
    assert (incident.component_ids, incident.component_names) == ((), ())


def test_impact_none_is_kept(active: Snapshot) -> None:
    assert active.incidents["01M3Q4HMNP8SZ27DTZKW6F5BJ4"].impact == "none"


def test_incidents_document_includes_resolved(history: Snapshot) -> None:
    incident = history.incidents["01M3Q4RK1SM4EMK445GGPG7C0N"]
    assert incident.is_final
    assert [u.status for u in incident.updates] == ["investigating", "investigating", "resolved"]


def test_maintenance_statuses_are_normalised(history: Snapshot) -> None:
    maintenance = history.incidents["01M40000000000000000MAINT1"]
    assert (maintenance.kind, maintenance.status, maintenance.is_final) == (
        "maintenance",
        "completed",
        True,
    )
    assert [u.status for u in maintenance.updates] == ["scheduled", "in_progress", "completed"]


def test_summary_and_incidents_merge_to_the_most_recent_copy(
    active: Snapshot, history: Snapshot
) -> None:
    merged = active.merged(history)
    assert merged.incidents["01M3Q4RK1SM4EMK445GGPG7C0N"].status == "resolved"
    assert merged.incidents["01M3Q4HMNP8SZ27DTZKW6F5BJ4"].status == "investigating"
    assert set(merged.components) == set(active.components)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"summary": {"ongoing_incidents": []}}', "not a Statuspage summary"),
    ],
)
def test_unreadable_documents_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_document("summary", body, BASE)


# ---------------------------------------------------------------- real captures


def real(folder: Path, name: str) -> Snapshot:
    return parse_document("summary", (folder / "incident-io" / name).read_bytes(), BASE)


def test_real_openai_operational_has_no_incidents_key(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "openai-statuspage-compat-summary-2026-07-09-operational.json")
    assert snapshot.incidents == {}
    assert len(snapshot.components) == 25


def test_real_openai_two_active_incidents(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "openai-statuspage-compat-summary-2026-09-29-two-active.json")
    assert len(snapshot.components) == 25
    assert sorted(snapshot.incidents) == [
        "01M3Q4HMNP8SZ27DTZKW6F5BJ4",
        "01M3Q4RK1SM4EMK445GGPG7C0N",
    ]
    errors = snapshot.incidents["01M3Q4RK1SM4EMK445GGPG7C0N"]
    assert (errors.status, errors.impact) == ("investigating", "minor")
    assert errors.url == "https://status.openai.com/incidents/01M3Q4RK1SM4EMK445GGPG7C0N"
    assert [u.created_at for u in errors.updates] == [
        datetime(2026, 9, 29, 17, 52, 52, tzinfo=UTC),
        datetime(2026, 9, 29, 18, 24, 17, tzinfo=UTC),
    ]
    assert "We’re investigating" in errors.updates[0].body
    support = snapshot.incidents["01M3Q4HMNP8SZ27DTZKW6F5BJ4"]
    assert support.impact == "none"
    assert '(mailto:support@openai.com "support@openai.com")' in support.updates[0].body
