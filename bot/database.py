"""Which database `[bot] database` names: a SQLite file, or a PostgreSQL URL whose password is a secret."""

from __future__ import annotations

import importlib.util
import os
import socket
from urllib.parse import unquote, urlsplit

INSTALL_HINT = "PostgreSQL needs the postgres extra: pip install 'statusbot[postgres]'"


def is_postgres(database: str) -> bool:
    return database.startswith(("postgresql://", "postgres://"))


def postgres_missing() -> bool:
    """Whether the postgres extra (psycopg and its pool) is not installed."""
    return any(importlib.util.find_spec(module) is None for module in ("psycopg", "psycopg_pool"))


def password(database: str) -> str | None:
    """The password a PostgreSQL URL carries, if any (a secret wherever it came from)."""
    if not is_postgres(database):
        return None
    secret = urlsplit(database).password
    return unquote(secret) if secret else None


def shown(database: str) -> str:
    """The database as logs, errors and `status` show it: a URL without its password."""
    parts = urlsplit(database)
    if not is_postgres(database) or parts.password is None:
        return database
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}{parts.netloc.rpartition('@')[2]}").geturl()


def default_replica() -> str:
    """A replica's name when the configuration gives none: its host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"
