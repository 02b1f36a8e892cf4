"""The PostgreSQL schema: the SQLite store's tables, plus what several replicas share.

Each entry moves the schema from version i to i + 1; never edit a released entry, append one.
The first entry is the SQLite schema at its version 4 (bot/state.py), so that `statusbot migrate`
copies every table column for column, and adds:
- `leases`: which replica polls which page, and an epoch that grows at every change of hands (a
  poll commits only under the epoch it started with: fencing); a lease lasts as long as its
  holder's heartbeat, so a heartbeat writes one row, whatever the number of pages;
- `replicas`: every replica's heartbeat, for takeover and for `statusbot status`;
- the outbox's claim (`claimed_by`, `claim_until`): a delivery in flight on one replica.
Later entries follow the SQLite schema's later versions.
Times are unix seconds; the leases' and claims' are the database's own clock, so that replicas on
machines whose clocks disagree still agree on when a lease ends.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE documents (
        provider TEXT NOT NULL,
        url_digest TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        snapshot TEXT NOT NULL,
        PRIMARY KEY (provider, url_digest)
    );
    CREATE TABLE seen (
        provider TEXT NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (provider, key)
    );
    CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        channel TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT '',
        thread_key TEXT NOT NULL,
        event TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claimed_by TEXT,
        claim_until DOUBLE PRECISION
    );
    CREATE INDEX outbox_by_provider ON outbox (channel, provider, id);
    CREATE INDEX outbox_by_thread ON outbox (channel, thread_key, id);
    CREATE TABLE dead_letters (
        id BIGINT PRIMARY KEY,
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        error TEXT NOT NULL,
        failed_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE threads (
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        ref TEXT NOT NULL,
        PRIMARY KEY (channel, thread_key)
    );
    CREATE TABLE channels (
        name TEXT PRIMARY KEY,
        disabled_reason TEXT,
        delivered INTEGER NOT NULL DEFAULT 0,
        last_delivery_at DOUBLE PRECISION,
        suppressed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE providers (
        name TEXT PRIMARY KEY,
        last_poll_at DOUBLE PRECISION,
        last_change_at DOUBLE PRECISION,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE TABLE waiting (
        id BIGSERIAL PRIMARY KEY,
        channel TEXT NOT NULL,
        provider TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        reason TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        event TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX waiting_by_due ON waiting (due_at);
    CREATE INDEX waiting_by_thread ON waiting (channel, thread_key);
    CREATE TABLE reminders (
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        provider TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (channel, thread_key)
    );
    CREATE INDEX reminders_by_due ON reminders (due_at);
    CREATE TABLE leases (
        provider TEXT PRIMARY KEY,
        holder TEXT,
        epoch BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX leases_by_holder ON leases (holder);
    CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        heartbeat_at DOUBLE PRECISION NOT NULL
    );
    """,
    # The SQLite schema's version 5: platform detection's findings (bot/state.py says why).
    """
    CREATE TABLE platforms (
        provider TEXT PRIMARY KEY,
        address_digest TEXT NOT NULL,
        kind TEXT NOT NULL,
        url TEXT,
        detected_at DOUBLE PRECISION NOT NULL
    );
    """,
    # The SQLite schema's version 6: the status board's events log, last successful polls and snapshot digests.
    """
    CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY,
        event_id TEXT NOT NULL,
        found_at DOUBLE PRECISION NOT NULL,
        provider TEXT NOT NULL,
        provider_title TEXT NOT NULL,
        type TEXT NOT NULL,
        impact TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        text TEXT NOT NULL,
        url TEXT NOT NULL
    );
    ALTER TABLE providers ADD COLUMN last_success_at DOUBLE PRECISION;
    UPDATE providers SET last_success_at = CASE WHEN consecutive_errors = 0 THEN last_poll_at ELSE last_change_at END;
    ALTER TABLE documents ADD COLUMN snapshot_digest TEXT NOT NULL DEFAULT '';
    UPDATE documents SET snapshot_digest = encode(sha256(convert_to(snapshot, 'UTF8')), 'hex');
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

# The version table is made before any migration: it says which of them have run.
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS statusbot_schema (version INTEGER NOT NULL)"
