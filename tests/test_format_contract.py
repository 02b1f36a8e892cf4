"""The contract every status-page format keeps, checked for each one registered in providers.FORMATS.

A format's own tests check what it reads; this one checks what all of them promise the engine:
any body gives a storable snapshot or a ParseError (never another exception), hostile and empty
bodies are refused, a document parses the same every time (so ids never move), what a real
document gives is sound (unique ids, UTC times, updates oldest first, links that are links), and
what tight limits let through is as a full reading has it.
It is driven by each format's sample documents below: registering a format without naming its
samples here fails `test_every_format_has_samples`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.detect import detect
from bot.model import DEFAULT_LIMITS, IMPACTS, Limits, ParseError, Snapshot
from providers import FORMATS
from tests.strategies import JSON_VALUES, mutated, parsed_or_refused, spliced

PAYLOADS = Path(__file__).parent / "payloads"
BASE = "https://status.acme.test/"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Samples:
    """Where a format's sample documents are: (role, glob) under tests/payloads and under the
    real captures (../shared/fixtures/real, absent on some machines)."""

    authored: tuple[tuple[str, str], ...]
    real: tuple[tuple[str, str], ...] = ()


SAMPLES = {
    "statuspage": Samples(
        authored=(("summary", "statuspage_summary.json"), ("incidents", "statuspage_incidents.json")),
        real=(("summary", "statuspage/*.json"),),
    ),
    "incidentio": Samples(
        authored=(("summary", "incidentio_summary_*.json"), ("incidents", "incidentio_incidents.json")),
        real=(("summary", "incident-io/*.json"),),
    ),
    "feed": Samples(
        authored=tuple(
            ("feed", f"feed/{name}")
            for name in ("aws_*.rss", "azure_*.rss", "betterstack.rss", "generic.rss", "*.atom")
        ),
        real=(("feed", "statuspage-atom/*.atom"),),
    ),
    "gcp": Samples(authored=(("incidents", "gcp/*.json"),), real=(("incidents", "gcp/*.json"),)),
    "slack": Samples(
        authored=(("current", "slack/current-*.json"), ("history", "slack/history-*.json")),
        real=(("current", "slack/*.json"),),
    ),
    "statusio": Samples(authored=(("status", "statusio/*.json"),), real=(("status", "statusio/*.json"),)),
    "betterstack": Samples(authored=(("index", "betterstack/*.json"),)),
    "instatus": Samples(
        authored=(("summary", "instatus/summary-*.json"), ("components", "instatus/components-*.json")),
    ),
    "cachet": Samples(authored=(("components", "cachet/components-*.json"), ("incidents", "cachet/incidents-*.json"),
                                ("schedules", "cachet/schedules-*.json"))),
}


@dataclass(frozen=True)
class Sample:
    kind: str
    role: str
    path: Path

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()

    def parse(self, body: bytes | None = None) -> Snapshot:
        return FORMATS[self.kind].parse(self.role, self.body if body is None else body, BASE)

    def __str__(self) -> str:
        return f"{self.kind}:{self.path.name}"


@functools.cache  # globbed once, not for each example
def samples(kind: str, folder: Path, real: bool = False) -> list[Sample]:
    spec = SAMPLES[kind].real if real else SAMPLES[kind].authored
    return [Sample(kind, role, path) for role, pattern in spec for path in sorted(folder.glob(pattern))]


KINDS = sorted(FORMATS)
AUTHORED = [sample for kind in KINDS if kind in SAMPLES for sample in samples(kind, PAYLOADS)]


def roles(kind: str) -> list[str]:
    return [document.role for document in FORMATS[kind].documents(BASE)]


# ---------------------------------------------------------------- the registry


def test_every_format_has_samples() -> None:
    assert sorted(SAMPLES) == KINDS
    for kind in KINDS:
        found = samples(kind, PAYLOADS)
        assert found, f"no authored sample of {kind}"
        assert {sample.role for sample in found} <= set(roles(kind)), kind


@pytest.mark.parametrize("kind", KINDS)
def test_registered_under_its_kind_with_documents_under_its_url(kind: str) -> None:
    fmt = FORMATS[kind]
    assert fmt.kind == kind and fmt.description
    for url in ("http://127.0.0.1:8000/acme", "http://127.0.0.1:8000/acme/"):
        documents = fmt.documents(url)
        assert documents, kind
        assert len({document.role for document in documents}) == len(documents)
        assert all(document.url.startswith("http://127.0.0.1:8000/acme") for document in documents)
        assert all(document.every >= 1 for document in documents)
        assert fmt.documents(url) == documents  # no state between calls


# ---------------------------------------------------------------- what a document gives


def assert_sound(snapshot: Snapshot, where: object) -> None:
    """What the engine relies on in any parsed snapshot."""
    snapshot.model_dump_json()  # storable: every string encodes as UTF-8
    for key, component in snapshot.components.items():
        assert key == component.id and component.id, where
    for key, incident in snapshot.incidents.items():
        assert key == incident.id and incident.id, where
        assert "\n" not in incident.title and incident.impact in IMPACTS, (where, key)
        assert incident.url == "" or (incident.url.startswith(("http://", "https://"))
                                      and not any(char.isspace() for char in incident.url)), (where, key)
        ids = [update.id for update in incident.updates]
        assert all(ids) and len(ids) == len(set(ids)), (where, key)
        stamps = [update.created_at for update in incident.updates if update.created_at is not None]
        assert stamps == sorted(stamps), (where, key)
        times = [*stamps, incident.created_at, incident.updated_at, incident.scheduled_for, incident.scheduled_until]
        assert all(t.utcoffset().total_seconds() == 0 for t in times if t is not None), (where, key)


def assert_stable(sample: Sample, snapshot: Snapshot) -> None:
    """The same document again is the same snapshot and so no event: ids never move."""
    again = sample.parse()
    assert again == snapshot, sample
    assert detect("acme", "Acme", snapshot, again, NOW) == [], sample
    assert sample.parse(b"\xef\xbb\xbf" + sample.body) == snapshot, sample  # a UTF-8 byte order mark


@pytest.mark.parametrize("sample", AUTHORED, ids=str)
def test_an_authored_sample_parses_soundly_and_the_same_every_time(sample: Sample) -> None:
    snapshot = sample.parse()
    assert_sound(snapshot, sample)
    assert_stable(sample, snapshot)


@pytest.mark.parametrize("kind", [kind for kind in KINDS if SAMPLES.get(kind, Samples(())).real])
def test_every_real_capture_parses_soundly_and_the_same_every_time(kind: str, real_fixtures: Path) -> None:
    found = samples(kind, real_fixtures, real=True)
    assert found, f"no real capture of {kind}"
    for sample in found:
        snapshot = sample.parse()
        assert_sound(snapshot, sample)
        assert_stable(sample, snapshot)


@pytest.mark.parametrize("sample", AUTHORED, ids=str)
def test_a_truncated_sample_is_read_or_refused(sample: Sample) -> None:
    body = sample.body
    for cut in range(0, len(body), max(len(body) // 12, 1)):
        snapshot = parsed_or_refused(FORMATS[sample.kind].parse, sample.role, body[:cut], BASE)
        if snapshot is not None:
            assert_sound(snapshot, (sample, cut))


# ---------------------------------------------------------------- limits

TIGHT = Limits(incidents=1, components=1, updates=1)


@pytest.mark.parametrize("sample", AUTHORED, ids=str)
def test_a_sample_read_within_tight_limits_is_a_part_of_the_full_reading(sample: Sample) -> None:
    """Whatever a limit cuts, what is read is as a full reading has it, and the cut is reported."""
    page_format = FORMATS[sample.kind]
    full = page_format.read(sample.role, sample.body, BASE, DEFAULT_LIMITS)
    assert full.cut == {}, "no authored sample is over the default limits"
    tight = page_format.read(sample.role, sample.body, BASE, TIGHT)
    assert_sound(tight.snapshot, sample)
    assert len(tight.snapshot.incidents) <= 1 and len(tight.snapshot.components) <= 1
    assert tight.snapshot.components.items() <= full.snapshot.components.items()
    for key, incident in tight.snapshot.incidents.items():
        updates = {update.id: update for update in full.snapshot.incidents[key].updates}
        assert len(incident.updates) <= 1 and all(updates[update.id] == update for update in incident.updates)
    if len(full.snapshot.components) > 1:
        assert "components" in tight.cut, sample
    if len(full.snapshot.incidents) > 1:
        assert {"incidents", "entries"} & set(tight.cut), sample
    updates_only = page_format.read(sample.role, sample.body, BASE, replace(DEFAULT_LIMITS, updates=1))
    for key, incident in updates_only.snapshot.incidents.items():
        assert incident.updates == full.snapshot.incidents[key].updates[-1:], (sample, key)
    if any(len(incident.updates) > 1 for incident in full.snapshot.incidents.values()):
        assert set(updates_only.cut) == {"updates"}, sample


# ---------------------------------------------------------------- hostile bodies

HOSTILE = [
    (b"", "empty body"),
    (b" \r\n\t", "empty body"),
    (b"<!DOCTYPE html><html><body>Error 502</body></html>", "looks like an HTML page"),
    ('{"a": 1}'.encode("utf-16"), "looks like UTF-16 text"),
    (b"Service Unavailable", "plain text of 19 bytes"),
    ((PAYLOADS / "error_latin1.txt").read_bytes(), ""),
    (b"[" * 100_000, ""),  # nesting deeper than any recursion limit
    (b"1" * 5_000, ""),  # an integer longer than Python converts
    (b"null", ""),
    (b"{}", ""),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("body", "message"), HOSTILE, ids=lambda value: repr(value)[:30])
def test_hostile_bodies_are_refused(kind: str, body: bytes, message: str) -> None:
    for role in roles(kind):
        with pytest.raises(ParseError, match=message or None):
            FORMATS[kind].parse(role, body, BASE)


# ---------------------------------------------------------------- arbitrary input


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), body=st.binary(max_size=512))
def test_arbitrary_bytes(kind: str, data: st.DataObject, body: bytes) -> None:
    role = data.draw(st.sampled_from(roles(kind)))
    parsed_or_refused(FORMATS[kind].parse, role, body, BASE)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data(), value=JSON_VALUES)
def test_arbitrary_json(kind: str, data: st.DataObject, value: object) -> None:
    role = data.draw(st.sampled_from(roles(kind)))
    parsed_or_refused(FORMATS[kind].parse, role, json.dumps(value).encode(), BASE)


@functools.cache  # read once, not for each example (the mutations copy what they change)
def json_documents(kind: str) -> list[object]:
    found = []
    for sample in samples(kind, PAYLOADS):
        try:
            found.append(json.loads(sample.body))
        except ValueError:
            continue  # not a JSON format: its samples are spliced below
    return found


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind in SAMPLES and json_documents(kind)])
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200, deadline=None)
@given(data=st.data())
def test_samples_with_spoiled_fields_are_read_or_refused(kind: str, data: st.DataObject) -> None:
    """Mostly well shaped documents (a sample with a few fields mistyped, duplicated or dropped,
    any role) reach far deeper into a parser than arbitrary JSON does."""
    document = data.draw(st.sampled_from(json_documents(kind)))
    spoiled = data.draw(mutated(document))
    role = data.draw(st.sampled_from(roles(kind)))
    parsed_or_refused(FORMATS[kind].parse, role, json.dumps(spoiled).encode(), BASE)


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind in SAMPLES])
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=100, deadline=None)
@given(data=st.data())
def test_samples_with_spliced_bytes_are_read_or_refused(kind: str, data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from(samples(kind, PAYLOADS)))
    parsed_or_refused(FORMATS[kind].parse, sample.role, data.draw(spliced(sample.body)), BASE)
