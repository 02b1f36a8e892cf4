"""`statusbot status`: what the database says about each provider and channel, as two tables, and
about the replicas sharing it (PostgreSQL), as a third."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bot.config import Config
from bot.model import COMPONENT_IMPACT, COMPONENT_OK, IMPACTS, Snapshot
from bot.store_base import ReplicaRow, SqlStore
from bot.text import one_line

# A replica beats every 10 seconds at most: one silent for a minute has stopped or lost the
# database, and its pages go to the others as their leases expire.
SILENT_AFTER = 60.0


async def render_status(config: Config, store: SqlStore, clock: Callable[[], float] = time.time) -> str:
    """The tables; times are shown relative to `clock()` (seconds since the epoch)."""
    now = clock()
    providers = {row[0]: row for row in await store.provider_rows()}
    provider_table = [("PROVIDER", "LAST POLL", "LAST CHANGE", "NOW", "ERRORS")]
    for provider in config.providers:
        row = providers.get(provider.name)
        polled, changed = (row.last_poll_at, row.last_change_at) if row else (None, None)
        errors, last_error = (row.consecutive_errors, row.last_error) if row else (0, None)
        indicator = _indicator(await store.page(provider.name), polled is not None)
        failing = f"{errors} ({last_error})" if errors else "0"
        provider_table.append((provider.name, _ago(polled, now), _ago(changed, now), indicator, failing))
    channels = {row[0]: row for row in await store.channel_rows()}
    waiting = await store.waiting_counts()
    channel_table = [("CHANNEL", "TYPE", "BACKLOG", "HELD", "DEFERRED", "SUPPRESSED", "DELIVERED", "LAST DELIVERY",
                      "GIVEN UP", "STATE")]
    for channel in config.channels:
        _, delivered, last, disabled, backlog, dead, suppressed = channels.get(
            channel.name, (channel.name, 0, None, None, 0, 0, 0))
        # Deferred: kept back for the end of quiet hours or of a digest period.
        held, deferred = waiting.get((channel.name, "hold"), 0), sum(
            waiting.get((channel.name, reason), 0) for reason in ("quiet", "digest"))
        state = f"disabled: {disabled}" if disabled else "ok"
        channel_table.append((channel.name, channel.type, str(backlog or 0), str(held), str(deferred),
                              str(suppressed or 0), str(delivered or 0), _ago(last, now), str(dead or 0), state))
    tables: list[Sequence[Sequence[str]]] = [provider_table, channel_table]
    if replicas := await store.replica_rows():
        tables.append(_replica_table(replicas, now))
    return "\n\n".join([f"database: {store.path}", *map(_table, tables)])


def _replica_table(replicas: Sequence[ReplicaRow], now: float) -> list[tuple[str, str, str, str]]:
    table = [("REPLICA", "STARTED", "LAST HEARTBEAT", "PAGES")]
    for replica in replicas:
        heartbeat = _ago(replica.heartbeat_at, now)
        if now - replica.heartbeat_at > SILENT_AFTER:
            heartbeat += " (silent)"
        table.append((replica.name, _ago(replica.started_at, now), heartbeat, str(replica.pages)))
    return table


def _indicator(snapshot: Snapshot | None, polled: bool) -> str:
    """'ok', or the open incidents and the worst component status, from the stored snapshot."""
    if snapshot is None:
        # Failed polls count as polls (LAST POLL shows them), but nothing is known of the page.
        return "unknown: page never read" if polled else "not polled yet"
    open_incidents = sum(1 for i in snapshot.incidents.values() if i.kind == "incident" and not i.is_final)
    broken = [c.status for c in snapshot.components.values() if c.status != COMPONENT_OK]
    parts = []
    if open_incidents:
        parts.append(f"{open_incidents} open incident{'s' if open_incidents > 1 else ''}")
    if broken:
        parts.append(max(broken, key=lambda status: IMPACTS.index(COMPONENT_IMPACT.get(status, "minor"))))
    return ", ".join(parts) or "ok"


def _ago(moment: float | None, now: float) -> str:
    if moment is None:
        return "never"
    seconds = max(now - moment, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def _table(rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns. Every cell is one line: a stored error or a page's status that held a
    line break would otherwise forge a row."""
    cells = [[one_line(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells)
