"""Durable state in SQLite (aiosqlite, WAL): documents seen, keys seen, the outbox, thread refs.

One connection serves the whole process. aiosqlite shares one transaction among all coroutines
using a connection, so every multi-statement write runs under `self._lock` with an explicit
`BEGIN IMMEDIATE ... COMMIT`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot.model import Event, Snapshot, StatusbotError, ThreadRef, Validators
from bot.noise.group import Ties, ties
from bot.noise.rows import Decision, Reason, Reminder, Waiting
from bot.noise.stage import NoiseStage
from bot.redaction import scrub

log = logging.getLogger("statusbot.state")


class StateError(StatusbotError):
    """The database cannot be opened, read or written."""


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
)

SCHEMA_VERSION = len(MIGRATIONS)


def url_digest(url: str) -> str:
    """What the database keeps of a document's URL: a provider's URL may carry a secret."""
    return hashlib.sha256(url.encode()).hexdigest()


@dataclass(frozen=True)
class DocumentState:
    url: str
    validators: Validators
    snapshot: Snapshot


def page_snapshot(documents: Iterable[DocumentState]) -> Snapshot:
    """What a page shows: the partial snapshots of its documents, merged."""
    return _merged(document.snapshot for document in documents)


def _merged(snapshots: Iterable[Snapshot]) -> Snapshot:
    merged = Snapshot()
    for snapshot in snapshots:
        merged = merged.merged(snapshot)
    return merged


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    channel: str
    thread_key: str
    event: Event
    attempts: int
    created_at: float  # unix time the event was queued: delivery latency starts here


class Store:
    def __init__(self, db: aiosqlite.Connection, path: str, busy_timeout: float = BUSY_TIMEOUT,
                 hidden: Iterable[str] = ()):
        self._db = db
        self._lock = asyncio.Lock()
        self.path = path
        self.busy_timeout = busy_timeout
        self._hidden = frozenset(hidden)  # secrets that no error text written here may carry
        self._file = _identity(path)  # the file opened: it must still be the one at `path`
        self._served: dict[str, str] = {}  # channel -> the provider whose message went out last
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

    # ------------------------------------------------------------ polling

    # Documents are stored under a digest of their URL; the caller names the URLs it reads.

    async def documents(self, provider: str, urls: Iterable[str]) -> dict[str, DocumentState]:
        """The stored state of each of `urls` that has one."""
        by_digest = {url_digest(url): url for url in urls}
        rows = await self._all(
            "SELECT url_digest, etag, last_modified, body_hash, snapshot FROM documents WHERE provider = ?", (provider,)
        )
        return {
            by_digest[digest]: DocumentState(by_digest[digest], Validators(etag, modified, body),
                                             Snapshot.model_validate_json(snapshot))
            for digest, etag, modified, body, snapshot in rows
            if digest in by_digest
        }

    async def page(self, provider: str) -> Snapshot | None:
        """What the page showed when last read (its documents merged); None if it never was."""
        rows = await self._all("SELECT snapshot FROM documents WHERE provider = ?", (provider,))
        return _merged(Snapshot.model_validate_json(snapshot) for (snapshot,) in rows) if rows else None

    async def validators(self, provider: str, urls: Iterable[str]) -> dict[str, Validators]:
        """Only what conditional requests need, without the (large) snapshots."""
        by_digest = {url_digest(url): url for url in urls}
        rows = await self._all(
            "SELECT url_digest, etag, last_modified, body_hash FROM documents WHERE provider = ?", (provider,)
        )
        return {by_digest[digest]: Validators(etag, modified, body)
                for digest, etag, modified, body in rows if digest in by_digest}

    async def update_validators(self, provider: str, validators: Mapping[str, Validators]) -> None:
        """New validators for unchanged documents (a page that renewed its ETag, same bytes)."""
        async with self._transaction():
            await self._db.executemany(
                "UPDATE documents SET etag = ?, last_modified = ?, body_hash = ? WHERE provider = ? AND url_digest = ?",
                [(v.etag, v.last_modified, v.body_hash, provider, url_digest(url)) for url, v in validators.items()],
            )

    async def seen_among(self, provider: str, keys: Sequence[str]) -> set[str]:
        """Which of `keys` were seen before: an indexed lookup of just these keys."""
        rows = await self._all_among("SELECT key FROM seen WHERE provider = ? AND key IN ({marks})", provider, keys)
        return {row[0] for row in rows}

    async def commit_poll(
        self,
        provider: str,
        documents: Iterable[DocumentState],
        seen: Iterable[str],
        deliveries: Iterable[tuple[str, Event]],
        changed: bool,
        noise: NoiseStage | None = None,
        tied: Ties | None = None,
    ) -> dict[str, Decision]:
        """Persist one poll atomically: documents, seen keys and what its deliveries become, or none
        of them. Without `noise`, every delivery is an outbox row; with it, each channel's noise rules
        decide, on what its threads keep back as of this transaction. Returns their decisions."""
        now = time.time()
        decisions: dict[str, Decision] = {}
        async with self._transaction():
            await self._db.executemany(
                "INSERT OR REPLACE INTO documents (provider, url_digest, etag, last_modified, body_hash, snapshot)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (provider, url_digest(d.url), d.validators.etag, d.validators.last_modified, d.validators.body_hash,
                     d.snapshot.model_dump_json())
                    for d in documents
                ],
            )
            await self._db.executemany(
                "INSERT OR IGNORE INTO seen (provider, key) VALUES (?, ?)", [(provider, key) for key in seen]
            )
            if noise is None:
                await self._queue(deliveries, now)
            else:
                for channel, events in _by_channel(deliveries).items():
                    kept = await self._kept(channel, {event.thread_key for event in events})
                    decisions[channel] = noise.admit(channel, events, kept, tied or {})
                    await self._write(channel, decisions[channel], noise.now())
            await self._record_poll(provider, now, changed, None)
        return decisions

    async def record_poll(self, provider: str, error: str | None = None) -> None:
        """Note a poll that changed nothing, or failed with `error`."""
        async with self._transaction():
            await self._record_poll(provider, time.time(), False, error)

    async def record_poll_times(self, polled: Sequence[tuple[str, float]]) -> None:
        """When each provider was last polled successfully, in one transaction."""
        if not polled:
            return
        async with self._transaction():
            await self._db.executemany(
                "INSERT INTO providers (name, last_poll_at) VALUES (?1, ?2)"
                " ON CONFLICT (name) DO UPDATE SET last_poll_at = max(coalesce(last_poll_at, 0), ?2)",
                polled,
            )

    async def _record_poll(self, provider: str, now: float, changed: bool, error: str | None) -> None:
        await self._db.execute(
            "INSERT INTO providers (name, last_poll_at, last_change_at, consecutive_errors, last_error)"
            " VALUES (?1, ?2, CASE WHEN ?3 THEN ?2 END, ?4, ?5)"
            " ON CONFLICT (name) DO UPDATE SET last_poll_at = ?2,"
            " last_change_at = CASE WHEN ?3 THEN ?2 ELSE last_change_at END,"
            " consecutive_errors = CASE WHEN ?5 IS NULL THEN 0 ELSE consecutive_errors + 1 END,"
            " last_error = ?5",
            (provider, now, changed, 0 if error is None else 1, self._scrubbed(error)),
        )

    # ------------------------------------------------------------ noise control

    async def release_due(self, noise: NoiseStage) -> list[tuple[str, Decision]]:
        """Apply each channel's rules to its waiting rows and reminders that are due, in one
        transaction: what they send is in the outbox, or none of it. Returns the decisions."""
        now = noise.now()
        decisions: list[tuple[str, Decision]] = []
        async with self._transaction():
            rows = await self._all("SELECT id, channel, reason, due_at, event, created_at FROM waiting"
                                   " WHERE due_at <= ? ORDER BY id", (now,))
            reminders = [(channel, Reminder(thread_key, due_at, Event.model_validate_json(event)))
                         for channel, thread_key, due_at, event in await self._all(
                             "SELECT channel, thread_key, due_at, event FROM reminders WHERE due_at <= ?"
                             " ORDER BY due_at", (now,))]
            due: dict[str, list[Waiting]] = {}
            for _, channel, reason, due_at, event, created_at in rows:
                due.setdefault(channel, []).append(Waiting(reason, due_at, Event.model_validate_json(event), created_at))
            # Only a hold's release groups (by the incidents open now) and only a reminder reads the
            # page: a digest of ten thousand pages' events reads none of them.
            providers = {w.event.provider for waiting in due.values() for w in waiting if w.reason == "hold"}
            pages = {provider: await self.page(provider)
                     for provider in providers | {reminder.event.provider for _, reminder in reminders}}
            tied = {thread: incident for provider in providers if (page := pages[provider]) is not None
                    for thread, incident in ties(provider, page).items()}
            await self._db.executemany("DELETE FROM waiting WHERE id = ?", [(row[0],) for row in rows])
            for channel, waiting in due.items():
                decisions.append((channel, noise.release(channel, waiting, tied)))
            for channel, reminder in reminders:
                page, incident = pages[reminder.event.provider], reminder.event.incident
                current = page.incidents.get(incident.id) if page is not None and incident is not None else None
                decisions.append((channel, noise.remind(channel, reminder, current)))
            for channel, decision in decisions:
                await self._write(channel, decision, now)
        return decisions

    async def next_due(self) -> float | None:
        """When the earliest waiting row or reminder falls due (unix seconds); None: nothing waits."""
        rows = await self._all("SELECT min(due) FROM (SELECT min(due_at) AS due FROM waiting"
                               " UNION ALL SELECT min(due_at) FROM reminders)")
        return rows[0][0]

    async def waiting_counts(self) -> dict[tuple[str, str], int]:
        """How many events each channel keeps back, by reason."""
        rows = await self._all("SELECT channel, reason, COUNT(*) FROM waiting GROUP BY channel, reason")
        return {(channel, reason): count for channel, reason, count in rows}

    async def _kept(self, channel: str, threads: Iterable[str]) -> dict[str, dict[Reason, float]]:
        """For each of `threads` with waiting rows on `channel`: when each reason's rows are due."""
        kept: dict[str, dict[Reason, float]] = {}
        rows = await self._all_among("SELECT thread_key, reason, min(due_at) FROM waiting WHERE channel = ?"
                                     " AND thread_key IN ({marks}) GROUP BY thread_key, reason", channel, list(threads))
        for thread_key, reason, due_at in rows:
            kept.setdefault(thread_key, {})[reason] = due_at
        return kept

    async def _write(self, channel: str, decision: Decision, now: float) -> None:
        """Write one channel's decision (inside a transaction): its flushed threads' rows first."""
        for thread in decision.flush:
            rows = await self._all("SELECT id, event FROM waiting WHERE channel = ? AND thread_key = ?"
                                   " AND reason != 'digest' ORDER BY id", (channel, thread))
            await self._queue([(channel, Event.model_validate_json(event)) for _, event in rows], now)
            await self._db.executemany("DELETE FROM waiting WHERE id = ?", [(row_id,) for row_id, _ in rows])
        await self._queue([(channel, event) for event in decision.send], now)
        await self._db.executemany(
            "INSERT INTO waiting (channel, provider, thread_key, reason, due_at, event, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(channel, w.event.provider, w.event.thread_key, w.reason, w.due_at, w.event.model_dump_json(), w.created_at)
             for w in decision.wait],
        )
        await self._db.executemany(
            "INSERT OR REPLACE INTO reminders (channel, thread_key, provider, due_at, event) VALUES (?, ?, ?, ?, ?)",
            [(channel, r.thread_key, r.event.provider, r.due_at, r.event.model_dump_json()) for r in decision.remind],
        )
        await self._db.executemany("DELETE FROM reminders WHERE channel = ? AND thread_key = ?",
                                   [(channel, thread) for thread in decision.forget])
        if decision.counts["suppressed"]:
            await self._db.execute(
                "INSERT INTO channels (name, suppressed) VALUES (?1, ?2)"
                " ON CONFLICT (name) DO UPDATE SET suppressed = suppressed + ?2",
                (channel, decision.counts["suppressed"]),
            )

    async def _queue(self, deliveries: Iterable[tuple[str, Event]], now: float) -> None:
        await self._db.executemany(
            "INSERT INTO outbox (channel, provider, thread_key, event, created_at) VALUES (?, ?, ?, ?, ?)",
            [(channel, event.provider, event.thread_key, event.model_dump_json(), now) for channel, event in deliveries],
        )

    # ------------------------------------------------------------ delivery

    async def next_delivery(self, channel: str) -> PendingDelivery | None:
        """The next undelivered event of `channel`: each provider's messages in the order they
        were written (so within an incident and a thread), and the providers with a backlog in
        turn, so that one page's flood delays another page's outage by a message per provider."""
        query = "SELECT id, provider, thread_key, event, attempts, created_at FROM outbox WHERE channel = ?"
        rows = []
        if channel in self._served:  # the first message of the next provider after the last one served
            rows = await self._all(f"{query} AND provider > ? ORDER BY provider, id LIMIT 1",
                                   (channel, self._served[channel]))
        if not rows:
            rows = await self._all(f"{query} ORDER BY provider, id LIMIT 1", (channel,))
        if not rows:
            return None
        row_id, provider, thread_key, event, attempts, created_at = rows[0]
        self._served[channel] = provider
        return PendingDelivery(row_id, channel, thread_key, Event.model_validate_json(event), attempts, created_at)

    async def pending_count(self, channel: str | None = None) -> int:
        if channel is None:
            return await self._scalar("SELECT COUNT(*) FROM outbox")
        return await self._scalar("SELECT COUNT(*) FROM outbox WHERE channel = ?", (channel,))

    async def pending_channels(self) -> set[str]:
        return {row[0] for row in await self._all("SELECT DISTINCT channel FROM outbox")}

    async def thread(self, channel: str, thread_key: str) -> ThreadRef | None:
        rows = await self._all("SELECT ref FROM threads WHERE channel = ? AND thread_key = ?", (channel, thread_key))
        return json.loads(rows[0][0]) if rows else None

    async def mark_delivered(self, delivery: PendingDelivery, ref: ThreadRef | None) -> None:
        """Remove the row and remember the thread's first message (a new one replaces an old
        one: its message may have been deleted), in one transaction."""
        async with self._transaction():
            await self._db.execute("DELETE FROM outbox WHERE id = ?", (delivery.id,))
            if ref:
                await self._db.execute(
                    "INSERT OR REPLACE INTO threads (channel, thread_key, ref) VALUES (?, ?, ?)",
                    (delivery.channel, delivery.thread_key, json.dumps(ref)),
                )
            await self._db.execute(
                "INSERT INTO channels (name, delivered, last_delivery_at) VALUES (?1, 1, ?2)"
                " ON CONFLICT (name) DO UPDATE SET delivered = delivered + 1, last_delivery_at = ?2",
                (delivery.channel, time.time()),
            )

    async def mark_attempt(self, delivery: PendingDelivery, error: str) -> None:
        async with self._transaction():
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                (self._scrubbed(error), delivery.id),
            )

    async def mark_dead(self, delivery: PendingDelivery, error: str) -> None:
        """Give up one message for good: it moves to `dead_letters`, where it stays visible."""
        async with self._transaction():
            await self._db.execute("DELETE FROM outbox WHERE id = ?", (delivery.id,))
            await self._db.execute(
                "INSERT INTO dead_letters (id, channel, event, error, failed_at) VALUES (?, ?, ?, ?, ?)",
                (delivery.id, delivery.channel, delivery.event.model_dump_json(), self._scrubbed(error), time.time()),
            )

    async def set_disabled(self, channel: str, reason: str | None) -> None:
        async with self._transaction():
            await self._db.execute(
                "INSERT INTO channels (name, disabled_reason) VALUES (?1, ?2)"
                " ON CONFLICT (name) DO UPDATE SET disabled_reason = ?2",
                (channel, self._scrubbed(reason)),
            )

    async def disabled_reason(self, channel: str) -> str | None:
        rows = await self._all("SELECT disabled_reason FROM channels WHERE name = ?", (channel,))
        return rows[0][0] if rows else None

    async def dead_letters(self, channel: str) -> list[tuple[Event, str]]:
        rows = await self._all("SELECT event, error FROM dead_letters WHERE channel = ? ORDER BY id", (channel,))
        return [(Event.model_validate_json(event), error) for event, error in rows]

    async def probe_write(self) -> None:
        """Raise StateError unless the database can take a write right now (at start, /healthz)."""
        async with self._lock:
            await self._check_file()
        if not os.access(self.path, os.W_OK):
            raise StateError(f"database {self.path} is not writable")
        async with self._transaction():
            # Rewriting the schema version is a real write of the file's first page that changes nothing.
            await self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # ------------------------------------------------------------ for `statusbot status`

    async def provider_rows(self) -> list[tuple[str, float | None, float | None, int, str | None]]:
        """(name, last poll, last change, consecutive errors, last error) of every provider seen."""
        return await self._all(
            "SELECT name, last_poll_at, last_change_at, consecutive_errors, last_error FROM providers ORDER BY name"
        )

    async def channel_rows(self) -> list[tuple[str, int, float | None, str | None, int, int, int]]:
        """(name, delivered, last delivery, disabled reason, backlog, dead letters, suppressed) of
        every channel seen."""
        return await self._all(
            "SELECT name, max(delivered), max(last_delivery_at), max(disabled_reason), sum(backlog), sum(dead),"
            " max(suppressed) FROM ("
            " SELECT name, delivered, last_delivery_at, disabled_reason, 0 AS backlog, 0 AS dead, suppressed"
            " FROM channels"
            " UNION ALL SELECT channel, 0, NULL, NULL, COUNT(*), 0, 0 FROM outbox GROUP BY channel"
            " UNION ALL SELECT channel, 0, NULL, NULL, 0, COUNT(*), 0 FROM dead_letters GROUP BY channel"
            ") GROUP BY name ORDER BY name"
        )

    # ------------------------------------------------------------ plumbing

    def _scrubbed(self, text: str | None) -> str | None:
        return None if text is None else scrub(text, self._hidden)

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

    async def _all_among(self, sql: str, first: object, values: Sequence[object]) -> list[tuple]:
        """The rows of `sql` (parameters: `first`, then `values` where it says `{marks}`), asked
        for at most 500 values at a time, under SQLite's bound-parameter limit."""
        rows: list[tuple] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            rows += await self._all(sql.format(marks=",".join("?" * len(chunk))), (first, *chunk))
        return rows

    async def _scalar(self, sql: str, params: Sequence[object] = ()) -> int:
        rows = await self._all(sql, params)
        return int(rows[0][0])


def _by_channel(deliveries: Iterable[tuple[str, Event]]) -> dict[str, list[Event]]:
    by_channel: dict[str, list[Event]] = {}
    for channel, event in deliveries:
        by_channel.setdefault(channel, []).append(event)
    return by_channel


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
