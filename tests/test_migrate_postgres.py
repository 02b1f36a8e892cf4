"""`statusbot migrate`: a SQLite state moved into PostgreSQL is the same state there, so that the
replicas announce nothing again and lose nothing; a database already in use is refused."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.board_model import BoardEvent
from bot.cli import main
from bot.migrate import TABLES, MigrateError, migrate
from bot.model import Event, Snapshot, ThreadRef, Validators
from bot.noise.settings import NoiseSettings
from bot.noise.stage import NoiseStage
from bot.state import MIGRATIONS, Store
from bot.store_base import DocumentState, PendingDelivery, SqlStore, StateError, StoredPlatform, url_digest
from tests.bot_process import BotProcess
from tests.builders import component_event, incident_event, one_page_config, update_event
from tests.ports import free_port

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'statusbot[postgres]'")

from bot.state_pg import PostgresStore  # noqa: E402 - needs psycopg, checked above

START = 1_793_707_200.0
URLS = ("https://acme.example/api/v2/summary.json", "https://acme.example/api/v2/incidents.json")
SEEN = [f"inc:old{n}" for n in range(1200)]  # more than one batch
NOISE = {"chat": NoiseSettings(hold=60.0, remind_every=3600.0)}
PASSWORD = "pg-Pa55word-9f3c1e"


@dataclass(frozen=True)
class OldState:
    """What the bot being moved knew, read back through the SQLite store's own API."""

    documents: dict[str, DocumentState]
    seen: set[str]
    thread: ThreadRef | None
    dead: list[tuple[Event, str]]
    channels: list[tuple]
    providers: list[tuple]
    next_due: float | None
    waiting: dict[tuple[str, str], int]
    events: list[BoardEvent]


async def build_old_state(path: Path) -> OldState:
    """A bot's life on SQLite: polls with documents and seen keys, a Slack reply thread delivered,
    a failed attempt, a held change and a reminder in noise control, a disabled channel, a failing
    page, a detected platform, undelivered messages of two providers, and a dead letter with the
    newest outbox id."""
    store = await Store.open(path)
    try:
        documents = [DocumentState(URLS[0], Validators('"e1"', "Tue, 03 Nov 2026 12:00:00 GMT", "h1"),
                                   Snapshot(components={"api": component_event("api", None, "operational").component})),
                     DocumentState(URLS[1], Validators(None, None, "h2"), Snapshot())]
        await store.commit_poll("acme", documents, SEEN, [("slack", update_event(1)), ("slack", update_event(2))], True,
                                events=[update_event(1), update_event(2)])
        await store.mark_delivered(await next_of(store, "slack"), {"channel": "C024BE91L", "ts": "1730635200.000100"})
        await store.mark_attempt(await next_of(store, "slack"), "HTTP 503 from slack.com")
        await store.commit_poll("beta", [], ["comp:db:major_outage"],
                                [("slack", component_event("db", "operational", "major_outage", provider="beta")),
                                 ("hooks", incident_event("i9", "investigating", provider="beta"))], True)
        await store.commit_poll("acme", [], ["comp:api:major_outage", "inc:i7"],
                                [("chat", component_event("api", "operational", "major_outage")),
                                 ("chat", incident_event("i7", "investigating"))], True,
                                noise=NoiseStage(NOISE, lambda: START))
        await store.commit_poll("acme", [], ["upd:i1:u3"], [("hooks", update_event(3))], True)
        await store.mark_dead(await next_of(store, "hooks", "incident.updated"), "HTTP 410 Gone")
        await store.set_disabled("hooks", "the webhook answered 410")
        await store.record_poll("gamma", "connection refused")
        await store.record_platform("delta", "https://status.delta.test", "statuspage", None, keep=[])
        return OldState(await store.documents("acme", URLS), await store.seen_among("acme", SEEN),
                        await store.thread("slack", "acme:incident:i1"), await store.dead_letters("hooks"),
                        await store.channel_rows(), await store.provider_rows(), await store.next_due(),
                        await store.waiting_counts(), await store.recent_events(10))
    finally:
        await store.close()


