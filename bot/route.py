"""Routing: which channels want an event. One pure rule, so it can be read and tested at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.model import COMPONENT_OK, IMPACTS, Event


class ChannelFilter(Protocol):
    """What routing reads of a channel. Read-only, so a frozen channel whose fields are narrower
    (an impact is one of four names) satisfies it."""

    @property
    def name(self) -> str: ...
    @property
    def providers(self) -> tuple[str, ...]: ...
    @property
    def min_impact(self) -> str: ...
    @property
    def events(self) -> tuple[str, ...]: ...
    @property
    def components(self) -> tuple[str, ...]: ...
    @property
    def mention(self) -> str | None: ...
    @property
    def mention_min_impact(self) -> str: ...


def wants(channel: ChannelFilter, event: Event) -> bool:
    """Whether `channel` should hear about `event`.

    - `providers`: empty means every provider.
    - `events`: the family (incident, component, maintenance) must be listed.
    - `min_impact`: incidents and components below it are dropped. Maintenances are planned work
      with no impact of their own; a channel that does not want them leaves them out of `events`.
    - `components`: when set, a component event must name one of them (by name or id), and an
      incident must touch one of them, or name no component at all (the page did not say).
    - A `provider.summary` is made for one channel from the events it wanted (`bot.cap`): those
      filters were applied to them, so only `providers` is asked again.
    """
    if channel.providers and event.provider not in channel.providers:
        return False
    if event.type == "provider.summary":
        return True
    if event.family not in channel.events:
        return False
    if event.family != "maintenance" and IMPACTS.index(event.impact) < IMPACTS.index(channel.min_impact):
        return False
    return _touches_components(channel.components, event)


def mention_for(channel: ChannelFilter, event: Event) -> str | None:
    """The channel's own mention, if this event deserves it: news that something broke (a new
    incident, a component going down) at `mention_min_impact` or worse. Updates, edits and
    recoveries never ping. Page text is never a mention; this is the only source of one."""
    if not channel.mention:
        return None
    news = event.type in ("incident.created", "maintenance.created") or (
        event.type == "component.status" and event.new_status != COMPONENT_OK
    )
    if not news or IMPACTS.index(event.impact) < IMPACTS.index(channel.mention_min_impact):
        return None
    return channel.mention


def route(channels: Iterable[ChannelFilter], event: Event) -> list[str]:
    """The names of the channels that want `event`, in configuration order."""
    return [channel.name for channel in channels if wants(channel, event)]


def _touches_components(wanted: tuple[str, ...], event: Event) -> bool:
    if not wanted:
        return True
    names = {w.casefold() for w in wanted}
    if event.component is not None:
        return bool(names & event.component.aliases())
    if event.incident is None:
        return True
    refs = event.incident.component_ids + event.incident.component_names
    return not refs or any(ref.casefold() in names for ref in refs)
