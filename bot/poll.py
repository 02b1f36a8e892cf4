"""Polling one provider: fetch its documents, parse what changed, detect, persist, wake delivery."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from bot.detect import covered_keys, detect, is_deduplicated, scope, snapshot_keys
from bot.fetch import Fetcher, FetchResult, Validators
from bot.metrics import Metrics
from bot.model import Document, Event, FetchError, Format, ParseError, Snapshot
from bot.route import ChannelFilter, route
from bot.state import DocumentState, StateError, Store, page_snapshot

log = logging.getLogger("statusbot.poll")

MAX_BACKOFF = 900.0  # a failing page is still tried every 15 minutes


@dataclass(frozen=True)
class PollTarget:
    """What the poller needs of a provider's configuration."""

    name: str
    title: str
    url: str
    interval: float
    components: tuple[str, ...]


@dataclass(frozen=True)
class PollResult:
    changed: bool  # some document had new content
    events: int  # events written to the outbox (before routing)
    result: str  # for metrics: changed, unchanged (same bytes) or not_modified (all 304)


class ProviderPoller:
    def __init__(
        self,
        target: PollTarget,
        page_format: Format,
        fetcher: Fetcher,
        store: Store,
        channels: Sequence[ChannelFilter],
        first_run: str,
        on_outbox: Callable[[set[str]], None],
        metrics: Metrics | None = None,
        changes: asyncio.Semaphore | None = None,
    ):
        self.target = target
        self.format = page_format
        self.fetcher = fetcher
        self.store = store
        self.channels = channels
        self.first_run = first_run
        self.on_outbox = on_outbox
        self.metrics = metrics or Metrics()
        # Shared by all pollers: a changed page is parsed, and its snapshots held until committed,
        # by only a few polls at once. Parsing is CPU and the database one writer, so more would
        # not be faster; a first start, where every page has changed, would hold dozens of pages.
        self._changes = changes or asyncio.Semaphore()
        self.documents = page_format.documents(target.url)
        self.consecutive_errors = 0
        self._polls = 0
        # Documents read every n-th poll are read at a phase of each page's own: ten thousand pages
        # started together must not all read their history in the same minute. The phase comes from
        # the page's name, not chance, so that a poller behaves the same on every run.
        cycle = math.lcm(*(doc.every for doc in self.documents))
        self._phase = zlib.crc32(target.name.encode()) % cycle
        self.last_poll_at: float | None = None  # unix time of the last successful poll
        # Only the validators stay in memory (snapshots are read from the database when something
        # changed): ten thousand pages' snapshots would cost far more memory than their polls.
        self._validators: dict[str, Validators] | None = None  # loaded on first poll

    async def poll_once(self) -> PollResult:
        """One poll. Raises FetchError or ParseError (naming nothing secret) when the page is broken."""
        name = self.target.name
        started = time.perf_counter()
        try:
            result = await self._poll()
        except FetchError as exc:
            self._count_error(exc.reason)
            raise
        except ParseError:
            self._count_error("unreadable")
            raise
        finally:
            self.metrics.poll_duration.labels(self.format.kind).observe(time.perf_counter() - started)
        self.metrics.polls.labels(name, result.result).inc()
        self.last_poll_at = time.time()
        return result

    async def _fetch_all(self, documents: list[Document]) -> dict[str, FetchResult]:
        """Fetch concurrently; every fetch ends (within its deadline) before this does, failed or not."""
        known = self._validators or {}
        if len(documents) == 1:  # the usual poll (one summary): no task to gather
            doc = documents[0]
            return {doc.url: await self.fetcher.fetch(doc.url, known.get(doc.url))}
        outcomes = await asyncio.gather(
            *(self.fetcher.fetch(doc.url, known.get(doc.url)) for doc in documents),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                try:
                    raise outcome
                finally:
                    # The traceback holds this frame: without this, the frame and the error would
                    # hold each other, and every failed fetch's body with them, until the cyclic GC.
                    del outcome, outcomes
        return {doc.url: cast(FetchResult, outcome) for doc, outcome in zip(documents, outcomes)}

    def _count_error(self, reason: str) -> None:
        self.metrics.polls.labels(self.target.name, "error").inc()
        self.metrics.fetch_errors.labels(self.target.name, reason).inc()

    async def _poll(self) -> PollResult:
        if self._validators is None:
            self._validators = await self.store.validators(self.target.name)
        known = self._validators
        self._polls += 1
        due = [doc for doc in self.documents if doc.url not in known or (self._polls + self._phase) % doc.every == 0]
        fetched = await self._fetch_all(due)
        if any(fetched[doc.url].changed for doc in due if doc.every == 1):
            # Open incidents moved: resolutions and completions are in the other documents.
            fetched |= await self._fetch_all([doc for doc in self.documents if doc.url not in fetched])
        results = [fetched.get(doc.url) or FetchResult(None, known[doc.url]) for doc in self.documents]
        if not any(result.changed for result in results) and all(doc.url in known for doc in self.documents):
            moved = {doc.url: r.validators for doc, r in zip(self.documents, results) if r.validators != known[doc.url]}
            if moved:
                await self.store.update_validators(self.target.name, moved)
                known.update(moved)
            all_304 = not moved and all(result.validators.etag for result in results)
            return PollResult(changed=False, events=0, result="not_modified" if all_304 else "unchanged")
        async with self._changes:
            return await self._changed(results)

    async def _changed(self, results: list[FetchResult]) -> PollResult:
        """Parse, detect, and commit a poll in which some document changed."""
        state = await self.store.documents(self.target.name)
        parsed = {
            doc.url: self.format.parse(doc.role, result.body, self.target.url)
            for doc, result in zip(self.documents, results)
            if result.body is not None
        }
        new_state = self._updated_state(state, results, parsed)
        first_sight = not state
        old = None if first_sight else page_snapshot(state.values())
        new = page_snapshot(new_state.values())
        now = datetime.now(UTC)
        candidates = detect(
            self.target.name,
            self.target.title,
            None if old is None else scope(old, self.target.components),
            scope(new, self.target.components),
            now,
            self.first_run,
            page_url=self.target.url,
            vanished_means_resolved=self.format.vanished_means_resolved,
        )
        events, seen = await self._unseen(candidates)
        if first_sight:
            seen.extend(snapshot_keys(new))
        deliveries = [(channel, event) for event in events for channel in route(self.channels, event)]
        await self._persist(new_state, seen, deliveries, changed=True)
        if deliveries:
            self.on_outbox({channel for channel, _ in deliveries})
        for event in events:
            self.metrics.events.labels(event.type).inc()
            log.debug("provider %s: %s %s", self.target.name, event.type, event.key)
        return PollResult(changed=True, events=len(events), result="changed")

    async def poll_and_report(self) -> float:
        """Poll once, reporting a broken page; the seconds until the next poll should start."""
        started = time.monotonic()
        try:
            await self.poll_once()
        except StateError:
            raise  # the database is the one thing we cannot work without
        except (FetchError, ParseError) as exc:
            return await self._failed(exc, getattr(exc, "retry_after", None))
        except Exception as exc:  # a bug met on one page must not stop the others
            log.exception("provider %s: unexpected error", self.target.name)
            return await self._failed(exc, None)
        if self.consecutive_errors:
            log.info("provider %s: recovered after %d failed polls", self.target.name, self.consecutive_errors)
            self.consecutive_errors = 0
            await self.store.record_poll(self.target.name)  # `statusbot status` shows it healthy again
        # Polls start at most `interval` apart, whatever the poll took: a change is seen within
        # one interval. The first polls after a start come within seconds of each other; the
        # second ones are spread over the whole interval, so that ten thousand pages are not
        # polled in one burst a minute. Later, jitter below the interval keeps them apart.
        share = random.random() if self._polls == 1 else random.uniform(0.9, 1.0)
        return max(0.0, self.target.interval * share - (time.monotonic() - started))

    async def _failed(self, exc: Exception, retry_after: float | None) -> float:
        self.consecutive_errors += 1
        backoff = min(self.target.interval * 2 ** (self.consecutive_errors - 1), max(MAX_BACKOFF, self.target.interval))
        delay = max(backoff, retry_after or 0.0)
        log.warning(
            "provider %s: %s (failed %d time%s in a row; next try in %.0fs)",
            self.target.name, exc, self.consecutive_errors, "" if self.consecutive_errors == 1 else "s", delay,
        )
        await self.store.record_poll(self.target.name, str(exc))
        return delay

    async def _unseen(self, candidates: list[Event]) -> tuple[list[Event], list[str]]:
        """Drop events already announced; return the rest and every key they account for."""
        keys = [key for event in candidates if is_deduplicated(event) for key in covered_keys(event)]
        seen_before = await self.store.seen_among(self.target.name, keys) if keys else set()
        fresh = [e for e in candidates if not (is_deduplicated(e) and e.key in seen_before)]
        return fresh, [key for key in keys if key not in seen_before]

    def _updated_state(self, state: dict[str, DocumentState], results: Sequence[FetchResult],
                       parsed: dict[str, Snapshot]) -> dict[str, DocumentState]:
        updated = dict(state)
        for doc, result in zip(self.documents, results):
            previous = state[doc.url].snapshot if doc.url in state else Snapshot()
            snapshot = parsed.get(doc.url, previous)
            if snapshot is not previous and previous.components:
                # Pages (incident.io) sometimes leave components out of one answer: a component
                # keeps its last known status until the page lists it again.
                snapshot = Snapshot(incidents=snapshot.incidents,
                                    components={**previous.components, **snapshot.components})
            updated[doc.url] = DocumentState(doc.url, result.validators, snapshot)
        return updated

    async def _persist(self, new_state: dict[str, DocumentState], seen: list[str],
                       deliveries: list[tuple[str, Event]], changed: bool) -> None:
        await self.store.commit_poll(self.target.name, new_state.values(), seen, deliveries, changed)
        self._validators = {url: document.validators for url, document in new_state.items()}


async def wait_for_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True if `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