async def next_of(store: SqlStore, channel: str, event_type: str | None = None) -> PendingDelivery:
    """The next delivery of `channel` (of `event_type`, when given: the providers take turns)."""
    while True:
        delivery = await store.next_delivery(channel)
        assert delivery is not None
        if event_type is None or delivery.event.type == event_type:
            return delivery


def last_ids(path: Path) -> dict[str, int]:
    """The last id SQLite gave in each numbered table of the file at `path`."""
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT name, seq FROM sqlite_sequence").fetchall())


async def drain(store: SqlStore, channel: str) -> list[tuple[int, str, int]]:
    """(id, event key, attempts) of `channel`'s outbox rows in the order they go out, taking them out."""
    sent = []
    while (delivery := await store.next_delivery(channel)) is not None:
        sent.append((delivery.id, delivery.event.key, delivery.attempts))
        await store.mark_delivered(delivery, None)
    return sent


@pytest.fixture
async def target(postgres_url: str):
    store = await PostgresStore.open(postgres_url, 10)
    yield store
    await store.close()


async def test_the_moved_state_is_the_same_state_on_postgresql(tmp_path, target):
    old = await build_old_state(tmp_path / "statusbot.db")
    counts = await migrate(tmp_path / "statusbot.db", target)
    assert counts == {"seen": len(SEEN) + 4, "documents": 2, "outbox": 4, "dead_letters": 1, "threads": 1,
                      "channels": 2, "providers": 3, "waiting": 1, "reminders": 1, "platforms": 1,
                      "events": 2}
    assert await target.documents("acme", URLS) == old.documents
    assert await target.validators("acme", URLS) == {url: state.validators for url, state in old.documents.items()}
    assert await target.seen_among("acme", SEEN) == old.seen == set(SEEN)
    assert await target.thread("slack", "acme:incident:i1") == old.thread == {"channel": "C024BE91L",
                                                                              "ts": "1730635200.000100"}
    assert await target.dead_letters("hooks") == old.dead
    assert await target.channel_rows() == old.channels
    assert await target.provider_rows() == old.providers
    assert await target.recent_events(10) == old.events and [e.id for e in old.events] == ["evt_2", "evt_1"]
    assert await target.platform("delta") == StoredPlatform("statuspage", None, url_digest("https://status.delta.test"))
    assert await target.next_due() == old.next_due == START + 60
    assert await target.waiting_counts() == old.waiting == {("chat", "hold"): 1}
    # The same rows go out in the same order, ids and attempts kept, on both databases.
    sqlite = await Store.open(tmp_path / "statusbot.db")
    try:
        for channel in ("slack", "hooks", "chat"):
            expected = await drain(sqlite, channel)
            assert await drain(target, channel) == expected and expected, channel
    finally:
        await sqlite.close()


async def test_a_poll_after_the_move_announces_nothing_again(tmp_path, target):
    await build_old_state(tmp_path / "statusbot.db")
    await migrate(tmp_path / "statusbot.db", target)
    # A replica's next poll of the same page finds every key already seen: nothing new to announce.
    assert await target.seen_among("acme", [*SEEN, "upd:i1:u3", "inc:i8"]) == {*SEEN, "upd:i1:u3"}
    assert await target.seen_among("beta", ["comp:db:major_outage"]) == {"comp:db:major_outage"}
    # The held change is still held: released when due, not lost and not sent twice.
    assert await target.release_due(NoiseStage(NOISE, lambda: START + 60))
    assert [key for _, key, _ in await drain(target, "chat")] == ["inc:i7", "comp:api:major_outage"]


