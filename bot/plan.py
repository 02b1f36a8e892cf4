"""A changed poll's plan: from the fetched documents to what one store transaction writes.

Pure functions, no I/O and no clock: parse -> merge into the page's state -> detect -> (the
poller looks up which keys were seen before) -> de-duplicate -> cap (`bot.cap`) -> route. The
poller fetches, asks the store once for the seen keys, and commits the plan in one call.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.cap import capped, summaries
from bot.config import BotSettings
from bot.detect import covered_keys, detect, is_deduplicated, scope, snapshot_keys
from bot.fetch import FetchResult
from bot.model import DEFAULT_LIMITS, CutItems, Document, Event, Format, Limits, Snapshot, Validators
from bot.noise.group import ties
from bot.redaction import worth_hiding
from bot.route import ChannelFilter, route
from bot.store_base import DocumentState, page_snapshot
from bot.urls import public_address

# A document the page does not serve (404 or 410) is stored with no validators at all, which no
# answer that was read has: every one carries at least a body hash.
ABSENT = Validators()
ABSENT_STATUSES = frozenset({404, 410})
# Events one poll of one page announces before the rest are summarised: as `[bot]` says by default.
MAX_EVENTS_PER_POLL: int = BotSettings.model_fields["max_events_per_poll"].default


def is_absent(validators: Validators) -> bool:
    return validators == ABSENT


@dataclass(frozen=True)
class PollTarget:
    """What the poller needs of a provider's configuration."""

    name: str
    title: str
    url: str
    interval: float
    components: tuple[str, ...]
    secrets: frozenset[str] = frozenset()  # values from the environment: none may reach a message
    limits: Limits = DEFAULT_LIMITS  # the most items read of each document
    max_events_per_poll: int = MAX_EVENTS_PER_POLL

    @property
    def public_url(self) -> str:
        """The page's address as messages may link it: no query, user or password; "" when a
        secret is in its path."""
        return public_address(self.url, self.secrets)


@dataclass(frozen=True)
class Detection:
    """What a changed poll saw: the page's new state and the events it may announce."""

    target: PollTarget  # the page polled: whose events, where to read more, how many to announce
    documents: dict[str, DocumentState]  # by URL
    snapshot: Snapshot  # the whole page now, before the provider's `components` scope
    candidates: list[Event]
    baseline: list[str]  # on first sight, every key on the page: recorded as seen
    cuts: dict[str, Mapping[CutItems, int]]  # by URL, of documents a limit cut: how many each listed

    def keys_to_check(self) -> list[str]:
        """The keys whose earlier sight would suppress a candidate."""
        return [key for event in self.candidates if is_deduplicated(event) for key in covered_keys(event)]


@dataclass(frozen=True)
class Plan:
    """One poll's transaction: the documents, the keys now seen, and one outbox row per route."""

    documents: list[DocumentState]
    seen: list[str]
    deliveries: list[tuple[str, Event]]  # (channel, event)
    events: list[Event]  # announced (before routing): those kept, then the summaries
    summarised: int = 0  # changes over the cap, announced only as counted in the summaries
    tied: Mapping[str, str] = field(default_factory=dict)  # components named by an open incident (bot.noise.group)


def detect_changes(target: PollTarget, page_format: Format, documents: Sequence[Document],
                   state: Mapping[str, DocumentState], results: Sequence[FetchResult], first_run: str,
                   now: datetime) -> Detection:
    """Parse what changed, merge it into the stored state, and detect against the stored snapshot.
    Raises ParseError. `results` are in the order of `documents`; `state` is empty on first sight."""
    readings = {doc.url: page_format.read(doc.role, result.body, target.url, target.limits)
                for doc, result in zip(documents, results) if result.body is not None}
    parsed = {url: _without_secret_links(reading.snapshot, target.secrets) for url, reading in readings.items()}
    cuts = {url: reading.cut for url, reading in readings.items() if reading.cut}
    new_state = updated_state(page_format, documents, state, results, parsed)
    old = page_snapshot(state.values()) if state else None
    new = page_snapshot(new_state.values())
    # Without the history of resolved incidents, an incident that leaves the list of open ones ended.
    vanished_means_resolved = page_format.vanished_means_resolved or any(
        is_absent(document.validators) for document in new_state.values()
    )
    candidates = detect(
        target.name,
        target.title,
        None if old is None else scope(old, target.components),
        scope(new, target.components),
        now,
        first_run,
        page_url=target.public_url,
        vanished_means_resolved=vanished_means_resolved,
    )
    if old is None:
        return Detection(target, new_state, new, candidates, list(snapshot_keys(new)), cuts)
    # A history served again is a first sight of what only it shows: incidents that ended while it
    # was missing (announced as they left the list of open ones) are not news again.
    returned = [url for url, document in new_state.items()
                if url in state and is_absent(state[url].validators) and not is_absent(document.validators)]
    past = {iid: incident for url in returned for iid, incident in new_state[url].snapshot.incidents.items()
            if incident.is_final and iid not in old.incidents}
    fresh = [event for event in candidates if event.incident is None or event.incident.id not in past]
    return Detection(target, new_state, new, fresh, list(snapshot_keys(Snapshot(incidents=past))), cuts)


