"""Durable state in PostgreSQL, shared by several replicas of the bot (psycopg 3, async pool).

The statements are the store's own (bot/store_base.py); what several replicas need besides:
- leases: a replica polls only the pages it holds a lease on, which lasts as long as its
  heartbeat; `beat` takes over the pages of silent replicas and gives back what is beyond its
  share, so the replicas split the pages. Every
  change of hands raises the page's epoch, and a poll commits only under the epoch it was
  started with (`_fence`): a replica that lost its lease while it polled writes nothing.
- claims: a delivery is claimed (`claimed_by`, `claim_until`) with FOR UPDATE SKIP LOCKED in its
  own short transaction, never holding a lock during the send; a claim is renewed by its
  replica's heartbeat and taken over when it expires. A thread's rows go out in order: a row
  waits while an earlier row of its thread is in the outbox (a reply needs its parent's `ts`).
- one release of noise control at a time, under a transaction-level advisory lock.
Only transaction-level state is used (no session advisory lock, no LISTEN), so a PgBouncer in
transaction mode may sit between the replicas and the database.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import math
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.database import INSTALL_HINT, default_replica, shown
from bot.state_pg_schema import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE
from bot.store_base import DatabaseUnavailable, LeaseLost, PendingDelivery, ReplicaRow, SqlStore, StateError

try:  # the optional extra `statusbot[postgres]`
    import psycopg
    from psycopg_pool import AsyncConnectionPool
except ImportError:  # pragma: no cover - `check` and `run` say how to install it
    psycopg = None  # type: ignore[assignment]

# The database's clock, in unix seconds: leases and claims are timed by it alone.
NOW = "extract(epoch from clock_timestamp())::float8"
# Advisory lock keys (arbitrary constants, the same on every replica).
MIGRATION_LOCK = 7_316_001
RELEASE_LOCK = 7_316_002
# Connections per replica: writes are few at a time (a handful of changed pages, one delivery per
# channel); more would only hold the database's memory.
POOL_SIZE = 5
PURGE_WAIT = 2.0  # seconds a failed statement waits for the pool's dead connections to be found


@dataclass(frozen=True)
class LeaseChange:
    """What one heartbeat changed: pages this replica took over and pages it gave back."""

    taken: frozenset[str]
    given: frozenset[str]


@functools.cache
def _pg(sql: str) -> str:
    """The store's `?` parameters as psycopg's `%s`."""
    return sql.replace("?", "%s")


class PostgresStore(SqlStore):
    """One replica's view of the shared database: its pool, its leases, its claims."""

    def __init__(self, pool: AsyncConnectionPool, url: str, replica: str, hidden: Iterable[str] = ()):
        super().__init__(shown(url), hidden)
        self._pool = pool
        self._name = replica
        # The holder of this replica's leases and claims: unique per process, so that two bots
        # given the same name never share a lease.
        self._id = f"{replica}#{uuid.uuid4().hex[:8]}"
        self._epochs: dict[str, int] = {}  # provider -> the epoch of this replica's lease on it
        self._purge: asyncio.Future[None] | None = None  # the check of idle connections after a failure
        self.claim_ttl = 30.0  # seconds a delivery's claim lasts unless renewed (the keeper sets it)
        self._current: contextvars.ContextVar[psycopg.AsyncConnection | None] = contextvars.ContextVar(
            f"transaction {self._id}", default=None)

    @classmethod
    async def open(cls, url: str, busy_timeout: float, hidden: Iterable[str] = (), replica: str | None = None
                   ) -> PostgresStore:
        """Connect (a statement waits up to `busy_timeout` seconds for a connection) and migrate the schema."""
        if psycopg is None:
            raise StateError(INSTALL_HINT)
        name = replica or default_replica()
        pool = AsyncConnectionPool(
            url, min_size=1, max_size=POOL_SIZE, open=False, timeout=busy_timeout, name=f"statusbot {name}",
            kwargs={"autocommit": True, "application_name": f"statusbot {name}"[:63], **_unless_given(url, {
                # A connection whose packets go unanswered (a network cut) fails within
                # `busy_timeout` instead of hanging on the system's TCP timeouts (many minutes).
                "tcp_user_timeout": round(busy_timeout * 1000),
                "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
            })},
        )
        store = cls(pool, url, name, hidden)
        try:
            # One plain connection first: a refused connection or a wrong password is said as the
            # server said it, not as the pool's "initialization incomplete" after the timeout.
            await (await psycopg.AsyncConnection.connect(url, connect_timeout=max(round(busy_timeout), 1))).close()
            await pool.open(wait=True, timeout=busy_timeout)
            await store._prepare()
        except psycopg.Error as exc:  # no connection within the timeout (PoolTimeout), refused, ...
            await pool.close()
            raise store._error(exc) from exc
        except BaseException:
            await pool.close()
            raise
        return store

    async def _prepare(self) -> None:
        async with self._transaction():
            # Two replicas started together migrate one after the other.
            await self._run(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            await self._run(VERSION_TABLE)
            rows = await self._all("SELECT version FROM statusbot_schema")
            version = rows[0][0] if rows else 0
            if version > SCHEMA_VERSION:
                raise StateError(f"database {self.path} has schema version {version}, newer than this"
                                 f" statusbot's ({SCHEMA_VERSION}): run a newer statusbot")
            if not rows:
                await self._run("INSERT INTO statusbot_schema (version) VALUES (0)")
            for target, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, migration.split(";")):
                    await self._run(statement)
                await self._run("UPDATE statusbot_schema SET version = ?", (target,))

    async def close(self) -> None:
        await self._pool.close()

    async def schema_version(self) -> int:
        return await self._scalar("SELECT version FROM statusbot_schema")

    async def probe_write(self) -> None:
        """Raise unless the database takes a write now (one that changes nothing; not the
        heartbeat, which only the heartbeat may renew)."""
        async with self._transaction():
            await self._run("UPDATE statusbot_schema SET version = version")

    # ------------------------------------------------------------ replicas and leases

    @property
    def replica(self) -> str:
        return self._name

    def lease(self, provider: str) -> int | None:
        return self._epochs.get(provider)

    async def join(self, providers: Sequence[str]) -> None:
        """Make this replica known, and every configured page leasable."""
        async with self._transaction():
            await self._run(f"INSERT INTO replicas (id, name, started_at, heartbeat_at) VALUES (?, ?, {NOW}, {NOW})",
                            (self._id, self._name))
            await self._run("INSERT INTO leases (provider) SELECT unnest(?::text[]) ON CONFLICT DO NOTHING",
                            (list(providers),))

    async def beat(self, providers: Sequence[str], ttl: float) -> LeaseChange:
        """One heartbeat, in one transaction. A lease lasts as long as its holder beats: the beat
        writes this replica's row (not one row per page: ten thousand pages cost one write), renews
        its claims for `ttl` seconds, then takes pages whose holder has been silent for `ttl`, up
        to its share of `providers` (split evenly among the live replicas), or gives back what is
        beyond it."""
        before = set(self._epochs)
        async with self._transaction():
            await self._run(f"INSERT INTO replicas (id, name, started_at, heartbeat_at) VALUES (?, ?, {NOW}, {NOW})"
                            " ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at", (self._id, self._name))
            live = await self._scalar(f"SELECT count(*) FROM replicas WHERE heartbeat_at > {NOW} - ?", (ttl,))
            held = dict(await self._all("SELECT provider, epoch FROM leases WHERE holder = ?", (self._id,)))
            await self._run(f"UPDATE outbox SET claim_until = {NOW} + ? WHERE claimed_by = ?", (ttl, self._id))
            share = math.ceil(len(providers) / max(live, 1))
            if len(held) > share:
                given = sorted(held)[share:]
                await self._run("UPDATE leases SET holder = NULL WHERE holder = ? AND provider = ANY(?)",
                                (self._id, given))
                for provider in given:
                    del held[provider]
            elif len(held) < share:
                held |= dict(await self._all(
                    "UPDATE leases SET holder = ?, epoch = epoch + 1 WHERE provider IN ("
                    " SELECT l.provider FROM leases l LEFT JOIN replicas r ON r.id = l.holder"
                    f" WHERE l.provider = ANY(?) AND (r.id IS NULL OR r.heartbeat_at < {NOW} - ?)"
                    " ORDER BY l.provider LIMIT ? FOR UPDATE OF l SKIP LOCKED) RETURNING provider, epoch",
                    (self._id, list(providers), ttl, share - len(held))))
            # Replicas silent for a day are gone for good: `status` stops showing them.
            await self._run(f"DELETE FROM replicas WHERE heartbeat_at < {NOW} - 86400")
        self._epochs = held
        return LeaseChange(frozenset(held.keys() - before), frozenset(before - held.keys()))

    def drop_leases(self) -> frozenset[str]:
        """Stop polling every page at once (the database has been out of reach for longer than a
        lease lasts: another replica may hold them by now). Returns the pages dropped."""
        dropped, self._epochs = frozenset(self._epochs), {}
        return dropped

    async def leave(self) -> None:
        """On a clean stop: give back this replica's leases and claims at once, so that the
        others take them over without waiting for them to expire."""
        async with self._transaction():
            await self._run("UPDATE leases SET holder = NULL WHERE holder = ?", (self._id,))
            await self._run("UPDATE outbox SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ?", (self._id,))
            await self._run("DELETE FROM replicas WHERE id = ?", (self._id,))
        self._epochs = {}

    async def replica_rows(self) -> list[ReplicaRow]:
        rows = await self._all(
            "SELECT r.name, r.started_at, r.heartbeat_at, count(l.provider) FROM replicas r"
            " LEFT JOIN leases l ON l.holder = r.id GROUP BY r.id, r.name, r.started_at, r.heartbeat_at"
            " ORDER BY r.name, r.started_at")
        return [ReplicaRow(name, started, heartbeat, pages) for name, started, heartbeat, pages in rows]

    async def _fence(self, provider: str, lease: int | None) -> None:
        # A page that no replica has ever leased is a lone process's (`migrate`, a test): no fence.
        # Epochs only grow, so the same epoch means nobody else held the page since it was read.
        rows = await self._all("SELECT holder, epoch FROM leases WHERE provider = ? FOR SHARE", (provider,))
        if rows and rows[0] != (self._id, lease):
            if rows[0][0] != self._id:  # held by another now: stop polling it before the next beat says so
                self._epochs.pop(provider, None)
            raise LeaseLost(f"provider {provider}: replica {self._name} no longer holds its lease; the poll is dropped")

    async def _exclude_release(self) -> None:
        await self._run(f"SELECT pg_advisory_xact_lock_shared({RELEASE_LOCK})")

    async def _may_release(self) -> bool:
        rows = await self._all(f"SELECT pg_try_advisory_xact_lock({RELEASE_LOCK})")
        return bool(rows[0][0])

    # ------------------------------------------------------------ delivery claims

    async def next_delivery(self, channel: str) -> PendingDelivery | None:
        """Claim the next deliverable row of `channel`: unclaimed (or its claim expired, or this
        replica's own), the first of its thread still in the outbox, the providers in turn."""
        async with self._transaction():
            rows = await self._all(
                f"UPDATE outbox SET claimed_by = ?, claim_until = {NOW} + ? WHERE id = ("
                " SELECT id FROM outbox o WHERE channel = ?"
                f" AND (claimed_by IS NULL OR claimed_by = ? OR claim_until < {NOW})"
                " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel"
                " AND p.thread_key = o.thread_key AND p.id < o.id)"
                " ORDER BY provider <= ?, provider, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " RETURNING id, provider, thread_key, event, attempts, created_at",
                (self._id, self.claim_ttl, channel, self._id, self._served.get(channel, "")))
        return self._pending(channel, rows)

    # ------------------------------------------------------------ the primitives

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        try:
            async with self._pool.connection() as connection, connection.transaction():
                token = self._current.set(connection)
                try:
                    yield
                finally:
                    self._current.reset(token)
        except psycopg.Error as exc:
            raise await self._failure(exc) from exc

    async def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        connection = self._current.get()
        try:
            if connection is not None:
                return await _rows(await connection.execute(_pg(sql), params))
            async with self._pool.connection() as connection:
                return await _rows(await connection.execute(_pg(sql), params))
        except psycopg.Error as exc:
            raise await self._failure(exc) from exc

    async def _run(self, sql: str, params: Sequence[object] = ()) -> None:
        await self._all(sql, params)

    async def _run_many(self, sql: str, params: Iterable[Sequence[object]]) -> None:
        rows = list(params)
        if not rows:
            return
        connection = self._current.get()
        assert connection is not None, "a write runs inside a transaction"
        try:
            async with connection.cursor() as cursor:
                await cursor.executemany(_pg(sql), rows)
        except psycopg.Error as exc:
            raise await self._failure(exc) from exc

    async def _failure(self, exc: psycopg.Error) -> StateError | DatabaseUnavailable:
        """The error to raise for `exc`. A lost connection rarely dies alone (a server restart, a
        network cut, killed backends): the pool's idle connections are checked at once, so that
        the next statement gets a live one (the pool replaces the dead ones in the background)."""
        error = self._error(exc)
        if isinstance(error, DatabaseUnavailable):
            if self._purge is None or self._purge.done():
                self._purge = asyncio.ensure_future(self._pool.check())
                self._purge.add_done_callback(_retrieved)
            await asyncio.wait({self._purge}, timeout=PURGE_WAIT)
        return error

    def _error(self, exc: psycopg.Error) -> StateError | DatabaseUnavailable:
        """A lost or refused connection is an outage to wait out; anything else is a fault."""
        text = self._scrubbed(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return DatabaseUnavailable(f"database {self.path} is unreachable: {text}")
        return StateError(f"database {self.path}: {text}")


def _retrieved(task: asyncio.Future[None]) -> None:
    """A purge that failed (the database is down) needs no report: the statement's error is one."""
    if not task.cancelled():
        task.exception()


def _unless_given(url: str, defaults: dict[str, object]) -> dict[str, object]:
    """`defaults` for the connection parameters the URL does not set itself."""
    given = psycopg.conninfo.conninfo_to_dict(url)
    return {key: value for key, value in defaults.items() if key not in given}


async def _rows(cursor: psycopg.AsyncCursor) -> list[tuple]:
    return list(await cursor.fetchall()) if cursor.description is not None else []