async def test_new_rows_are_numbered_past_every_id_sqlite_gave(tmp_path, target, postgres_url):
    await build_old_state(tmp_path / "statusbot.db")
    last = last_ids(tmp_path / "statusbot.db")
    await migrate(tmp_path / "statusbot.db", target)
    stage = NoiseStage(NOISE, lambda: START)
    await target.commit_poll("acme", [], [], [("hooks", update_event(4)),
                                              ("chat", component_event("web", "operational", "major_outage"))],
                             True, noise=stage, events=[update_event(4)])
    new = await next_of(target, "hooks", "incident.updated")
    assert new.event.key == "upd:i1:u4" and new.id == last["outbox"] + 1
    # The newest id SQLite gave is a dead letter's: a failure of the new row goes beside it.
    await target.mark_dead(new, "HTTP 410 Gone")
    assert [error for _, error in await target.dead_letters("hooks")] == ["HTTP 410 Gone", "HTTP 410 Gone"]
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT id FROM waiting WHERE thread_key = 'acme:component:web'").fetchall() == [
            (last["waiting"] + 1,)]
        assert db.execute("SELECT seq FROM events WHERE event_id = 'evt_4'").fetchall() == [(last["events"] + 1,)]


async def test_a_database_already_in_use_is_refused_and_nothing_is_written(tmp_path, target):
    await build_old_state(tmp_path / "statusbot.db")
    await migrate(tmp_path / "statusbot.db", target)
    other = await Store.open(tmp_path / "other.db")
    await other.commit_poll("delta", [], ["inc:x"], [("slack", incident_event("x", "investigating", provider="delta"))],
                            True)
    await other.close()
    with pytest.raises(MigrateError) as refused:
        await migrate(tmp_path / "other.db", target)
    assert str(refused.value) == (
        f"database {target.path} already holds a bot's state (rows in seen, documents, outbox, dead_letters,"
        " threads, channels, providers, waiting, reminders, platforms, events): migrate copies only into a database no bot has"
        " used; nothing was written")
    assert await target.seen_among("delta", ["inc:x"]) == set()
    assert await target.pending_count() == 4 and "delta" not in [row[0] for row in await target.provider_rows()]


async def test_a_database_a_replica_has_polled_into_is_refused(tmp_path, target):
    await build_old_state(tmp_path / "statusbot.db")
    await target.record_poll("acme")  # a replica started first: one successful poll, nothing new
    with pytest.raises(MigrateError, match=r"\(rows in providers\)"):
        await migrate(tmp_path / "statusbot.db", target)
    assert await target.seen_among("acme", SEEN) == set() and await target.pending_count() == 0


async def test_a_copy_that_fails_midway_writes_nothing(tmp_path, target):
    await build_old_state(tmp_path / "statusbot.db")
    with sqlite3.connect(tmp_path / "statusbot.db") as db:  # SQLite keeps a text where a time should be
        db.execute("UPDATE waiting SET created_at = 'yesterday'")
    db.close()
    with pytest.raises(StateError) as failed:
        await migrate(tmp_path / "statusbot.db", target)
    assert str(failed.value) == (f'database {target.path}: invalid input syntax for type double precision:'
                                 ' "yesterday"')
    # The tables copied before the one that failed are empty too: a second try starts afresh.
    assert await target.seen_among("acme", SEEN) == set() and await target.provider_rows() == []


async def test_a_missing_source_is_a_clear_error_and_is_not_created(tmp_path, target):
    missing = tmp_path / "statusbot.db"
    with pytest.raises(MigrateError) as error:
        await migrate(missing, target)
    assert str(error.value) == f"no SQLite database at {missing}: --from names the file of the bot being moved"
    assert not missing.exists()


async def test_an_older_sqlite_schema_is_brought_up_to_date_before_the_copy(tmp_path, target):
    old = tmp_path / "statusbot.db"
    with sqlite3.connect(old) as db:  # a database of statusbot's schema version 2: documents under their URL
        for migration in MIGRATIONS[:2]:
            db.executescript(migration)
        db.execute("INSERT INTO documents (provider, url, body_hash, snapshot) VALUES ('acme', ?, 'h1', '{}')",
                   (URLS[0],))
        db.execute("INSERT INTO seen (provider, key) VALUES ('acme', 'inc:i1')")
        db.execute("PRAGMA user_version = 2")
    db.close()
    assert (await migrate(old, target))["documents"] == 1
    assert await target.validators("acme", URLS) == {URLS[0]: Validators(None, None, "h1")}
    assert await target.seen_among("acme", ["inc:i1"]) == {"inc:i1"}


