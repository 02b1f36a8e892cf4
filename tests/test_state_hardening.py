"""The store against what an adversarial review found: secrets in its plain columns, a database
readable by other users, one provider's backlog burying another's, the file deleted under it."""

from __future__ import annotations

import logging
import sqlite3
import stat
from pathlib import Path

import aiosqlite
import pytest

from bot.model import Snapshot, Validators
from bot.state import MIGRATIONS, Store
from bot.store_base import DocumentState, StateError, url_digest
from tests.builders import update_event

TOKEN = "feedtoken-5f1c9a7e"
SECRET_URL = f"https://feeds.example/{TOKEN}/status.rss?token={TOKEN}"


def every_value(path: Path) -> str:
    """Every value of every table, as text: what someone reading the file sees."""
    with sqlite3.connect(path) as raw:
        tables = [row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(row) for table in tables for row in raw.execute(f"SELECT * FROM {table}"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_and_its_wal_and_shm_are_readable_by_their_owner_only(tmp_path):
    path = tmp_path / "state.db"
    store = await Store.open(path)
    await store.commit_poll("acme", [], ["inc:i1"], [("hooks", update_event(1))], changed=True)
    try:
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            assert mode(tmp_path / name) == 0o600, name
    finally:
        await store.close()


async def test_an_existing_database_readable_by_others_is_warned_of_and_left_alone(tmp_path, caplog):
    path = tmp_path / "state.db"
    await (await Store.open(path)).close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="statusbot.state"):
        await (await Store.open(path)).close()
    assert mode(path) == 0o644
    assert [r.getMessage() for r in caplog.records] == [
        f"database {path} can be read by other users (mode 644): chmod 600 it and its -wal and -shm files"
    ]


async def test_no_secret_reaches_a_plain_column(tmp_path):
    path = tmp_path / "state.db"
    store = await Store.open(path, hidden=[TOKEN])
    document = DocumentState(SECRET_URL, Validators('"e1"', None, "h1"), Snapshot())
    await store.commit_poll("acme", [document], [], [("hooks", update_event(1))], changed=True)
    await store.record_poll("acme", f"HTTP 503: {SECRET_URL}")
    pending = await store.next_delivery("hooks")
    assert pending is not None
    await store.mark_attempt(pending, f"timed out: {SECRET_URL}")
    await store.mark_dead(pending, f"HTTP 400: {SECRET_URL}")
    await store.set_disabled("hooks", f"HTTP 410: {SECRET_URL}")
    # What the poller reads back is keyed by the URL it asks about.
    assert (await store.documents("acme", [SECRET_URL]))[SECRET_URL].validators.etag == '"e1"'
    assert (await store.validators("acme", [SECRET_URL]))[SECRET_URL].etag == '"e1"'
    await store.close()
    stored = every_value(path)
    assert TOKEN not in stored
    assert url_digest(SECRET_URL) in stored
    assert "HTTP 503: https://feeds.example/***/status.rss?token=***" in stored


async def test_documents_stored_under_their_url_are_migrated_to_its_digest(tmp_path):
    path = tmp_path / "state.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.executescript(MIGRATIONS[0])
        await db.execute("INSERT INTO documents VALUES ('acme', ?, '\"e1\"', NULL, 'h1', '{}')", (SECRET_URL,))
        await db.execute("INSERT INTO outbox (channel, thread_key, event, created_at) VALUES ('hooks', 't', ?, 0)",
                         (update_event(1).model_dump_json(),))
        await db.execute("PRAGMA user_version=1")
    store = await Store.open(path)
    try:
        assert (await store.validators("acme", [SECRET_URL]))[SECRET_URL] == Validators('"e1"', None, "h1")
        pending = await store.next_delivery("hooks")
        assert pending is not None and pending.event == update_event(1)
    finally:
        await store.close()
    assert TOKEN not in every_value(path)


async def drain(store: Store, channel: str) -> list[str]:
    """The providers of `channel`'s messages, in the order the outbox gives them out."""
    order = []
    while (pending := await store.next_delivery(channel)) is not None:
        order.append(f"{pending.event.provider}:{pending.event.id}")
        await store.mark_delivered(pending, None)
    return order


def provider_event(provider: str, n: int):
    return update_event(n).model_copy(update={"provider": provider, "id": f"evt_{n}"})


async def test_one_providers_backlog_delays_anothers_event_by_one_message(store):
    flood = [("slack", provider_event("flood", n)) for n in range(1, 201)]
    await store.commit_poll("flood", [], [], flood, changed=True)
    first = await store.next_delivery("slack")
    assert first is not None
    await store.mark_delivered(first, None)
    await store.commit_poll("quiet", [], [], [("slack", provider_event("quiet", 1000))], changed=True)

    order = await drain(store, "slack")
    assert order.index("quiet:evt_1000") == 0, "the quiet page's outage goes out next, not after 199 others"
    flood_order = [entry for entry in order if entry.startswith("flood:")]
    assert flood_order == [f"flood:evt_{n}" for n in range(2, 201)], "each provider's messages stay in order"


async def test_providers_with_a_backlog_take_turns_and_each_keeps_its_order(store):
    rows = [("slack", provider_event(p, n)) for n in range(1, 4) for p in ("a", "b", "c")]
    await store.commit_poll("x", [], [], rows, changed=True)
    assert await drain(store, "slack") == [f"{p}:evt_{n}" for n in range(1, 4) for p in ("a", "b", "c")]


async def test_a_database_deleted_while_open_is_written_back_and_every_write_then_fails(tmp_path):
    path = tmp_path / "state.db"
    store = await Store.open(path)
    await store.commit_poll("acme", [], ["inc:i1"], [("hooks", update_event(1))], changed=True)
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (tmp_path / name).unlink()

    with pytest.raises(StateError, match="deleted while statusbot ran: its state was written back"):
        await store.commit_poll("acme", [], ["inc:i2"], [], changed=True)
    with pytest.raises(StateError, match="deleted"):
        await store.probe_write()
    await store.close()

    assert mode(path) == 0o600
    reopened = await Store.open(path)
    try:
        assert await reopened.seen_among("acme", ["inc:i1", "inc:i2"]) == {"inc:i1"}
        assert await reopened.pending_count("hooks") == 1
    finally:
        await reopened.close()


async def test_a_database_replaced_while_open_is_left_alone(tmp_path):
    path = tmp_path / "state.db"
    store = await Store.open(path)
    path.unlink()
    path.write_bytes(b"someone else's file")
    with pytest.raises(StateError, match="replaced by another file"):
        await store.record_poll("acme")
    await store.close()
    assert path.read_bytes() == b"someone else's file"
