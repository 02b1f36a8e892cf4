"""The status board's data (bot/board_model.py) as of one moment, read from the store in a few
queries whatever the number of pages: the board is asked for often, by every open browser."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import __version__
from bot.board_model import STATES, Board, BoardChannel, BoardCounts, BoardProvider, ChannelState, State
from bot.board_provider import board_provider
from bot.config import Config, ProviderConfig
from bot.model import AUTO_KIND
from bot.store_base import ChannelRow, SqlStore, StoredPlatform
from bot.urls import public_address

EVENTS_SHOWN = 100  # the newest events of the log the board (and its feed) show
CHANNEL_STATES: tuple[ChannelState, ...] = ("disabled", "backlog", "ok")  # the board's order of channels


async def build_board(config: Config, store: SqlStore, now: float) -> Board:
    """Every configured page (those the database knows but the configuration no longer names are
    left out), every configured channel and the newest events, as of `now` (unix seconds)."""
    moment = datetime.fromtimestamp(now, UTC)
    rows = {row.name: row for row in await store.provider_rows()}
    pages = await store.current_pages({provider.name: provider.components for provider in config.providers})
    platforms = await store.platforms()
    providers = [board_provider(provider, rows.get(provider.name), pages.get(provider.name),
                                _kind(provider, platforms.get(provider.name)),
                                public_address(provider.url, config.secrets), moment)
                 for provider in config.providers]
    channels = await _channels(config, store)
    return Board(
        generated_at=moment,
        version=__version__,
        counts=_counts(providers, channels),
        providers=tuple(sorted(providers, key=lambda p: (STATES.index(p.state), p.title.casefold(), p.name))),
        channels=tuple(sorted(channels, key=lambda c: (CHANNEL_STATES.index(c.state), c.name))),
        events=tuple(await store.recent_events(EVENTS_SHOWN)),
    )


async def _channels(config: Config, store: SqlStore) -> list[BoardChannel]:
    """Each configured channel's figures, in the configuration's order."""
    rows = {row.name: row for row in await store.channel_rows()}
    waiting = await store.waiting_counts()
    channels = []
    for channel in config.channels:
        row = rows.get(channel.name) or ChannelRow(channel.name, 0, None, None, 0, 0, 0)
        state: ChannelState = "disabled" if row.disabled_reason else "backlog" if row.backlog else "ok"
        channels.append(BoardChannel(
            name=channel.name,
            type=channel.type,
            state=state,
            disabled_reason=row.disabled_reason,
            backlog=row.backlog or 0,
            held=waiting.get((channel.name, "hold"), 0),
            # Kept back for the end of quiet hours or of a digest period.
            deferred=sum(waiting.get((channel.name, reason), 0) for reason in ("quiet", "digest")),
            suppressed=row.suppressed or 0,
            delivered=row.delivered or 0,
            given_up=row.given_up or 0,
            last_delivery_at=None if row.last_delivery_at is None else datetime.fromtimestamp(row.last_delivery_at, UTC),
        ))
    return channels


def _kind(provider: ProviderConfig, detected: StoredPlatform | None) -> str:
    """The platform the page is read as: for kind "auto", the one detected at its address, if any."""
    if provider.kind == AUTO_KIND and detected is not None and detected.detected_at(provider.url):
        return detected.kind
    return provider.kind


def _counts(providers: list[BoardProvider], channels: list[BoardChannel]) -> BoardCounts:
    by_state: dict[State, int] = dict.fromkeys(STATES, 0)
    for provider in providers:
        by_state[provider.state] += 1
    return BoardCounts(providers=len(providers), by_state=by_state, channels=len(channels),
                       channels_disabled=sum(channel.state == "disabled" for channel in channels),
                       backlog=sum(channel.backlog for channel in channels))