async def test_every_sqlite_table_and_column_is_copied(tmp_path):
    await (await Store.open(tmp_path / "statusbot.db")).close()
    with sqlite3.connect(tmp_path / "statusbot.db") as db:
        names = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence' ORDER BY rowid")]
        schema = {name: db.execute(f"SELECT name, pk FROM pragma_table_info('{name}') ORDER BY pk, cid").fetchall()
                  for name in names}
    db.close()
    copied = {table.name: table for table in TABLES}
    assert sorted(copied) == sorted(schema)
    for name, columns in schema.items():
        assert [column for column, pk in columns if pk] == list(copied[name].key), name
        assert {column for column, _ in columns} == set(copied[name].columns), name


def postgres_config(tmp_path: Path, url: str, lock_timeout: float = 10) -> Path:
    """A configuration whose database is `url` with a password added."""
    config = tmp_path / "statusbot.toml"
    config.write_text(f"""
[bot]
database = "{url.replace('://statusbot@', f'://statusbot:{PASSWORD}@')}"
lock_timeout = {lock_timeout}

[[providers]]
name = "openai"

[[channels]]
name = "log"
type = "console"
""")
    return config


async def test_the_command_moves_a_bot_once_and_never_shows_the_password(tmp_path, postgres_url):
    await build_old_state(tmp_path / "statusbot.db")
    config = postgres_config(tmp_path, postgres_url)
    moved = BotProcess("migrate", "--from", "statusbot.db", "--config", str(config), cwd=tmp_path)
    assert moved.run() == 0, moved.stderr
    assert moved.stdout == [
        f"copied statusbot.db into {postgres_url}: {len(SEEN) + 4} seen, 2 documents, 4 outbox, 1 dead_letters,"
        " 1 threads, 2 channels, 3 providers, 1 waiting, 1 reminders, 1 platforms, 2 events\n"]
    again = BotProcess("migrate", "--from", "statusbot.db", "--config", str(config), cwd=tmp_path)
    assert again.run() == 1 and again.stdout == []
    [line] = again.stderr
    assert f"database {postgres_url} already holds a bot's state" in line and "nothing was written" in line
    missing = BotProcess("migrate", "--from", "gone.db", "--config", str(config), cwd=tmp_path)
    assert missing.run() == 1 and not (tmp_path / "gone.db").exists()
    [line] = missing.stderr
    assert "no SQLite database at gone.db" in line
    for run in (moved, again, missing):
        assert PASSWORD not in "".join(run.stdout + run.stderr)


def test_an_unreachable_database_is_said_without_the_password(tmp_path):
    (tmp_path / "statusbot.db").touch()
    url = f"postgresql://statusbot@127.0.0.1:{free_port()}/statusbot"
    config = postgres_config(tmp_path, url, lock_timeout=0.5)
    failed = BotProcess("migrate", "--from", "statusbot.db", "--config", str(config), cwd=tmp_path)
    assert failed.run() == 1
    # One line, with the cause as the server's address gave it.
    assert [line for line in failed.stderr if "ERROR" in line or "WARNING" in line] == failed.stderr[-1:]
    assert failed.stderr[-1].endswith(f"database {url} is unreachable: connection failed: connection to server"
                                      f' at "127.0.0.1", port {url.split(":")[2].split("/")[0]} failed:'
                                      " Connection refused\n")
    assert PASSWORD not in "".join(failed.stderr)


def test_the_command_copies_only_into_postgresql(tmp_path, capsys):
    (tmp_path / "statusbot.db").touch()
    config = one_page_config(tmp_path, "https://acme.example")
    assert main(["migrate", "--from", str(tmp_path / "statusbot.db"), "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"statusbot: configuration error: bot.database: migrate copies into PostgreSQL; {tmp_path / 'state.db'}"
        " names a SQLite file\n")
