"""What the store keeps and how, on either database: the statements and the logic around them.

Two stores share this: SQLite (bot/state.py), embedded, for one bot on one machine; PostgreSQL
(bot/state_pg.py), for several replicas of the bot sharing one database. Each gives the four
primitives below (`_all`, `_run`, `_run_many`, `_transaction`); the statements here are written
in the SQL both understand (`?` parameters, `ON CONFLICT` upserts), and the few that differ, or
that several replicas need done another way (claims, fencing), are overridden by a store.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from bot.board_model import BoardEvent
from bot.detect import scope
from bot.message import compose
from bot.model import COMPONENT_OK, Event, Snapshot, StatusbotError, ThreadRef, Validators
from bot.noise.group import Ties, ties
from bot.noise.rows import Decision, Reason, Reminder, Waiting
from bot.noise.stage import NoiseStage
from bot.redaction import scrub
from bot.text import truncate
from bot.urls import is_web_link

# The events log keeps the newest EVENTS_KEPT events (the board's timeline and the Atom feed read
# it), each update's text cut to EVENT_TEXT characters: a busy page cannot grow the database.
EVENTS_KEPT = 1000
EVENT_TEXT = 500


class StateError(StatusbotError):
    """The database cannot be opened, read or written: nothing can go on without it."""


class DatabaseUnavailable(StatusbotError):
    """The shared database cannot be reached right now (a network cut, a restart): a replica waits
    and tries again, and meanwhile holds no page and claims no delivery."""


class LeaseLost(StatusbotError):
    """This replica no longer holds the page it polled: another took it over, and the poll is
    dropped unwritten (the other replica reads the page again)."""


def url_digest(url: str) -> str:
    """What the database keeps of a document's URL: a provider's URL may carry a secret."""
    return hashlib.sha256(url.encode()).hexdigest()


def snapshot_digest(snapshot: str) -> str:
    """What tells a stored snapshot (its JSON) from another without reading it: its SHA-256."""
    return hashlib.sha256(snapshot.encode()).hexdigest()


@dataclass(frozen=True)
class DocumentState:
    url: str
    validators: Validators
    snapshot: Snapshot


@dataclass(frozen=True)
class StoredPlatform:
    """A page's detected platform as stored: its kind, the URL to read (None: the address itself),
    and a digest of the address it was detected at."""

    kind: str
    url: str | None
    address_digest: str

    def detected_at(self, address: str) -> bool:
        """Whether it was detected at `address`: a page given another address is detected anew."""
        return self.address_digest == url_digest(address)


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


class ProviderRow(NamedTuple):
    """One provider as the database knows it (times in unix seconds)."""

    name: str
    last_poll_at: float | None  # the last poll, failed or not
    last_success_at: float | None  # the last poll that read the page (changed, unchanged or 304)
    last_change_at: float | None
    consecutive_errors: int
    last_error: str | None


class ChannelRow(NamedTuple):
    """One channel's figures as the database knows them."""

    name: str
    delivered: int
    last_delivery_at: float | None
    disabled_reason: str | None
    backlog: int  # waiting in the outbox
    given_up: int  # dead letters
    suppressed: int


@dataclass(frozen=True)
class ReplicaRow:
    """One replica as `statusbot status` shows it."""

    name: str
    started_at: float
    heartbeat_at: float
    pages: int  # pages whose lease it holds


