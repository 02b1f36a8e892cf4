"""The store's part of the status board: the events log (written with the poll that found the
events, bounded), each page's last successful poll, and every page read in one go; on SQLite and
on PostgreSQL, and from databases of the schema before them."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest

from bot.cap import summary_event
from bot.fetch import Fetcher
from bot.model import Component, Incident, Snapshot, Update, Validators
from bot.plan import PollTarget
from bot.poll import ProviderPoller
from bot.state import Store
from bot.store_base import EVENT_TEXT, EVENTS_KEPT, DocumentState, SqlStore, StateError, snapshot_digest
from providers import FORMATS
from tests.builders import component_event, incident_event, update_event
from tests.fakes.status_page import PageScript
from tests.test_poll import Channel
from tests.test_state_failures import migrate

URL = "https://acme.example/api/v2/summary.json"
# A document as an earlier version stored it, with a character UTF-8 writes in more than one byte.
STORED = Snapshot(components={"api": Component(id="api", name="API — Zürich", status="major_outage")}).model_dump_json()


def document(snapshot: Snapshot, url: str = URL) -> DocumentState:
    return DocumentState(url, Validators(None, None, "h"), snapshot)


def incident(title: str = "API errors", body: str = "We are looking into it.", url: str = "") -> Incident:
    return Incident(id="i1", title=title, status="investigating", impact="major", url=url,
                    updates=(Update(id="u1", status="investigating", body=body),))


# ------------------------------------------------------------ the events log


async def test_a_polls_events_are_logged_with_it_newest_first(any_store):
    created = incident_event("i7", "investigating", impact="critical")
    created = created.model_copy(update={"url": "https://acme.example/incidents/i7"})
    changed = component_event("api", "operational", "major_outage")
    before = time.time()
    await any_store.commit_poll("acme", [], [], [], True, events=[created, changed])
    summary = summary_event([update_event(n) for n in range(1, 38)], "https://acme.example")
    await any_store.commit_poll("acme", [], [], [], True, events=[summary])

    newest, component, first = await any_store.recent_events(10)
    assert (newest.type, newest.title, newest.status, newest.url) == (
        "provider.summary", "37 more changes", "", "https://acme.example")
    assert newest.text.startswith("37 more changes on Acme in one poll were not announced one by one")
    assert (component.type, component.title, component.status, component.text, component.impact) == (
        "component.status", "api", "major_outage", "Operational → Major outage", "critical")
    assert first.model_dump(exclude={"at"}) == {
        "id": created.id, "provider": "acme", "provider_title": "Acme", "type": "incident.created",
        "impact": "critical", "title": "Trouble i7", "status": "investigating", "text": "i7 update 1",
        "url": "https://acme.example/incidents/i7"}
    assert before <= first.at.timestamp() <= newest.at.timestamp() <= time.time()
    assert [event.id for event in await any_store.recent_events(2)] == [newest.id, component.id]


async def test_only_a_web_link_is_kept_and_the_text_is_cut(any_store):
    long_body = "word " * 400
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://acme.example/x",
                "https://acme.example/a b"):
        event = update_event(1).model_copy(update={"url": url})
        await any_store.commit_poll("acme", [], [], [], True, events=[event])
        assert (await any_store.recent_events(1))[0].url == "", url
    event = update_event(1).model_copy(update={"update": Update(id="u1", status="identified", body=long_body)})
    await any_store.commit_poll("acme", [], [], [], True, events=[event])
    [logged] = await any_store.recent_events(1)
    assert len(logged.text) <= EVENT_TEXT and logged.text.endswith("…") and long_body.startswith(logged.text[:-1])


async def test_hostile_page_text_is_kept_as_data(any_store):
    hostile = incident(title="<script>alert(1)</script>\u202e\n| forged", body="<img src=x onerror=alert(1)>\nline two")
    event = update_event(1).model_copy(update={"incident": hostile, "update": hostile.updates[0]})
    await any_store.commit_poll("acme", [], [], [], True, events=[event])
    [logged] = await any_store.recent_events(1)
    # Cleaned as the page was parsed (one line, no bidi override), and otherwise exactly as the page said it.
    assert logged.title == "<script>alert(1)</script> | forged"
    assert logged.text == "<img src=x onerror=alert(1)>\nline two"


async def test_a_poll_that_fails_logs_nothing(any_store):
    with pytest.raises(StateError):
        await any_store.commit_poll(None, [], ["inc:i9"], [], True, events=[update_event(1)])  # type: ignore[arg-type]
    assert await any_store.recent_events(10) == []


async def test_the_log_keeps_the_newest_events(any_store):
    first = [update_event(n) for n in range(EVENTS_KEPT + 5)]
    await any_store.commit_poll("acme", [], [], [], True, events=first)
    await any_store.commit_poll("acme", [], [], [], True, events=[update_event(9999)])
    kept = await any_store.recent_events(EVENTS_KEPT + 10)
    assert len(kept) == EVENTS_KEPT
    assert [event.id for event in kept[:2]] == ["evt_9999", f"evt_{EVENTS_KEPT + 4}"]
    assert kept[-1].id == "evt_6", "the oldest six are gone"


async def test_a_real_poll_logs_what_it_found_before_routing(pages, store):
    script = PageScript("Acme")
    script.component("api", "API", "degraded_performance")
    script.open_incident("i1", "API errors", "Investigating", impact="minor")
    pages.publish("/acme", script)
    # The only channel wants critical changes alone: nothing is routed, everything is logged.
    picky = Channel(min_impact="critical")
    fetcher = Fetcher(timeout=5)
    try:
        poller = ProviderPoller(PollTarget("acme", "Acme", f"{pages.url}/acme", 10.0, ()), FORMATS["statuspage"],
                                fetcher, store, [picky], "active", lambda channels: None)
        await poller.poll_once()
    finally:
        await fetcher.aclose()
    assert await store.pending_count() == 0
    logged = await store.recent_events(10)
    assert sorted((event.type, event.title) for event in logged) == [
        ("component.status", "API"), ("incident.created", "API errors")]
    assert all(event.provider == "acme" and event.provider_title == "Acme" for event in logged)


# ------------------------------------------------------------ the last successful poll


async def test_the_last_success_is_kept_beside_the_last_poll(any_store):
    async def row() -> tuple[float | None, float | None, int]:
        [acme] = [r for r in await any_store.provider_rows() if r.name == "acme"]
        return acme.last_poll_at, acme.last_success_at, acme.consecutive_errors

    await any_store.commit_poll("acme", [], [], [], True)
    polled, succeeded, _ = await row()
    assert polled == succeeded is not None
    await any_store.record_poll("acme", "HTTP 503")
    failed, still, errors = await row()
    assert failed > polled and still == succeeded and errors == 1
    # A 304 before the failure, saved later in a batch: the success is kept, the failure stays the last poll.
    await any_store.record_poll_times([("acme", (polled + failed) / 2)])
    assert await row() == (failed, (polled + failed) / 2, 1)
    await any_store.record_poll_times([("acme", polled)])  # an older report changes nothing
    assert await row() == (failed, (polled + failed) / 2, 1)
    await any_store.record_poll("acme")
    recovered, last, errors = await row()
    assert recovered == last > failed and errors == 0
    await any_store.record_poll_times([("nova", 1_800_000_000.0)])
    [nova] = [r for r in await any_store.provider_rows() if r.name == "nova"]
    assert (nova.last_poll_at, nova.last_success_at, nova.last_change_at) == (1_800_000_000.0, 1_800_000_000.0, None)


# ------------------------------------------------------------ every page in one go


async def test_every_page_is_read_in_one_go_and_parsed_once(any_store):
    components = {f"c{n}": Component(id=f"c{n}", name=f"C{n}", status="operational") for n in range(3)}
    over = incident().model_copy(update={"id": "i0", "status": "resolved"})
    await any_store.commit_poll("acme", [document(Snapshot(components=components)),
                                         document(Snapshot(incidents={"i0": over, "i1": incident()}), URL + "?2")],
                                [], [], True)
    await any_store.commit_poll("nova", [document(Snapshot())], [], [], True)
    await any_store.commit_poll("gone", [document(Snapshot())], [], [], True)  # no longer configured

    scopes: dict[str, tuple[str, ...]] = {"acme": (), "nova": (), "never": ()}
    pages = await any_store.current_pages(scopes)
    # Only what is wrong: no operational component, no incident that is over.
    assert pages == {"acme": Snapshot(incidents={"i1": incident()}), "nova": Snapshot()}
    assert set((await any_store.page("acme")).incidents) == {"i0", "i1"}, "the page itself is all there"
    again = await any_store.current_pages(scopes)
    assert again["acme"] is pages["acme"], "an unchanged page is not parsed again"
    broken = {"c0": components["c0"].model_copy(update={"status": "major_outage"})}
    await any_store.commit_poll("acme", [document(Snapshot(components=broken))], [], [], True)
    changed = await any_store.current_pages(scopes)
    assert changed["acme"] == Snapshot(components=broken, incidents={"i1": incident()})


# ------------------------------------------------------------ from the schema before


async def test_a_version_5_sqlite_database_gains_the_log_and_the_last_successes(tmp_path):
    path = tmp_path / "state.db"
    await migrate(path, 5)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO documents (provider, url_digest, body_hash, snapshot) VALUES ('well', 'u', 'h', ?)",
                   (STORED,))
        db.executemany("INSERT INTO providers (name, last_poll_at, last_change_at, consecutive_errors, last_error)"
                       " VALUES (?, ?, ?, ?, ?)", [("well", 200.0, 100.0, 0, None), ("failing", 300.0, 100.0, 2, "HTTP 503"),
                                                   ("never", 300.0, None, 1, "HTTP 503")])
    db.close()
    store = await Store.open(path)
    try:
        await assert_upgraded(store)
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT snapshot_digest FROM documents").fetchall() == [(snapshot_digest(STORED),)]
    db.close()


async def test_a_postgresql_database_of_the_schema_before_is_upgraded(postgres_url):
    psycopg = pytest.importorskip("psycopg")
    from bot.state_pg import PostgresStore
    from bot.state_pg_schema import MIGRATIONS, VERSION_TABLE

    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(VERSION_TABLE)
        db.execute("INSERT INTO statusbot_schema (version) VALUES (2)")
        for migration in MIGRATIONS[:2]:
            for statement in filter(str.strip, migration.split(";")):
                db.execute(statement)
        db.execute("INSERT INTO documents (provider, url_digest, body_hash, snapshot) VALUES ('well', 'u', 'h', %s)",
                   (STORED,))
        for row in [("well", 200.0, 100.0, 0, None), ("failing", 300.0, 100.0, 2, "HTTP 503"),
                    ("never", 300.0, None, 1, "HTTP 503")]:
            db.execute("INSERT INTO providers (name, last_poll_at, last_change_at, consecutive_errors, last_error)"
                       " VALUES (%s, %s, %s, %s, %s)", row)
    store = await PostgresStore.open(postgres_url, 10)
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        await assert_upgraded(store)
    finally:
        await store.close()
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT snapshot_digest FROM documents").fetchall() == [(snapshot_digest(STORED),)]


async def assert_upgraded(store: SqlStore) -> None:
    """The providers' last successes as known before the log existed, and a log that works."""
    assert await store.current_pages({"well": (), "failing": ()}) == {"well": Snapshot.model_validate_json(STORED)}
    rows = {row.name: row.last_success_at for row in await store.provider_rows()}
    # The last poll if it succeeded; else the last change, which only a successful poll writes.
    assert rows == {"well": 200.0, "failing": 100.0, "never": None}
    assert await store.recent_events(10) == []
    await store.commit_poll("well", [], [], [], True, events=[update_event(1)])
    [logged] = await store.recent_events(10)
    assert logged.id == "evt_1" and logged.at > datetime(2026, 1, 1, tzinfo=UTC)