def _without_secret_links(snapshot: Snapshot, secrets: frozenset[str]) -> Snapshot:
    """`snapshot` with no incident link that holds a secret of the page's URL (a link a page made
    from the address it was read at): such an incident links to the page's public address."""
    hidden = worth_hiding(secrets)  # as public_address: a short value is no secret, and in many links
    if not hidden:
        return snapshot
    leaky = {iid: incident.model_copy(update={"url": ""}) for iid, incident in snapshot.incidents.items()
             if any(secret in incident.url for secret in hidden)}
    if not leaky:
        return snapshot
    return Snapshot(incidents={**snapshot.incidents, **leaky}, components=snapshot.components)


def updated_state(page_format: Format, documents: Sequence[Document], state: Mapping[str, DocumentState],
                  results: Sequence[FetchResult], parsed: Mapping[str, Snapshot]) -> dict[str, DocumentState]:
    """Each document's new validators and partial snapshot: parsed where it changed, else as stored;
    empty where the page does not serve it."""
    updated = dict(state)
    for doc, result in zip(documents, results):
        previous = state[doc.url].snapshot if doc.url in state else Snapshot()
        snapshot = Snapshot() if is_absent(result.validators) else parsed.get(doc.url, previous)
        if page_format.keeps_unlisted_components and snapshot is not previous and previous.components:
            snapshot = Snapshot(incidents=snapshot.incidents, components={**previous.components, **snapshot.components})
        updated[doc.url] = DocumentState(doc.url, result.validators, snapshot)
    return updated


def plan_commit(detection: Detection, seen_before: set[str], channels: Sequence[ChannelFilter]) -> Plan:
    """Drop the events already announced, keep at most the target's cap of the rest, and route
    them; what is over the cap reaches each channel that wanted some of it as one summary, after
    the rest. Every key is recorded as seen, summarised or not: nothing is announced later."""
    fresh = [e for e in detection.candidates if not (is_deduplicated(e) and e.key in seen_before)]
    target = detection.target
    events, over = capped(fresh, target.max_events_per_poll)
    summarised = summaries(over, channels, target.public_url)
    seen = [key for key in detection.keys_to_check() if key not in seen_before] + detection.baseline
    deliveries = [(channel, event) for event in events for channel in route(channels, event)] + summarised
    announced = events + list({summary.id: summary for _, summary in summarised}.values())
    # Which open incident names each component: read only when a component changed (grouping's need).
    tied = ties(target.name, detection.snapshot) if any(event.component for event in events) else {}
    return Plan(list(detection.documents.values()), seen, deliveries, announced, len(over), tied)


def missing_components(wanted: Sequence[str], snapshot: Snapshot) -> dict[str, list[str]]:
    """Each configured component name that no component of the page answers to (by name, id or
    group), with the page's closest names: such a name filters out everything it was meant for."""
    names = sorted({alias for c in snapshot.components.values() for alias in (c.name, c.group) if alias})
    known = {alias for c in snapshot.components.values() for alias in c.aliases()}
    by_fold = {name.casefold(): name for name in names}
    return {
        name: [by_fold[close] for close in difflib.get_close_matches(name.casefold(), list(by_fold), n=3, cutoff=0.5)]
        for name in wanted
        if name.casefold() not in known
    }
