"""The database failing under the real bot process: locked, corrupt, read-only, full, old, newer.

Every failure is one ERROR line on stderr that names the database file, no traceback, and exit
status 1. Nothing is lost: a file the bot cannot use is left as it was, and once the cause is
gone a restart announces what the failed run could not record.

Mechanisms: a lock is a second SQLite connection (this test process) holding the write lock,
as an open `sqlite3` shell in a transaction does. Root ignores permission bits, so as root
"read-only" is a read-only bind mount (EROFS, as on a read-only volume); otherwise plain
permission bits. "Disk full" is a small tmpfs mounted for the test and filled up: the bot's own
writes then fail with ENOSPC, which SQLite reports as SQLITE_FULL ("database or disk is full").
RLIMIT_FSIZE would give EFBIG instead (a "disk I/O error" to SQLite), and SQLite's
max_page_count holds for one connection only, so neither makes a full disk for the bot process.
Mounting needs root (CAP_SYS_ADMIN): where it is denied, the test skips and says why.

The bot runs with a short `lock_timeout`, so a lock costs the test one second, not ten.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import time
from collections import Counter
from pathlib import Path

import aiosqlite
import pytest

from bot.state import MIGRATIONS, SCHEMA_VERSION
from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.filesystem import locked, read_only, small_disk
from tests.world import World

NOVA_INCIDENT = "01JINC00000000000000000001"
LOCK_TIMEOUT = 0.5  # seconds: the bot's `lock_timeout` here


@pytest.fixture
def world(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        yield World(tmp_path, pages, receiver)


# ------------------------------------------------------------ helpers


def bot(world: World, database: Path, *args: str) -> BotProcess:
    """The bot over `world`'s pages and channels, keeping its state in `database`."""
    config = world.config(settings=f"lock_timeout = {LOCK_TIMEOUT}")
    config.write_text(config.read_text().replace(str(world.tmp / "state.db"), str(database)))
    return BotProcess("run", "--config", str(config), *args, cwd=world.tmp)


def assert_one_clear_error(process: BotProcess, code: int, database: Path, says: str) -> None:
    stderr = "".join(process.stderr)
    assert code == 1, stderr
    assert "Traceback" not in stderr, stderr
    errors = [line for line in process.stderr if " | ERROR | " in line]
    assert len(errors) == 1, stderr
    assert str(database) in errors[0] and says in errors[0], errors[0]


def announced(world: World) -> list[tuple[str, str]]:
    """(event type, event key) of each webhook delivered so far."""
    return [(payload["type"], payload["data"]["key"]) for payload in world.delivered()]


def open_incidents(world: World, *, nova: bool = False) -> None:
    """A change on Acme's page (and Nova's): something the bot must announce."""
    world.acme.open_incident("i1", "API errors", "We are investigating", components=("api",))
    if nova:
        world.nova.open_incident(NOVA_INCIDENT, "Chat slow", "Elevated latency")
    world.publish()


def baseline(world: World, database: Path) -> None:
    """A first run over quiet pages: the state every later run compares with."""
    first = bot(world, database, "--once")
    assert first.run() == 0, "".join(first.stderr)


def polled_providers(database: Path) -> int:
    """How many providers the bot has recorded a poll of (0 while the file is not there yet)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as reader:
            return reader.execute("SELECT COUNT(*) FROM providers").fetchone()[0]
    except sqlite3.Error:
        return 0


def wait_for_polls(database: Path, providers: int = 2) -> None:
    eventually(lambda: polled_providers(database) >= providers,
               what=f"a committed poll of {providers} providers in {database}")




def fill(disk: Path) -> Path:
    """Write a file until the disk has no byte left."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


# ------------------------------------------------------------ locked


def test_locked_database_waits_then_fails_and_a_restart_announces_what_it_missed(world):
    database = world.tmp / "state.db"
    baseline(world, database)
    open_incidents(world)

    with locked(database):
        fetched = Counter(world.pages.hits)
        started = time.monotonic()
        blocked = bot(world, database, "--once")
        code = blocked.run()
        waited = time.monotonic() - started

    assert_one_clear_error(blocked, code, database, f"is locked by another process (waited {LOCK_TIMEOUT:g}s)")
    assert waited >= LOCK_TIMEOUT, "the bot waited for the lock before giving up"
    assert world.pages.hits == fetched, "one wait, at start, before any page is fetched: not one per page"
    assert world.delivered() == []
    restart = bot(world, database, "--once")
    assert restart.run() == 0, "".join(restart.stderr)
    assert announced(world) == [("incident.created", "inc:i1")]


def test_lock_taken_while_running_stops_the_bot_with_one_line_and_loses_nothing(world):
    database = world.tmp / "state.db"
    with bot(world, database) as running:
        wait_for_polls(database)
        with locked(database):
            open_incidents(world, nova=True)  # both pollers wait for the lock, one after the other
            code = running.wait(timeout=3 * LOCK_TIMEOUT + 30)

    assert_one_clear_error(running, code, database, "is locked by another process")
    assert world.delivered() == []
    restart = bot(world, database, "--once")
    assert restart.run() == 0, "".join(restart.stderr)
    assert sorted(announced(world)) == [("incident.created", f"inc:{NOVA_INCIDENT}"), ("incident.created", "inc:i1")]


