"""`statusbot status`: what the database says about each provider and channel, as two tables, and
about the replicas sharing it (PostgreSQL), as a third."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.board import build_board
from bot.board_model import BoardProvider
from bot.config import Config
from bot.store_base import ReplicaRow, SqlStore
from bot.text import counted, one_line

# A replica beats every 10 seconds at most: one silent for a minute has stopped or lost the
# database, and its pages go to the others as their leases expire.
SILENT_AFTER = 60.0


async def render_status(config: Config, store: SqlStore, clock: Callable[[], float] = time.time) -> str:
    """The tables; times are shown relative to `clock()` (seconds since the epoch). Each page's
    state is the status board's (bot/board_provider.py), in its words."""
    now = clock()
    board = await build_board(config, store, now)
    shown = {provider.name: provider for provider in board.providers}
    changes = {row.name: row.last_change_at for row in await store.provider_rows()}
    provider_table = [("PROVIDER", "LAST POLL", "LAST SUCCESS", "LAST CHANGE", "NOW", "ERRORS")]
    for name in (provider.name for provider in config.providers):
        provider = shown[name]
        failing = f"{provider.consecutive_errors} ({provider.error})" if provider.consecutive_errors else "0"
        provider_table.append((name, _ago(_seconds(provider.last_poll_at), now),
                               _ago(_seconds(provider.last_success_at), now), _ago(changes.get(name), now),
                               _now(provider), failing))
    channel_table = [("CHANNEL", "TYPE", "BACKLOG", "HELD", "DEFERRED", "SUPPRESSED", "DELIVERED", "LAST DELIVERY",
                      "GIVEN UP", "STATE")]
    channels = {channel.name: channel for channel in board.channels}
    for channel in (channels[configured.name] for configured in config.channels):
        state = f"disabled: {channel.disabled_reason}" if channel.disabled_reason else "ok"
        channel_table.append((channel.name, channel.type, str(channel.backlog), str(channel.held),
                              str(channel.deferred), str(channel.suppressed), str(channel.delivered),
                              _ago(_seconds(channel.last_delivery_at), now), str(channel.given_up), state))
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


def _now(provider: BoardProvider) -> str:
    """The page's state in the board's words, then what is behind it: 'Partial outage: 1 open
    incident, partial_outage' (the worst component status, as the page names it)."""
    details = []
    if provider.incidents:
        details.append(counted(len(provider.incidents), "open incident"))
    if provider.components:
        details.append(provider.components[0].status)
    if provider.maintenances_in_progress:
        details.append(counted(len(provider.maintenances_in_progress), "maintenance") + " in progress")
    return ": ".join([provider.state_text, ", ".join(details)]) if details else provider.state_text


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


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