class SqlStore(ABC):
    """The store's operations, on the primitives a database gives."""

    def __init__(self, path: str, hidden: Iterable[str] = ()):
        self.path = path  # what logs and errors call the database (never with a password)
        self._hidden = frozenset(hidden)  # secrets that no error text written here may carry
        self._served: dict[str, str] = {}  # channel -> the provider whose message went out last
        # What the last call of `current_pages` read, by scope and documents' snapshot digests: a
        # page unchanged since is not read nor parsed again.
        self._standing: dict[tuple[tuple[str, ...], tuple[str, ...]], Snapshot] = {}

    # ------------------------------------------------------------ the primitives of a database

    @abstractmethod
    async def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """The rows of one statement (inside the current transaction, if any)."""

    @abstractmethod
    async def _run(self, sql: str, params: Sequence[object] = ()) -> None:
        """One statement that returns nothing, inside the current transaction."""

    @abstractmethod
    async def _run_many(self, sql: str, params: Iterable[Sequence[object]]) -> None:
        """One statement for each parameter row, inside the current transaction."""

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[None]:
        """A write transaction: all of its statements, or none."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def probe_write(self) -> None:
        """Raise unless the database can take a write right now (at start, /healthz)."""

    # ------------------------------------------------------------ replicas

    @property
    def replica(self) -> str | None:
        """This replica's name where several share the database; None for the only one."""
        return None

    def lease(self, provider: str) -> int | None:
        """The epoch of this replica's lease on `provider`, None when it holds none (the only
        replica holds every page, for good). A new epoch means that another replica may have
        polled the page since: what this one remembers of it is to be read again."""
        return 0

    def holds(self, provider: str) -> bool:
        """Whether this replica polls `provider` now."""
        return self.lease(provider) is not None

    async def replica_rows(self) -> list[ReplicaRow]:
        """The replicas sharing this database (none when it is not shared)."""
        return []

    async def _fence(self, provider: str, lease: int | None) -> None:
        """Inside a poll's transaction: raise LeaseLost unless `provider`'s lease is still the one
        of epoch `lease` that this replica held when it read the page (the only replica's is)."""
        return None

    async def _exclude_release(self) -> None:
        """Inside a poll's transaction that admits events to noise control: keep a release out
        (the only replica's transactions never overlap)."""
        return None

    async def _may_release(self) -> bool:
        """Inside a release's transaction: whether this replica is the one releasing now."""
        return True

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

    async def current_pages(self, scopes: Mapping[str, tuple[str, ...]]) -> dict[str, Snapshot]:
        """How each page of `scopes` (provider -> its `components` setting; empty: all) stands as
        last read, within that scope (bot.detect.scope): its components that are not operational
        and its incidents and maintenances that are not over; pages never read are left out. What
        the status board shows, kept between calls: only pages whose documents changed since (by
        their digests, read first) are read and parsed again, and only what is wrong is kept (a
        thousand pages' healthy components and histories in memory would slow every garbage
        collection of the process)."""
        digests: dict[str, list[str]] = {}
        for provider, digest in await self._all("SELECT provider, snapshot_digest FROM documents"
                                                " ORDER BY provider, url_digest"):
            if provider in scopes:
                digests.setdefault(provider, []).append(digest)
        keys = {provider: (scopes[provider], tuple(page)) for provider, page in digests.items()}
        changed = [provider for provider, key in keys.items() if key not in self._standing]
        texts: dict[str, list[tuple[str, str]]] = {}
        for provider, digest, snapshot in await self._all_among(
                "SELECT provider, snapshot_digest, snapshot FROM documents WHERE provider IN ({marks})"
                " ORDER BY provider, url_digest", changed):
            texts.setdefault(provider, []).append((digest, snapshot))
        standing = {key: self._standing[key] for key in keys.values() if key in self._standing}
        for provider, documents in texts.items():  # as they are now: a poll may have changed them since the digests
            key = keys[provider] = (scopes[provider], tuple(digest for digest, _ in documents))
            if key not in standing:
                page = scope(_merged(Snapshot.model_validate_json(snapshot) for _, snapshot in documents), key[0])
                standing[key] = Snapshot(
                    components={cid: c for cid, c in page.components.items() if c.status != COMPONENT_OK},
                    incidents={iid: incident for iid, incident in page.incidents.items() if not incident.is_final})
        self._standing = standing  # only what was read now: the cache never outgrows the pages
        return {provider: standing[key] for provider, key in keys.items() if key in standing}

    async def validators(self, provider: str, urls: Iterable[str]) -> dict[str, Validators]:
        """Only what conditional requests need, without the (large) snapshots."""
        by_digest = {url_digest(url): url for url in urls}
        rows = await self._all(
            "SELECT url_digest, etag, last_modified, body_hash FROM documents WHERE provider = ?", (provider,)
        )
        return {by_digest[digest]: Validators(etag, modified, body)
                for digest, etag, modified, body in rows if digest in by_digest}

    async def update_validators(self, provider: str, validators: Mapping[str, Validators],
                                lease: int | None = None) -> None:
        """New validators for unchanged documents (a page that renewed its ETag, same bytes), read
        under the lease epoch `lease` (see commit_poll)."""
        async with self._transaction():
            await self._fence(provider, lease)
            await self._run_many(
                "UPDATE documents SET etag = ?, last_modified = ?, body_hash = ? WHERE provider = ? AND url_digest = ?",
                [(v.etag, v.last_modified, v.body_hash, provider, url_digest(url)) for url, v in validators.items()],
            )

    async def seen_among(self, provider: str, keys: Sequence[str]) -> set[str]:
        """Which of `keys` were seen before: an indexed lookup of just these keys."""
        rows = await self._all_among("SELECT key FROM seen WHERE provider = ? AND key IN ({marks})", keys, (provider,))
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
        lease: int | None = None,
        events: Sequence[Event] = (),
    ) -> dict[str, Decision]:
        """Persist one poll atomically: documents, seen keys, what its deliveries become and the
        `events` it announced (before routing: the events log), or none of them. Without `noise`,
        every delivery is an outbox row; with it, each channel's noise rules decide, on what its
        threads keep back as of this transaction. Returns their decisions.
        `lease` is the epoch of the lease under which the page was read (`lease(provider)` when
        the poll started): if the page changed hands since, even to come back, the poll raises
        LeaseLost and writes nothing."""
        now = time.time()
        decisions: dict[str, Decision] = {}
        async with self._transaction():
            await self._fence(provider, lease)
            await self._run_many(
                "INSERT INTO documents (provider, url_digest, etag, last_modified, body_hash, snapshot, snapshot_digest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, url_digest) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, body_hash = excluded.body_hash, snapshot = excluded.snapshot,"
                " snapshot_digest = excluded.snapshot_digest",
                [_document_row(provider, document) for document in documents],
            )
            await self._run_many(
                "INSERT INTO seen (provider, key) VALUES (?, ?) ON CONFLICT DO NOTHING", [(provider, key) for key in seen]
            )
            if noise is None:
                await self._queue(deliveries, now)
            else:
                by_channel = _by_channel(deliveries)
                if by_channel:
                    await self._exclude_release()
                for channel, routed in by_channel.items():
                    kept = await self._kept(channel, {event.thread_key for event in routed})
                    decisions[channel] = noise.admit(channel, routed, kept, tied or {})
                    await self._write(channel, decisions[channel], noise.now())
            await self._log(events, now)
            await self._record_poll(provider, now, changed, None)
        return decisions

    async def _log(self, events: Sequence[Event], now: float) -> None:
        """Add `events` to the events log, and forget what is beyond its newest EVENTS_KEPT (a
        range of its key: cheap)."""
        if not events:
            return
        await self._run_many(
            "INSERT INTO events (event_id, found_at, provider, provider_title, type, impact, title, status, text, url)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_logged(event, now) for event in events],
        )
        await self._run("DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?", (EVENTS_KEPT,))

    async def recent_events(self, limit: int) -> list[BoardEvent]:
        """The newest `limit` events of the log, newest first."""
        rows = await self._all(
            "SELECT event_id, found_at, provider, provider_title, type, impact, title, status, text, url"
            " FROM events ORDER BY seq DESC LIMIT ?", (limit,))
        return [BoardEvent(id=event_id, at=datetime.fromtimestamp(found_at, UTC), provider=provider,
                           provider_title=provider_title, type=kind, impact=impact, title=title, status=status,
                           text=text, url=url)
                for event_id, found_at, provider, provider_title, kind, impact, title, status, text, url in rows]

    async def record_poll(self, provider: str, error: str | None = None) -> None:
        """Note a poll that changed nothing, or failed with `error`."""
        async with self._transaction():
            await self._record_poll(provider, time.time(), False, error)

    async def record_poll_times(self, polled: Sequence[tuple[str, float]]) -> None:
        """When each provider was last polled successfully, in one transaction."""
        if not polled:
            return
        async with self._transaction():
            # Only newer times are written: a row rewritten with its own value still costs a write
            # (and, on PostgreSQL, a new row version), and replicas report pages they polled before.
            # A failed poll since may have written a later last_poll_at, which stays.
            await self._run_many(
                "INSERT INTO providers (name, last_poll_at, last_success_at) VALUES (?, ?, ?) ON CONFLICT (name)"
                " DO UPDATE SET last_success_at = excluded.last_success_at, last_poll_at = CASE"
                " WHEN excluded.last_poll_at > coalesce(providers.last_poll_at, 0) THEN excluded.last_poll_at"
                " ELSE providers.last_poll_at END"
                " WHERE excluded.last_success_at > coalesce(providers.last_success_at, 0)",
                [(name, at, at) for name, at in polled],
            )

    async def _record_poll(self, provider: str, now: float, changed: bool, error: str | None) -> None:
        await self._run(
            "INSERT INTO providers (name, last_poll_at, last_success_at, last_change_at, consecutive_errors,"
            " last_error) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_poll_at = excluded.last_poll_at,"
            " last_success_at = coalesce(excluded.last_success_at, providers.last_success_at),"
            " last_change_at = coalesce(excluded.last_change_at, providers.last_change_at),"
            " consecutive_errors = CASE WHEN excluded.last_error IS NULL THEN 0"
            " ELSE providers.consecutive_errors + 1 END,"
            " last_error = excluded.last_error",
            (provider, now, now if error is None else None, now if changed else None, 0 if error is None else 1,
             self._scrubbed(error)),
        )

    # ------------------------------------------------------------ platform detection

    async def platform(self, provider: str) -> StoredPlatform | None:
        """The platform last detected for a page configured with kind "auto"."""
        rows = await self._all("SELECT kind, url, address_digest FROM platforms WHERE provider = ?", (provider,))
        return StoredPlatform(*rows[0]) if rows else None

    async def platforms(self) -> dict[str, StoredPlatform]:
        """Every page's detected platform, by provider."""
        rows = await self._all("SELECT provider, kind, url, address_digest FROM platforms")
        return {provider: StoredPlatform(kind, url, digest) for provider, kind, url, digest in rows}

    async def record_platform(self, provider: str, address: str, kind: str, url: str | None,
                              keep: Iterable[str], lease: int | None = None) -> None:
        """Remember the platform detected at `address`. The stored documents of any URL not in
        `keep` (those of a platform the page left) are forgotten: the new platform's first read is
        a first sight, not a comparison with another platform's documents."""
        kept = {url_digest(document) for document in keep}
        async with self._transaction():
            await self._fence(provider, lease)
            await self._run(
                "INSERT INTO platforms (provider, address_digest, kind, url, detected_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (provider) DO UPDATE SET address_digest = excluded.address_digest,"
                " kind = excluded.kind, url = excluded.url, detected_at = excluded.detected_at",
                (provider, url_digest(address), kind, url, time.time()),
            )
            stored = await self._all("SELECT url_digest FROM documents WHERE provider = ?", (provider,))
            await self._run_many("DELETE FROM documents WHERE provider = ? AND url_digest = ?",
                                 [(provider, digest) for (digest,) in stored if digest not in kept])

    # ------------------------------------------------------------ noise control

    async def release_due(self, noise: NoiseStage) -> list[tuple[str, Decision]]:
        """Apply each channel's rules to its waiting rows and reminders that are due, in one
        transaction: what they send is in the outbox, or none of it. Returns the decisions."""
        now = noise.now()
        decisions: list[tuple[str, Decision]] = []
        async with self._transaction():
            if not await self._may_release():
                return decisions
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
            await self._run_many("DELETE FROM waiting WHERE id = ?", [(row[0],) for row in rows])
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
                               " UNION ALL SELECT min(due_at) FROM reminders) AS due_times")
        return rows[0][0]

    async def waiting_counts(self) -> dict[tuple[str, str], int]:
        """How many events each channel keeps back, by reason."""
        rows = await self._all("SELECT channel, reason, COUNT(*) FROM waiting GROUP BY channel, reason")
        return {(channel, reason): count for channel, reason, count in rows}

    async def _kept(self, channel: str, threads: Iterable[str]) -> dict[str, dict[Reason, float]]:
        """For each of `threads` with waiting rows on `channel`: when each reason's rows are due."""
        kept: dict[str, dict[Reason, float]] = {}
        rows = await self._all_among("SELECT thread_key, reason, min(due_at) FROM waiting WHERE channel = ?"
                                     " AND thread_key IN ({marks}) GROUP BY thread_key, reason", list(threads),
                                     (channel,))
        for thread_key, reason, due_at in rows:
            kept.setdefault(thread_key, {})[reason] = due_at
        return kept

    async def _write(self, channel: str, decision: Decision, now: float) -> None:
        """Write one channel's decision (inside a transaction): its flushed threads' rows first."""
        for thread in decision.flush:
            rows = await self._all("SELECT id, event FROM waiting WHERE channel = ? AND thread_key = ?"
                                   " AND reason != 'digest' ORDER BY id", (channel, thread))
            await self._queue([(channel, Event.model_validate_json(event)) for _, event in rows], now)
            await self._run_many("DELETE FROM waiting WHERE id = ?", [(row_id,) for row_id, _ in rows])
        await self._queue([(channel, event) for event in decision.send], now)
        await self._run_many(
            "INSERT INTO waiting (channel, provider, thread_key, reason, due_at, event, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(channel, w.event.provider, w.event.thread_key, w.reason, w.due_at, w.event.model_dump_json(), w.created_at)
             for w in decision.wait],
        )
        await self._run_many(
            "INSERT INTO reminders (channel, thread_key, provider, due_at, event) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, thread_key) DO UPDATE SET provider = excluded.provider,"
            " due_at = excluded.due_at, event = excluded.event",
            [(channel, r.thread_key, r.event.provider, r.due_at, r.event.model_dump_json()) for r in decision.remind],
        )
        await self._run_many("DELETE FROM reminders WHERE channel = ? AND thread_key = ?",
                             [(channel, thread) for thread in decision.forget])
        if decision.counts["suppressed"]:
            await self._run(
                "INSERT INTO channels (name, suppressed) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET suppressed = channels.suppressed + excluded.suppressed",
                (channel, decision.counts["suppressed"]),
            )

    async def _queue(self, deliveries: Iterable[tuple[str, Event]], now: float) -> None:
        await self._run_many(
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
        return self._pending(channel, rows)

    def _pending(self, channel: str, rows: list[tuple]) -> PendingDelivery | None:
        """The delivery of the outbox row (id, provider, thread key, event, attempts, created) in `rows`."""
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
            await self._run("DELETE FROM outbox WHERE id = ?", (delivery.id,))
            if ref:
                await self._run(
                    "INSERT INTO threads (channel, thread_key, ref) VALUES (?, ?, ?)"
                    " ON CONFLICT (channel, thread_key) DO UPDATE SET ref = excluded.ref",
                    (delivery.channel, delivery.thread_key, json.dumps(ref)),
                )
            await self._run(
                "INSERT INTO channels (name, delivered, last_delivery_at) VALUES (?, 1, ?)"
                " ON CONFLICT (name) DO UPDATE SET delivered = channels.delivered + 1,"
                " last_delivery_at = excluded.last_delivery_at",
                (delivery.channel, time.time()),
            )

    async def mark_attempt(self, delivery: PendingDelivery, error: str) -> None:
        async with self._transaction():
            await self._run(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                (self._scrubbed(error), delivery.id),
            )

    async def mark_dead(self, delivery: PendingDelivery, error: str) -> None:
        """Give up one message for good: it moves to `dead_letters`, where it stays visible."""
        async with self._transaction():
            await self._run("DELETE FROM outbox WHERE id = ?", (delivery.id,))
            await self._run(
                "INSERT INTO dead_letters (id, channel, event, error, failed_at) VALUES (?, ?, ?, ?, ?)",
                (delivery.id, delivery.channel, delivery.event.model_dump_json(), self._scrubbed(error), time.time()),
            )

    async def set_disabled(self, channel: str, reason: str | None) -> None:
        async with self._transaction():
            await self._run(
                "INSERT INTO channels (name, disabled_reason) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET disabled_reason = excluded.disabled_reason",
                (channel, self._scrubbed(reason)),
            )

    async def disabled_reason(self, channel: str) -> str | None:
        rows = await self._all("SELECT disabled_reason FROM channels WHERE name = ?", (channel,))
        return rows[0][0] if rows else None

    async def dead_letters(self, channel: str) -> list[tuple[Event, str]]:
        rows = await self._all("SELECT event, error FROM dead_letters WHERE channel = ? ORDER BY id", (channel,))
        return [(Event.model_validate_json(event), error) for event, error in rows]

    # ------------------------------------------------------------ for `statusbot status`

    async def provider_rows(self) -> list[ProviderRow]:
        """Every provider seen, by name."""
        return [ProviderRow(*row) for row in await self._all(
            "SELECT name, last_poll_at, last_success_at, last_change_at, consecutive_errors, last_error FROM providers"
            " ORDER BY name"
        )]

    async def channel_rows(self) -> list[ChannelRow]:
        """Every channel seen, by name."""
        return [ChannelRow(*row) for row in await self._all(
            "SELECT name, max(delivered), max(last_delivery_at), max(disabled_reason), CAST(sum(backlog) AS BIGINT),"
            " CAST(sum(dead) AS BIGINT),"
            " max(suppressed) FROM ("
            " SELECT name, delivered, last_delivery_at, disabled_reason, 0 AS backlog, 0 AS dead, suppressed"
            " FROM channels"
            " UNION ALL SELECT channel, 0, NULL, NULL, COUNT(*), 0, 0 FROM outbox GROUP BY channel"
            " UNION ALL SELECT channel, 0, NULL, NULL, 0, COUNT(*), 0 FROM dead_letters GROUP BY channel"
            ") AS counts GROUP BY name ORDER BY name"
        )]

    # ------------------------------------------------------------ helpers

    def _scrubbed(self, text: str | None) -> str | None:
        return None if text is None else scrub(text, self._hidden)

    async def _all_among(self, sql: str, values: Sequence[object], before: Sequence[object] = ()) -> list[tuple]:
        """The rows of `sql` (parameters: `before`, then `values` where it says `{marks}`), asked
        for at most 500 values at a time, under SQLite's bound-parameter limit."""
        rows: list[tuple] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            rows += await self._all(sql.format(marks=",".join("?" * len(chunk))), (*before, *chunk))
        return rows

    async def _scalar(self, sql: str, params: Sequence[object] = ()) -> int:
        rows = await self._all(sql, params)
        return int(rows[0][0])


def _document_row(provider: str, document: DocumentState) -> tuple[object, ...]:
    snapshot = document.snapshot.model_dump_json()
    validators = document.validators
    return (provider, url_digest(document.url), validators.etag, validators.last_modified, validators.body_hash,
            snapshot, snapshot_digest(snapshot))


def _logged(event: Event, found_at: float) -> tuple[object, ...]:
    """The events log's row of `event`: what its message says of it (a summary's count, a component's
    change, an update's text), cut short, and its link only when it is a web link."""
    message = compose(event)
    return (event.id, found_at, event.provider, event.provider_title, event.type, event.impact, message.title,
            event.status, truncate(message.text, EVENT_TEXT), message.url if is_web_link(message.url) else "")


def _by_channel(deliveries: Iterable[tuple[str, Event]]) -> dict[str, list[Event]]:
    by_channel: dict[str, list[Event]] = {}
    for channel, event in deliveries:
        by_channel.setdefault(channel, []).append(event)
    return by_channel
