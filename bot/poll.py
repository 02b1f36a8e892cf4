"""Polling one provider: fetch the documents due, and when something changed, plan and commit.

What a changed poll writes is planned by the pure functions of `bot.plan`; this module does the
I/O around them (fetch, one lookup of seen keys, one commit) and says what an operator should know
about the page: its first good read, a history it does not serve, configured components it lacks.
When to poll, and how long to back off, is the scheduler's (`bot.schedule`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import cast

from prometheus_client import Counter

from bot.autodetect import AutoPlatform, Platform
from bot.budget import ChangeBudget
from bot.fetch import Fetcher, FetchResult
from bot.metrics import Metrics
from bot.model import (
    CutItems,
    Document,
    FetchError,
    Format,
    Limits,
    ParseError,
    Snapshot,
    Validators,
)
from bot.noise.worker import NoiseWorker
from bot.plan import (
    ABSENT,
    ABSENT_STATUSES,
    PollTarget,
    detect_changes,
    is_absent,
    missing_components,
    plan_commit,
)
from bot.route import ChannelFilter
from bot.store_base import DatabaseUnavailable, LeaseLost, SqlStore, StateError, page_snapshot

log = logging.getLogger("statusbot.poll")

# FetchError's reason for the statuses that mean "this page does not serve that document".
_ABSENT_REASONS = frozenset(f"HTTP {status}" for status in ABSENT_STATUSES)


@dataclass(frozen=True)
class PollResult:
    changed: bool  # some document had new content
    events: int  # events written to the outbox (before routing)
    result: str  # for metrics: changed, unchanged (same bytes) or not_modified (all 304)


@dataclass(frozen=True)
class PollOutcome:
    """How a poll ended, for the scheduler: `error` is None when the page was read."""

    error: Exception | None = None
    failures: int = 0  # failed polls in a row, this one included
    retry_after: float | None = None  # seconds the page asked us to wait (429, 503)


class ProviderPoller:
    """Polls one page. `page_format` None: the page's kind is "auto", and `platform` detects it;
    `platform` also detects where a page that answers 404 went."""

    def __init__(
        self,
        target: PollTarget,
        page_format: Format | None,
        fetcher: Fetcher,
        store: SqlStore,
        channels: Sequence[ChannelFilter],
        first_run: str,
        on_outbox: Callable[[set[str]], None],
        metrics: Metrics | None = None,
        changes: ChangeBudget | None = None,
        noise: NoiseWorker | None = None,
        platform: AutoPlatform | None = None,
    ):
        self.target = target
        self.fetcher = fetcher
        self.store = store
        self.channels = channels
        self.first_run = first_run
        self.on_outbox = on_outbox
        self.metrics = metrics or Metrics()
        # Each channel's noise rules decide what becomes of its deliveries; without, each is a message.
        self.noise = noise
        # Shared by all pollers: a changed page is parsed, and its snapshots held until committed,
        # by only a few polls and body bytes at once. Parsing is CPU and the database one writer,
        # so more would not be faster; a first start, where every page has changed, would hold
        # dozens of pages, and a few large pages changing every poll their bodies many times over.
        self._changes = changes or ChangeBudget(pages=1, body_bytes=1)  # alone: one page at a time
        self._told_cut: set[tuple[str, CutItems]] = set()  # (document URL, items) a limit cut, as warned this run
        self.consecutive_errors = 0
        self.polls = 0  # polls started by this poller
        self.last_poll_at: float | None = None  # unix time of the last successful poll
        # Only the validators stay in memory (snapshots are read from the database when something
        # changed): ten thousand pages' snapshots would cost far more memory than their polls.
        self._validators: dict[str, Validators] | None = None  # loaded on first poll
        self._lease: int | None = None  # the lease epoch under which they were loaded
        self._components_checked = not target.components  # the configured names, against the page's
        self._told_absent: set[str] = set()  # documents the page does not serve, as warned
        self._counted: dict[str, Counter] = {}  # result -> this provider's series, made when first seen
        # A detected platform is detected again when the page answers 404 (once in a row of failures).
        self._platform = platform
        self._may_detect_again = False
        self._read_as: Platform | None = None
        if page_format is not None:
            self._use(Platform(page_format, target.url))

    @property
    def format(self) -> Format:
        assert self._read_as is not None, "a page of kind auto is read only after its platform is detected"
        return self._read_as.format

    def _use(self, platform: Platform) -> None:
        """Read the page as `platform` from now on (at start, or once its kind is detected)."""
        self._read_as = platform
        self.target = replace(self.target, url=platform.url)
        self.documents = platform.format.documents(platform.url)
        self._urls = [doc.url for doc in self.documents]
        # Documents read every n-th poll are read at a phase of each page's own: ten thousand pages
        # started together must not all read their history in the same minute. The phase comes from
        # the page's name, not chance, so that a poller behaves the same on every run.
        cycle = math.lcm(*(doc.every for doc in self.documents))
        self._phase = zlib.crc32(self.target.name.encode()) % cycle
        self._validators = None
        # Each poll counts itself: its series are looked up once, not on every poll (a lock each).
        self._duration = self.metrics.poll_duration.labels(platform.format.kind)

    async def poll(self) -> PollOutcome:
        """Poll once, for the scheduler: a broken page is recorded and returned, not raised. Only
        the database's StateError escapes: nothing can be polled without it. A page another
        replica took over, or a shared database out of reach, ends the poll unwritten."""
        try:
            return await self._poll_and_record()
        except LeaseLost as exc:  # another replica polls this page now
            log.info("%s", exc)
        except DatabaseUnavailable:
            pass  # the replica's heartbeat reports the outage once, not every page
        return PollOutcome()

    async def _poll_and_record(self) -> PollOutcome:
        try:
            await self.poll_once()
        except (StateError, LeaseLost, DatabaseUnavailable):
            raise
        except (FetchError, ParseError) as exc:
            return await self._failed(exc, getattr(exc, "retry_after", None))
        except Exception as exc:  # a bug met on one page must not stop the others
            log.exception("provider %s: unexpected error", self.target.name)
            return await self._failed(exc, None)
        if self.consecutive_errors:
            log.info("provider %s: recovered after %d failed polls", self.target.name, self.consecutive_errors)
            self.consecutive_errors = 0
            await self.store.record_poll(self.target.name)  # `statusbot status` shows it healthy again
        return PollOutcome()

    async def _failed(self, exc: Exception, retry_after: float | None) -> PollOutcome:
        self.consecutive_errors += 1
        await self.store.record_poll(self.target.name, str(exc))
        return PollOutcome(exc, self.consecutive_errors, retry_after)

    async def poll_once(self) -> PollResult:
        """One poll. Raises FetchError or ParseError (naming nothing secret) when the page is broken."""
        name = self.target.name
        started = time.perf_counter()
        try:
            result = await self._poll_detected()
        except FetchError as exc:
            self._count_error(exc.reason)
            raise
        except ParseError:
            self._count_error("unreadable")
            raise
        finally:
            if self._read_as is not None:
                self._duration.observe(time.perf_counter() - started)
        self._may_detect_again = self._platform is not None
        self._count(result.result)
        if self.last_poll_at is None:
            log.info("provider %s: first poll of this run succeeded", name)
        self.last_poll_at = time.time()
        return result

    def _count(self, result: str) -> None:
        counter = self._counted.get(result)
        if counter is None:
            counter = self._counted[result] = self.metrics.polls.labels(self.target.name, result)
        counter.inc()

    def _count_error(self, reason: str) -> None:
        self._count("error")
        self.metrics.fetch_errors.labels(self.target.name, reason).inc()

    async def _poll_detected(self) -> PollResult:
        """A poll of a page whose platform is known; for kind "auto", detected first if it is not.
        A page that worked and answers 404 or 410 may have moved platforms: it is detected again
        (kind "auto": and read as its new platform; a configured kind: named in the log)."""
        if self._platform is None:
            return await self._poll()
        if self._read_as is None:
            self._use(await self._platform.current(self.store.lease(self.target.name)))
            self._may_detect_again = True
        try:
            return await self._poll()
        except FetchError as exc:
            if not (self._may_detect_again and exc.reason in _ABSENT_REASONS and self._read_as is not None):
                raise
            self._may_detect_again = False  # once a row of failures: a broken page is not detected every poll
            moved = await self._platform.again(self._read_as, f"it answers {exc.reason}",
                                               self.store.lease(self.target.name))
            if moved is None:
                raise
            # The new platform's documents are a first sight: its open incidents are announced
            # (under its own ids, which the old platform's seen keys do not know), not its history.
            self.first_run = "active" if self.first_run == "all" else self.first_run
            self._use(moved)
            return await self._poll()

    async def _poll(self) -> PollResult:
        lease = self.store.lease(self.target.name)
        if self._validators is None or lease != self._lease:
            # First poll, or the page came (back) from another replica, which may have read it since.
            self._validators = await self.store.validators(self.target.name, self._urls)
            self._lease = lease  # and the epoch this poll's writes are fenced with
        known = self._validators
        self.polls += 1
        due = [doc for doc in self.documents if doc.url not in known or (self.polls + self._phase) % doc.every == 0]
        fetched = await self._fetch_all(due)
        if self.polls > 1 and all(result.validators is known.get(url) for url, result in fetched.items()):
            # The usual poll: every document asked answered 304, so nothing moved (the first poll
            # of a run takes the long way: it checks the configured components).
            all_304 = all(known[doc.url].etag for doc in self.documents)
            return PollResult(changed=False, events=0, result="not_modified" if all_304 else "unchanged")
        if any(fetched[doc.url].changed for doc in due if doc.every == 1):
            # Open incidents moved: resolutions and completions are in the other documents.
            fetched |= await self._fetch_all([doc for doc in self.documents if doc.url not in fetched])
        results = [fetched.get(doc.url) or FetchResult(None, known[doc.url]) for doc in self.documents]
        if not any(self._news(doc, result) for doc, result in zip(self.documents, results)):
            moved = {doc.url: r.validators for doc, r in zip(self.documents, results) if r.validators != known[doc.url]}
            if moved:
                await self.store.update_validators(self.target.name, moved, lease=self._lease)
                known.update(moved)
            if not self._components_checked and self.polls == 1:  # as stored by the last run
                self._check_components(page_snapshot((await self.store.documents(self.target.name, self._urls)).values()))
            all_304 = not moved and all(result.validators.etag for result in results)
            return PollResult(changed=False, events=0, result="not_modified" if all_304 else "unchanged")
        async with self._changes.hold(sum(len(result.body) for result in results if result.body is not None)):
            return await self._changed(results)

    def _news(self, doc: Document, result: FetchResult) -> bool:
        """Whether this document's answer changes what is stored: new content, first sight, or
        the page starting or ceasing to serve it."""
        known = cast(dict[str, Validators], self._validators)
        if result.changed or doc.url not in known:
            return True
        return is_absent(result.validators) != is_absent(known[doc.url])

    async def _fetch_all(self, documents: list[Document]) -> dict[str, FetchResult]:
        """Fetch concurrently; every fetch ends (within its deadline) before this does, failed or not."""
        if len(documents) == 1:  # the usual poll (one summary): no task to gather
            doc = documents[0]
            return {doc.url: await self._fetch(doc)}
        outcomes = await asyncio.gather(*(self._fetch(doc) for doc in documents), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                try:
                    raise outcome
                finally:
                    # The traceback holds this frame: without this, the frame and the error would
                    # hold each other, and every failed fetch's body with them, until the cyclic GC.
                    del outcome, outcomes
        return {doc.url: cast(FetchResult, outcome) for doc, outcome in zip(documents, outcomes)}

    async def _fetch(self, doc: Document) -> FetchResult:
        """A document read every poll must answer; one read now and then (a history) may be absent:
        the page then works from the others, and the operator is told once what that costs."""
        previous = (self._validators or {}).get(doc.url)
        try:
            result = await self.fetcher.fetch(doc.url, previous)
        except FetchError as exc:
            if doc.every == 1 or exc.reason not in _ABSENT_REASONS:
                raise
            if doc.url not in self._told_absent:  # once a run: the operator may not have seen the last
                self._told_absent.add(doc.url)
                log.warning(
                    "provider %s: %s answers %s, so the page is read from %s alone: a resolution is "
                    "seen when the incident leaves it (without its last message), and later edits of "
                    "ended incidents are not seen", self.target.name, _file(doc), exc.reason,
                    " and ".join(_file(d) for d in self.documents if d.every == 1),
                )
            return FetchResult(None, ABSENT)
        if previous is not None and is_absent(previous):
            self._told_absent.discard(doc.url)
            log.info("provider %s: %s is served again", self.target.name, _file(doc))
        return result

    async def _changed(self, results: list[FetchResult]) -> PollResult:
        """Plan and commit a poll in which some document changed."""
        state = await self.store.documents(self.target.name, self._urls)
        # Parsing and detection are CPU: in a worker thread, the event loop (and /healthz) keeps answering.
        detection = await asyncio.to_thread(detect_changes, self.target, self.format, self.documents, state,
                                            results, self.first_run, datetime.now(UTC))
        self._tell_cuts(detection.cuts)
        if not self._components_checked:
            self._check_components(detection.snapshot)
        keys = detection.keys_to_check()
        seen_before = await self.store.seen_among(self.target.name, keys) if keys else set()
        plan = plan_commit(detection, seen_before, self.channels)
        stage = self.noise.stage if self.noise else None
        decisions = await self.store.commit_poll(self.target.name, plan.documents, plan.seen, plan.deliveries,
                                                 changed=True, noise=stage, tied=plan.tied, lease=self._lease,
                                                 events=plan.events)
        self._validators = {document.url: document.validators for document in plan.documents}
        if self.noise is not None:
            self.noise.note(decisions.items())
        elif plan.deliveries:
            self.on_outbox({channel for channel, _ in plan.deliveries})
        if plan.summarised:
            log.warning("provider %s: %d changes over max_events_per_poll (%d) only counted in a summary",
                        self.target.name, plan.summarised, self.target.max_events_per_poll)
        for event in plan.events:
            self.metrics.events.labels(event.type).inc()
            log.debug("provider %s: %s %s", self.target.name, event.type, event.key)
        return PollResult(changed=True, events=len(plan.events), result="changed")

    def _tell_cuts(self, cuts: Mapping[str, Mapping[CutItems, int]]) -> None:
        """Warn, once a run per document and kind of item, of what the limits left unread."""
        for doc in self.documents:
            for items, listed in cuts.get(doc.url, {}).items():
                if (doc.url, items) not in self._told_cut:
                    self._told_cut.add((doc.url, items))
                    log.warning("provider %s: %s", self.target.name, _cut(_file(doc), items, listed, self.target.limits))

    def _check_components(self, snapshot: Snapshot) -> None:
        """Warn, once, of each configured component name the page does not have: it filters out
        everything it was meant to let through."""
        if not snapshot.components:
            return  # nothing listed (yet): incident.io pages sometimes list none
        self._components_checked = True
        for name, closest in missing_components(self.target.components, snapshot).items():
            hint = f"; closest: {', '.join(map(repr, closest))}" if closest else ""
            log.warning("provider %s: the page has no component %r (components = [...] matches names, "
                        "ids and group names, ignoring case)%s", self.target.name, name, hint)


def _cut(file: str, items: CutItems, listed: int, limits: Limits) -> str:
    """What a limit left out of a document, and which setting raises it."""
    if items == "components":
        return f"{file} lists {listed} components; reading the first {limits.components} ([bot] max_components)"
    if items == "updates":
        return (f"{file} lists an incident with {listed} updates; reading the newest {limits.updates} of each "
                "([bot] max_updates)")
    return f"{file} lists {listed} {items}; reading the newest {limits.incidents} ([bot] max_incidents)"


def _file(doc: Document) -> str:
    """A document's last path segment (e.g. incidents.json): what a log line needs, and no part
    of the base URL, which may carry a secret."""
    return doc.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
