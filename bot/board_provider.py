"""What the status board shows of one watched page: its state, and the incidents, maintenances and
components behind it, from the page's stored snapshot and its polls. The one place that decides a
page's state: `statusbot status` shows the same words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bot.board_model import STATE_WORDS, STATES, BoardComponent, BoardIncident, BoardProvider, LatestUpdate, State
from bot.config import ProviderConfig
from bot.model import COMPONENT_OK, Component, Incident, Snapshot
from bot.store_base import ProviderRow
from bot.text import one_line, truncate
from bot.urls import is_web_link

# A component's status as a page state; a status no format names counts as degraded (as for routing).
COMPONENT_STATES: dict[str, State] = {
    "operational": "operational",
    "under_maintenance": "maintenance",
    "degraded_performance": "degraded",
    "partial_outage": "partial",
    "major_outage": "outage",
}
# An open incident's impact as a page state; any other impact (none, minor, unknown) is degraded.
INCIDENT_STATES: dict[str, State] = {"critical": "outage", "major": "partial"}
# The phases in which a maintenance is under way whatever its schedule says.
UNDER_WAY = frozenset({"in_progress", "verifying"})
# A maintenance still "scheduled" after its window ended (or, without an end, this long after its
# start) was never closed by its page: it is neither in progress nor upcoming, and not shown.
STALE_AFTER = timedelta(days=1)
LATEST_UPDATE_TEXT = 300  # characters of an incident's latest update the board shows

_LONG_AGO = datetime.min.replace(tzinfo=UTC)
_NEVER = datetime.max.replace(tzinfo=UTC)


def board_provider(provider: ProviderConfig, row: ProviderRow | None, page: Snapshot | None, kind: str, url: str,
                   now: datetime) -> BoardProvider:
    """The board's view of `provider`: `row` is what the database says of its polls, `page` how it
    stands as last read (None: never read), within its `components` as the bot announces it
    (SqlStore.current_pages), `kind` the platform it is read as, `url` its public address."""
    failing = row is not None and row.consecutive_errors > 0
    shown = page or Snapshot()
    broken, incidents, in_progress = _broken(shown), _open_incidents(shown), _in_progress(shown, now)
    state: State = "unknown" if page is None else _state(broken, incidents, in_progress, failing)
    return BoardProvider(
        name=provider.name,
        title=provider.title,
        kind=kind,
        url=url,
        state=state,
        state_text=STATE_WORDS[state],
        last_poll_at=_moment(row.last_poll_at) if row else None,
        last_success_at=_moment(row.last_success_at) if row else None,
        error=_error(row),
        consecutive_errors=row.consecutive_errors if row else 0,
        incidents=tuple(_incident(shown, incident) for incident in sorted(incidents, key=_last_change, reverse=True)),
        components=tuple(_component(component) for component in sorted(
            broken, key=lambda component: STATES.index(_component_state(component)))),
        maintenances_in_progress=tuple(_incident(shown, maintenance) for maintenance in sorted(
            in_progress, key=lambda maintenance: _start(maintenance) or _LONG_AGO)),
        maintenances_upcoming=tuple(_incident(shown, maintenance) for maintenance in sorted(
            _upcoming(shown, now), key=lambda maintenance: maintenance.scheduled_for or _NEVER)),
    )


def _state(broken: list[Component], incidents: list[Incident], in_progress: list[Incident], failing: bool) -> State:
    """The worst sign of a page that was read: "unreadable" (its last poll failed) only when what
    it showed last is no worse."""
    signs: list[State] = [_component_state(component) for component in broken]
    signs += [INCIDENT_STATES.get(incident.impact, "degraded") for incident in incidents]
    if in_progress:
        signs.append("maintenance")
    if failing:
        signs.append("unreadable")
    return min(signs, key=STATES.index, default="operational")


def _broken(page: Snapshot) -> list[Component]:
    """The components that are not operational, in the page's order."""
    return [component for component in page.components.values() if component.status != COMPONENT_OK]


def _component_state(component: Component) -> State:
    return COMPONENT_STATES.get(component.status, "degraded")


def _open_incidents(page: Snapshot) -> list[Incident]:
    return [incident for incident in page.incidents.values() if incident.kind == "incident" and not incident.is_final]


def _open_maintenances(page: Snapshot) -> Iterable[Incident]:
    return (incident for incident in page.incidents.values() if incident.kind == "maintenance" and not incident.is_final)


def _in_progress(page: Snapshot, now: datetime) -> list[Incident]:
    """The maintenances under way: said so by their page, or started and not over."""
    return [m for m in _open_maintenances(page)
            if m.status in UNDER_WAY or (m.scheduled_for is not None and m.scheduled_for <= now and not _stale(m, now))]


def _upcoming(page: Snapshot, now: datetime) -> list[Incident]:
    """The maintenances to come: scheduled in the future (or at no time the page gave)."""
    return [m for m in _open_maintenances(page)
            if m.status not in UNDER_WAY and (m.scheduled_for is None or m.scheduled_for > now)]


def _stale(maintenance: Incident, now: datetime) -> bool:
    assert maintenance.scheduled_for is not None
    end = maintenance.scheduled_until or maintenance.scheduled_for + STALE_AFTER
    return end <= now


def _incident(page: Snapshot, incident: Incident) -> BoardIncident:
    latest = incident.updates[-1] if incident.updates else None
    return BoardIncident(
        id=incident.id,
        title=incident.title,
        status=incident.status,
        impact=incident.impact,
        url=incident.url if is_web_link(incident.url) else "",
        started_at=_start(incident),
        updated_at=incident.updated_at or (latest.created_at if latest else None),
        scheduled_until=incident.scheduled_until,
        components=incident.component_names or tuple(
            page.components[cid].name for cid in incident.component_ids if cid in page.components),
        latest_update=None if latest is None else LatestUpdate(
            status=latest.status, body=truncate(latest.body.strip(), LATEST_UPDATE_TEXT), at=latest.created_at),
    )


def _component(component: Component) -> BoardComponent:
    return BoardComponent(name=component.name, group=component.group, status=component.status)


def _start(incident: Incident) -> datetime | None:
    """When it began: a maintenance's scheduled start, else when it was created (or first told)."""
    if incident.kind == "maintenance" and incident.scheduled_for is not None:
        return incident.scheduled_for
    return incident.created_at or (incident.updates[0].created_at if incident.updates else None)


def _last_change(incident: Incident) -> datetime:
    updated = incident.updated_at or (incident.updates[-1].created_at if incident.updates else None)
    return updated or _start(incident) or _LONG_AGO


def _error(row: ProviderRow | None) -> str | None:
    """The error the last poll failed with, if it failed, on one line (a database from before errors
    were made one line may hold a line break)."""
    if row is None or not row.consecutive_errors or not row.last_error:
        return None
    return one_line(row.last_error)


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
