"""The store `[bot] database` names: a SQLite file, or a PostgreSQL database shared by replicas."""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import BotSettings
from bot.database import is_postgres
from bot.state import Store
from bot.store_base import SqlStore


async def open_store(settings: BotSettings, hidden: Iterable[str] = ()) -> SqlStore:
    """Open and migrate the configured database; `hidden` are secrets no stored error may carry."""
    if is_postgres(settings.database):
        from bot.state_pg import PostgresStore  # psycopg is an optional extra, loaded only for it

        return await PostgresStore.open(settings.database, settings.lock_timeout, hidden, settings.replica)
    return await Store.open(settings.database, settings.lock_timeout, hidden)
