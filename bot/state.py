"""Durable state in SQLite (aiosqlite, WAL): documents seen, keys seen, the outbox, thread refs.

One connection serves the whole process. aiosqlite shares one transaction among all coroutines
using a connection, so every multi-statement write runs under `self._lock` with an explicit
`BEGIN IMMEDIATE ... COMMIT`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.store_base import SqlStore, StateError, snapshot_digest, url_digest

log = logging.getLogger("statusbot.state")


# Seconds to wait for another process's write lock before giving up, unless the configuration
# says otherwise (`[bot] lock_timeout`).
BUSY_TIMEOUT = 10.0

# What SQLite's primary result codes mean to an operator; anything else is quoted as SQLite said it.
_PROBLEMS = {
    sqlite3.SQLITE_BUSY: "database {path} is locked by another process (waited {timeout}s)",
    sqlite3.SQLITE_FULL: "database {path}: disk full",
    sqlite3.SQLITE_CORRUPT: "database {path} is not a statusbot database or is corrupt",
    sqlite3.SQLITE_NOTADB: "database {path} is not a statusbot database or is corrupt",
    sqlite3.SQLITE_READONLY: "database {path} is read-only: the file and its directory must be writable",
    sqlite3.SQLITE_CANTOPEN: "cannot open database {path}: its directory must exist and be writable",
}

# Each entry moves the schema from version i to i + 1: SQL statements, or a step that needs Python.
# Never edit a released entry: append one.
Migration = str | Callable[[aiosqlite.Connection], Awaitable[None]]


async def _digest_document_urls(db: aiosqlite.Connection) -> None:
    """Documents were kept under their URL, which may carry a secret from the configuration."""
    async with db.execute("SELECT rowid, url FROM documents") as cursor:
        rows = list(await cursor.fetchall())
    await db.executemany("UPDATE documents SET url = ? WHERE rowid = ?", [(url_digest(url), rowid) for rowid, url in rows])
    await db.execute("ALTER TABLE documents RENAME COLUMN url TO url_digest")


# The status board: the events log (every event a poll announced, before routing, as the board
# shows it; bounded, see store_base.EVENTS_KEPT); each page's last successful poll beside its last
# poll, failed or not (before this version the last success is known only where the last poll
# succeeded, else as the last change at least); and each document's snapshot digest, so that the
# board reads and parses again only the pages that changed (the digests are read from an index: in
# the table each one follows its snapshot, which SQLite would read through to reach it).
_BOARD_TABLES = """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        found_at REAL NOT NULL,
        provider TEXT NOT NULL,
        provider_title TEXT NOT NULL,
        type TEXT NOT NULL,
        impact TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        text TEXT NOT NULL,
        url TEXT NOT NULL
    );
    ALTER TABLE providers ADD COLUMN last_success_at REAL;
    UPDATE providers SET last_success_at = CASE WHEN consecutive_errors = 0 THEN last_poll_at ELSE last_change_at END;
    ALTER TABLE documents ADD COLUMN snapshot_digest TEXT NOT NULL DEFAULT '';
    CREATE INDEX documents_digests ON documents (provider, url_digest, snapshot_digest)
