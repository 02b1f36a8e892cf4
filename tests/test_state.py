"""The SQLite store on a real database file (WAL is never exercised on :memory:)."""

from __future__ import annotations

import sqlite3

import pytest

from bot.model import Snapshot, Validators
from bot.state import SCHEMA_VERSION, Store
from bot.store_base import DocumentState, StateError
from tests.builders import update_event
from tests.test_state_failures import migrate


async def test_database_file_uses_wal_and_current_schema(store, tmp_path):
    assert await store.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(tmp_path / "state.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_commit_poll_writes_documents_seen_keys_and_outbox_together(any_store):
    doc = DocumentState("http://x/summary.json", Validators('"e1"', None, "h1"), Snapshot())
    await any_store.commit_poll("acme", [doc], ["inc:i1", "upd:i1:u1"], [("hooks", update_event(1))], changed=True)
    assert (await any_store.documents("acme", ["http://x/summary.json"]))["http://x/summary.json"].validators.etag == '"e1"'
    assert await any_store.seen_among("acme", ["inc:i1", "inc:i2", "upd:i1:u1"]) == {"inc:i1", "upd:i1:u1"}
    assert await any_store.seen_among("other", ["inc:i1"]) == set()
    pending = await any_store.next_delivery("hooks")
    assert pending is not None and pending.event == update_event(1)


async def test_failed_transaction_leaves_nothing_behind(any_store):
    doc = DocumentState("http://x/summary.json", Validators(), Snapshot())
    await any_store.commit_poll("acme", [doc], ["inc:i1"], [], changed=True)
    with pytest.raises(StateError):
        # The same outbox row twice is fine; a seen key with a NULL provider breaks the NOT NULL rule.
        await any_store.commit_poll(None, [doc], ["inc:i9"], [("hooks", update_event(2))], changed=True)  # type: ignore[arg-type]
    assert await any_store.pending_count() == 0
    assert await any_store.seen_among("acme", ["inc:i9"]) == set()


async def test_outbox_drains_in_order_and_keeps_thread_refs(any_store):
    events = [update_event(n) for n in range(1, 4)]
    await any_store.commit_poll("acme", [], [], [("hooks", e) for e in events], changed=True)
    seen = []
    refs = [{"ts": "1.0"}, None, {"ts": "3.0"}]  # the third send had to start the thread anew
    while (pending := await any_store.next_delivery("hooks")) is not None:
        seen.append(pending.event.id)
        await any_store.mark_delivered(pending, refs[len(seen) - 1])
        if len(seen) == 2:
            assert await any_store.thread("hooks", "acme:incident:i1") == {"ts": "1.0"}
    assert seen == ["evt_1", "evt_2", "evt_3"]
    assert await any_store.thread("hooks", "acme:incident:i1") == {"ts": "3.0"}


async def test_dead_letters_and_disabled_channels_are_recorded(any_store):
    await any_store.commit_poll("acme", [], [], [("hooks", update_event(1)), ("hooks", update_event(2))], changed=True)
    first = await any_store.next_delivery("hooks")
    await any_store.mark_attempt(first, "HTTP 503")
    await any_store.mark_dead(first, "HTTP 400")
    assert [(e.id, err) for e, err in await any_store.dead_letters("hooks")] == [("evt_1", "HTTP 400")]
    await any_store.set_disabled("hooks", "HTTP 410")
    assert await any_store.disabled_reason("hooks") == "HTTP 410"
    assert (await any_store.next_delivery("hooks")).event.id == "evt_2", "a disabled channel keeps its backlog"


async def test_state_survives_reopening(tmp_path):
    path = tmp_path / "state.db"
    first = await Store.open(path)
    await first.commit_poll("acme", [], ["inc:i1"], [("hooks", update_event(1))], changed=True)
    await first.close()
    second = await Store.open(path)
    assert await second.seen_among("acme", ["inc:i1"]) == {"inc:i1"}
    assert await second.pending_count("hooks") == 1
    await second.close()


async def test_migrates_every_earlier_version(tmp_path):
    for version in range(SCHEMA_VERSION):
        path = tmp_path / f"v{version}.db"
        await migrate(path, version)
        store = await Store.open(path)
        assert await store.schema_version() == SCHEMA_VERSION
        await store.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer"):
        await Store.open(path)


async def test_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match=r"corrupt\.db"):
        await Store.open(path)


async def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(StateError, match="cannot"):
        await Store.open(tmp_path / "no" / "such" / "dir" / "state.db")
