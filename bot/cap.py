"""The cap on what one poll of one page announces: a page that shows thousands of changes at once
(3,000 unresolved incidents at first sight) must not put thousands of messages before another
page's outage in every channel. Pure, like the rest of the plan.

Beyond the cap, whole threads are kept, the ones that hurt most first, and each channel that
would have received some of the rest gets one `provider.summary` event that counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.model import COMPONENT_OK, IMPACTS, Event, event_id, ids_digest
from bot.route import ChannelFilter, wants

_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def capped(events: Sequence[Event], cap: int) -> tuple[list[Event], list[Event]]:
    """(kept, summarised): at most `cap` of `events` kept, each list in the order of `events`.

    Threads (an incident, a maintenance, a component) are kept or summarised whole, so a kept
    thread never stops in chat at "investigating" while its page says resolved, and order within
    it holds. They are ranked by what hurts most: still ongoing first (what is broken now), then
    the highest impact, then the most recent change; ties keep the page's order. A thread that
    does not fit in what is left of the cap is summarised and smaller ones after it may still fit,
    so a thread with more changes in one poll than the cap is summarised whole.
    """
    if len(events) <= cap:
        return list(events), []
    threads: dict[str, list[Event]] = {}
    for event in events:
        threads.setdefault(event.thread_key, []).append(event)
    kept: set[str] = set()
    room = cap
    for thread_key, thread in sorted(threads.items(), key=lambda item: _harm(item[1]), reverse=True):
        if room == 0:
            break
        if len(thread) <= room:
            kept.add(thread_key)
            room -= len(thread)
    return ([event for event in events if event.thread_key in kept],
            [event for event in events if event.thread_key not in kept])


def summaries(summarised: Sequence[Event], channels: Sequence[ChannelFilter], page_url: str) -> list[tuple[str, Event]]:
    """(channel, summary) for each channel that would have received some of `summarised`: its own
    summary, counting only those (a channel that wants critical incidents alone hears of the
    critical ones it missed, not of every change on the page)."""
    routed: list[tuple[str, Event]] = []
    for channel in channels:
        missed = [event for event in summarised if wants(channel, event)]
        if missed:
            routed.append((channel.name, summary_event(missed, page_url)))
    return routed


def summary_event(events: Sequence[Event], page_url: str) -> Event:
    """One event standing for `events` (of one provider), linking to its page. Its id and key
    come from the ids of the events it stands for: the same poll planned again after a crash
    writes the same summary, and a webhook receiver can drop the resend."""
    first = events[0]
    digest = ids_digest(sorted(event.id for event in events))
    key = f"summary:{digest}"
    return Event(
        id=event_id(first.provider, key),
        type="provider.summary",
        key=key,
        provider=first.provider,
        provider_title=first.provider_title,
        thread_key=f"{first.provider}:summary:{digest}",  # a thread of its own: nothing follows it
        impact=max((event.impact for event in events), key=IMPACTS.index),
        occurred_at=max((event.occurred_at for event in events if event.occurred_at), default=None),
        url=page_url,
        summarised=len(events),
    )


def _harm(thread: list[Event]) -> tuple[bool, int, datetime]:
    """How much a thread hurts, greatest first when sorted in reverse."""
    return (
        _ongoing(thread[-1]),
        max(IMPACTS.index(event.impact) for event in thread),
        max(event.occurred_at or _LONG_AGO for event in thread),
    )


def _ongoing(event: Event) -> bool:
    """Whether the thread is still open once `event`, its latest, is told."""
    if event.component is not None:
        return event.component.status != COMPONENT_OK
    return event.incident is not None and not event.incident.is_final