"""


async def _board_state(db: aiosqlite.Connection) -> None:
    for statement in filter(str.strip, _BOARD_TABLES.split(";")):
        await db.execute(statement)
    async with db.execute("SELECT rowid, snapshot FROM documents") as cursor:
        rows = list(await cursor.fetchall())
    await db.executemany("UPDATE documents SET snapshot_digest = ? WHERE rowid = ?",
                         [(snapshot_digest(snapshot), rowid) for rowid, snapshot in rows])


MIGRATIONS: tuple[Migration, ...] = (
    """
    CREATE TABLE documents (
        provider TEXT NOT NULL,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        snapshot TEXT NOT NULL,
        PRIMARY KEY (provider, url)
    );
    CREATE TABLE seen (
        provider TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (provider, key)
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        event TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX outbox_by_channel ON outbox (channel, id);
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        error TEXT NOT NULL,
        failed_at REAL NOT NULL
    );
    CREATE TABLE threads (
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        ref TEXT NOT NULL,
        PRIMARY KEY (channel, thread_key)
    ) WITHOUT ROWID;
    CREATE TABLE channels (
        name TEXT PRIMARY KEY,
        disabled_reason TEXT,
        delivered INTEGER NOT NULL DEFAULT 0,
        last_delivery_at REAL
    );
    CREATE TABLE providers (
        name TEXT PRIMARY KEY,
        last_poll_at REAL,
        last_change_at REAL,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    """,
    # The outbox is drained fairly across providers (see next_delivery), so each row names its own.
    """
    ALTER TABLE outbox ADD COLUMN provider TEXT NOT NULL DEFAULT '';
    UPDATE outbox SET provider = coalesce(json_extract(event, '$.provider'), '');
    CREATE INDEX outbox_by_provider ON outbox (channel, provider, id);
    """,
    _digest_document_urls,
    # Noise control: events a channel keeps back (flap hold, quiet hours, digest period), the open
    # incidents it will be reminded of, and how many held changes flapped back.
    """
    CREATE TABLE waiting (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        provider TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        reason TEXT NOT NULL,
        due_at REAL NOT NULL,
        event TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX waiting_by_due ON waiting (due_at);
    CREATE INDEX waiting_by_thread ON waiting (channel, thread_key);
    CREATE TABLE reminders (
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        provider TEXT NOT NULL,
        due_at REAL NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (channel, thread_key)
    ) WITHOUT ROWID;
    CREATE INDEX reminders_by_due ON reminders (due_at);
    ALTER TABLE channels ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
    """,
    # Platform detection: the kind detected for a page configured with kind "auto", for the address
    # it was detected at (a digest: the address may carry a secret), and the URL to read when it
    # is not the address itself (a feed found in the page, a redirect's new host).
    """
    CREATE TABLE platforms (
        provider TEXT PRIMARY KEY,
        address_digest TEXT NOT NULL,
        kind TEXT NOT NULL,
        url TEXT,
        detected_at REAL NOT NULL
    );
    """,
    _board_state,
)
SCHEMA_VERSION = len(MIGRATIONS)


class Store(SqlStore):
    """The embedded store: one SQLite file, for one bot on one machine."""

    def __init__(self, db: aiosqlite.Connection, path: str, busy_timeout: float = BUSY_TIMEOUT,
                 hidden: Iterable[str] = ()):
        super().__init__(path, hidden)
        self._db = db
        self._lock = asyncio.Lock()
        self.busy_timeout = busy_timeout
        self._file = _identity(path)  # the file opened: it must still be the one at `path`
        self._lost: StateError | None = None  # set once the file at `path` is found gone or replaced

    @classmethod
    async def open(cls, path: str | Path, busy_timeout: float = BUSY_TIMEOUT, hidden: Iterable[str] = ()) -> Store:
        """Open (creating and migrating as needed) the database at `path`; a write waits up to
        `busy_timeout` seconds for another process's lock. `hidden` are the configuration's
        secrets: error texts are stored without them."""
        path = str(path)
        _create_private(path)
        db = await _connect(path, busy_timeout)
        store = cls(db, path, busy_timeout, hidden)
        try:
            await store._prepare()
        except sqlite3.Error as exc:
            await db.close()
            raise store._error(exc) from exc
        except StateError:
            await db.close()
            raise
        return store

    async def _prepare(self) -> None:
        # The version is read first: a newer statusbot's database is refused before anything changes.
        version = await self._scalar("PRAGMA user_version")
        if version > SCHEMA_VERSION:
            raise StateError(
                f"database {self.path} has schema version {version}, newer than this statusbot's"
                f" ({SCHEMA_VERSION}): run a newer statusbot"
            )
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
        await self._db.execute(f"PRAGMA busy_timeout={round(self.busy_timeout * 1000)}")
        await self._db.execute("PRAGMA foreign_keys=ON")
        for target, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            async with self._transaction():
                if isinstance(migration, str):
                    for statement in filter(str.strip, migration.split(";")):
                        await self._db.execute(statement)
                else:
                    await migration(self._db)
                await self._db.execute(f"PRAGMA user_version={target}")
        # Write once at start, so a locked, read-only or full database fails now, not at the
        # first change hours later.
        await self.probe_write()

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await self._scalar("PRAGMA user_version")

    async def probe_write(self) -> None:
        """Raise StateError unless the database can take a write right now (at start, /healthz)."""
        async with self._lock:
            await self._check_file()
        if not os.access(self.path, os.W_OK):
            raise StateError(f"database {self.path} is not writable")
        async with self._transaction():
            # Rewriting the schema version is a real write of the file's first page that changes nothing.
            await self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # ------------------------------------------------------------ plumbing

    async def _check_file(self) -> None:
        """Raise StateError if the file at `path` is no longer the one open (called holding the
        lock): writes would go to a deleted file, lost at exit, and a restart would announce again
        what was announced. A deleted file is first written back from the open connection, so a
        restart loses nothing."""
        if self._lost is None and self._file is not None and _identity(self.path) != self._file:
            self._lost = await self._write_back()
        if self._lost is not None:
            raise self._lost

    async def _write_back(self) -> StateError:
        gone = f"database {self.path} was deleted while statusbot ran"
        if os.path.lexists(self.path):  # noqa: ASYNC240 - one stat, once, on the way out
            return StateError(f"database {self.path} was replaced by another file while statusbot ran: stopping")
        _create_private(self.path)
        copy = sqlite3.connect(self.path, check_same_thread=False)  # written from aiosqlite's thread
        try:
            await self._db.backup(copy)
        except sqlite3.Error as exc:
            return StateError(f"{gone}, and writing it back failed ({exc}): stopping")
        finally:
            copy.close()
        return StateError(f"{gone}: its state was written back to it; stopping so that a restart opens it")

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        async with self._lock:
            # Every write first checks that the file is still the one open (a stat, cheap beside a commit).
            await self._check_file()
            try:
                await self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            try:
                yield
                await self._db.execute("COMMIT")
            except BaseException as exc:
                await self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from exc
                raise

    def _error(self, exc: sqlite3.Error) -> StateError:
        return _state_error(self.path, exc, self.busy_timeout)

    async def _rollback(self) -> None:
        # The COMMIT may have run even if its waiter was cancelled; then there is nothing to undo.
        if self._db.in_transaction:
            try:
                await self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    async def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        try:
            async with self._db.execute(sql, params) as cursor:
                return [tuple(row) for row in await cursor.fetchall()]
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    async def _run(self, sql: str, params: Sequence[object] = ()) -> None:
        await self._db.execute(sql, params)

    async def _run_many(self, sql: str, params: Iterable[Sequence[object]]) -> None:
        await self._db.executemany(sql, params)


def _on_disk(path: str) -> bool:
    """Whether `path` names a database file (not SQLite's in-memory or URI forms)."""
    return path not in ("", ":memory:") and not path.startswith("file:")


def _identity(path: str) -> tuple[int, int] | None:
    """The file at `path` (device and inode); None when there is none, or for an in-memory database."""
    if not _on_disk(path):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _create_private(path: str) -> None:
    """Create a new database file readable by its owner only (SQLite gives its -wal and -shm files
    the database file's mode); an existing file is left as it is, with a warning when others can
    read it."""
    if not _on_disk(path):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except OSError:
        pass  # an existing file; else SQLite says what is wrong with the path (see _PROBLEMS)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) and mode & 0o077:
        log.warning("database %s can be read by other users (mode %03o): chmod 600 it and its -wal and -shm files",
                    path, stat.S_IMODE(mode))


async def _connect(path: str, busy_timeout: float) -> aiosqlite.Connection:
    connection = aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout)
    try:
        return await connection
    except sqlite3.Error as exc:
        # aiosqlite stops its worker thread without waiting for it; unawaited, the thread may
        # report to an event loop that is closed by then: a traceback on stderr.
        await asyncio.to_thread(connection._thread.join)
        raise _state_error(path, exc, busy_timeout) from exc


def _state_error(path: str, exc: sqlite3.Error, busy_timeout: float) -> StateError:
    """One operator-friendly line for what SQLite reported about `path`."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # an extended code keeps the primary one in its low byte
    problem = _PROBLEMS.get(code, "database {path}: {error}")
    return StateError(problem.format(path=path, timeout=f"{busy_timeout:g}", error=exc))
