"""`statusbot migrate`: copy a SQLite state into an empty PostgreSQL database, so that a bot moving
to several replicas announces nothing again and loses nothing.

Every table is copied column for column (the PostgreSQL schema starts as the SQLite one, see
bot/state_pg_schema.py), ids included: the order of delivery follows the outbox's ids, and a dead
letter keeps its outbox id. Both sides are read and written in one transaction each: the copy is
a consistent snapshot of the file, and it is all in PostgreSQL or none of it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.config_env import BOT_VARIABLES, DEFAULTS_SOURCE
from bot.database import is_postgres, shown
from bot.model import ConfigError, StatusbotError
from bot.state import Store
from bot.state_pg import PostgresStore

# Rows per statement read and per batch written: large enough that 10^5 seen keys take seconds,
# small enough that a batch of documents (a page's snapshot each) stays a few megabytes.
BATCH = 1000


class MigrateError(StatusbotError):
    """The move cannot start: no source file, or a target that already holds a bot's state."""


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]  # its primary key: rows are read in its order, a batch after the last key read
    rest: tuple[str, ...]  # its other columns

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.rest


# Every table of the SQLite schema (bot/state.py), with every column.
TABLES = (
    Table("seen", ("provider", "key"), ()),
    Table("documents", ("provider", "url_digest"), ("etag", "last_modified", "body_hash", "snapshot",
                                                    "snapshot_digest")),
    Table("outbox", ("id",), ("channel", "provider", "thread_key", "event", "created_at", "attempts", "last_error")),
    Table("dead_letters", ("id",), ("channel", "event", "error", "failed_at")),
    Table("threads", ("channel", "thread_key"), ("ref",)),
    Table("channels", ("name",), ("disabled_reason", "delivered", "last_delivery_at", "suppressed")),
    Table("providers", ("name",), ("last_poll_at", "last_change_at", "consecutive_errors", "last_error",
                                   "last_success_at")),
    Table("waiting", ("id",), ("channel", "provider", "thread_key", "reason", "due_at", "event", "created_at")),
    Table("reminders", ("channel", "thread_key"), ("provider", "due_at", "event")),
    Table("platforms", ("provider",), ("address_digest", "kind", "url", "detected_at")),
    Table("events", ("seq",), ("event_id", "found_at", "provider", "provider_title", "type", "impact", "title",
                               "status", "text", "url")),
)

# The tables whose ids PostgreSQL numbers itself (BIGSERIAL), and the name of each one's id column.
NUMBERED = {"outbox": "id", "waiting": "id", "events": "seq"}

Counts = dict[str, int]  # table -> rows copied, in the order of TABLES


async def migrate_configured(source: Path, config: Config) -> Counts:
    """`statusbot migrate`: copy `source` into the PostgreSQL database the configuration names."""
    database = config.bot.database
    if not is_postgres(database):
        key = "bot.database" if config.source != DEFAULTS_SOURCE else BOT_VARIABLES["database"]
        raise ConfigError(f"{key}: migrate copies into PostgreSQL; {database} names a SQLite file")
    _check_source(source)  # before connecting: a missing file is the likelier mistake, and quicker told
    target = await PostgresStore.open(database, config.bot.lock_timeout, config.secrets, config.bot.replica)
    try:
        return await migrate(source, target)
    finally:
        await target.close()


def copied(source: Path, database: str, counts: Counts) -> str:
    """What `statusbot migrate` prints: one line, the rows of each table (no password)."""
    tables = ", ".join(f"{rows} {table}" for table, rows in counts.items())
    return f"copied {source} into {shown(database)}: {tables}"


async def migrate(source: Path, target: PostgresStore) -> Counts:
    """Copy the SQLite state at `source` (its schema first brought up to date) into `target`,
    which must hold no state yet; how many rows each table gave."""
    _check_source(source)
    old = await Store.open(source)
    try:
        return await _copy(old, target)
    finally:
        await old.close()


def _check_source(source: Path) -> None:
    """Raise MigrateError unless `source` is a file (opening a missing one would create it)."""
    if not source.is_file():
        raise MigrateError(f"no SQLite database at {source}: --from names the file of the bot being moved")


async def _copy(source: Store, target: PostgresStore) -> Counts:
    counts: Counts = {}
    # The source's transaction keeps a bot still writing to it out until the copy is done.
    async with source._transaction(), target._transaction():
        names = ", ".join(table.name for table in TABLES)
        # No replica writes while the copy checks and fills the tables (nor a second migrate).
        await target._run(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
        await _refuse_unless_empty(target)
        for table in TABLES:
            counts[table.name] = 0
            insert = (f"INSERT INTO {table.name} ({', '.join(table.columns)})"
                      f" VALUES ({', '.join('?' * len(table.columns))})")
            async for rows in _batches(source, table):
                await target._run_many(insert, rows)
                counts[table.name] += len(rows)
        # New rows are numbered past every id SQLite ever gave, not only past the rows copied:
        # a dead letter keeps the id of the outbox row it was, which a new row must not take.
        for name, last in await source._all("SELECT name, seq FROM sqlite_sequence"):
            if name in NUMBERED and last > 0:
                await target._run(f"SELECT setval(pg_get_serial_sequence('{name}', '{NUMBERED[name]}'), ?)", (last,))
    return counts


async def _refuse_unless_empty(target: PostgresStore) -> None:
    (filled,) = await target._all("SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {table.name})" for table in TABLES))
    used = [table.name for table, rows in zip(TABLES, filled) if rows]
    if used:
        raise MigrateError(f"database {target.path} already holds a bot's state (rows in {', '.join(used)}):"
                           " migrate copies only into a database no bot has used; nothing was written")


async def _batches(source: Store, table: Table) -> AsyncIterator[list[tuple]]:
    """The rows of `table`, BATCH at a time, in the order of its primary key."""
    columns, key = ", ".join(table.columns), ", ".join(table.key)
    after: tuple = ()
    while True:
        where = f" WHERE ({key}) > ({', '.join('?' * len(after))})" if after else ""
        rows = await source._all(f"SELECT {columns} FROM {table.name}{where} ORDER BY {key} LIMIT {BATCH}", after)
        if not rows:
            return
        yield rows
        after = rows[-1][: len(table.key)]