# ------------------------------------------------------------ corrupt


def _garbage(database: Path) -> None:
    database.write_bytes(b"this is not an SQLite database\n" * 256)


def _truncated(database: Path, world: World) -> None:
    open_incidents(world)
    baseline(world, database)
    whole = database.read_bytes()
    database.write_bytes(whole[: len(whole) // 2])


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_database_is_one_clear_line_and_the_file_is_left_alone(world, damage):
    database = world.tmp / "state.db"
    if damage == "garbage":
        _garbage(database)
    else:
        _truncated(database, world)
    before = database.read_bytes()
    delivered = len(world.delivered())

    failed = bot(world, database, "--once")
    assert_one_clear_error(failed, failed.run(), database, "is not a statusbot database or is corrupt")
    assert database.read_bytes() == before
    assert len(world.delivered()) == delivered


# ------------------------------------------------------------ read-only


def test_new_database_in_a_read_only_directory_is_one_clear_line(world):
    directory = world.tmp / "data"
    directory.mkdir()
    database = directory / "state.db"
    with read_only(directory):
        failed = bot(world, database, "--once")
        code = failed.run()
    assert_one_clear_error(failed, code, database, "writable")
    assert not database.exists()


@pytest.mark.parametrize("what", ["directory", "file"])
def test_existing_database_that_is_read_only_is_one_clear_line(world, what):
    directory = world.tmp / "data"
    directory.mkdir()
    database = directory / "state.db"
    baseline(world, database)
    open_incidents(world)
    before = database.read_bytes()

    with read_only(directory if what == "directory" else database):
        failed = bot(world, database, "--once")
        code = failed.run()

    assert_one_clear_error(failed, code, database, "writable")
    assert database.read_bytes() == before
    assert world.delivered() == [], "nothing is sent that could not be recorded"


# ------------------------------------------------------------ full disk


def test_full_disk_while_running_stops_the_bot_and_a_restart_announces_the_change(world):
    with small_disk(world.tmp / "disk") as disk:
        database = disk / "state.db"
        with bot(world, database) as running:
            wait_for_polls(database)
            filler = fill(disk)
            open_incidents(world)
            code = running.wait(timeout=30)

        assert_one_clear_error(running, code, database, "disk full")
        assert world.delivered() == []
        filler.unlink()
        restart = bot(world, database, "--once")
        assert restart.run() == 0, "".join(restart.stderr)

    assert announced(world) == [("incident.created", "inc:i1")], "the snapshot was not advanced: seen again"


# ------------------------------------------------------------ schema versions


def _database_at(path: Path, version: int) -> None:
    """A database as statusbot left it at schema `version`; version 0 is an empty file."""
    path.touch()
    if version:
        asyncio.run(migrate(path, version))


async def migrate(path: Path, version: int) -> None:
    """Apply the first `version` migrations as the store does, SQL or Python."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for migration in MIGRATIONS[:version]:
            if isinstance(migration, str):
                await db.executescript(migration)
            else:
                await migration(db)
        await db.execute(f"PRAGMA user_version={version}")


@pytest.mark.parametrize("version", range(len(MIGRATIONS)), ids=lambda version: f"v{version}")
def test_database_at_every_earlier_schema_version_is_migrated_and_used(world, version):
    database = world.tmp / "state.db"
    _database_at(database, version)
    open_incidents(world)

    run = bot(world, database, "--once")
    assert run.run() == 0, "".join(run.stderr)

    with contextlib.closing(sqlite3.connect(database)) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert announced(world) == [("incident.created", "inc:i1")]


def test_newer_schema_is_refused_with_one_clear_line(world):
    database = world.tmp / "state.db"
    _database_at(database, SCHEMA_VERSION)
    with contextlib.closing(sqlite3.connect(database)) as raw:
        raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    before = database.read_bytes()

    refused = bot(world, database, "--once")
    assert_one_clear_error(refused, refused.run(), database, f"schema version {SCHEMA_VERSION + 1}, newer")
    assert database.read_bytes() == before


# ------------------------------------------------------------ deleted


def test_database_deleted_while_running_is_written_back_and_a_restart_repeats_nothing(world):
    database = world.tmp / "state.db"
    open_incidents(world)
    with bot(world, database) as running:
        eventually(lambda: announced(world) == [("incident.created", "inc:i1")], what="the incident announced")
        # ... and its delivery recorded: a file deleted before that is the one send in flight,
        # which at-least-once delivery may repeat (as after kill -9).
        eventually(lambda: world.undelivered() == 0, what="the delivery recorded")
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
        world.nova.open_incident(NOVA_INCIDENT, "Chat slow", "Elevated latency")
        world.publish()  # the next changed poll writes, and finds the file gone
        code = running.wait(timeout=30)

    assert_one_clear_error(running, code, database, "deleted while statusbot ran: its state was written back")
    restart = bot(world, database, "--once")
    assert restart.run() == 0, "".join(restart.stderr)
    assert announced(world) == [("incident.created", "inc:i1"), ("incident.created", f"inc:{NOVA_INCIDENT}")]
