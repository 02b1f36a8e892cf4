"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from bot.state import Store
from bot.store_base import SqlStore
from tests.fakes.status_page import StatusPageServer

if TYPE_CHECKING:
    from bot.state_pg import PostgresStore
    from tests.postgres_server import PostgresServer

# Captured payloads live beside the repository (../shared), never inside it.
REAL_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The folder of real captured status-page payloads; skips the test when it is absent."""
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"real fixtures not found at {REAL_FIXTURES}")
    return REAL_FIXTURES


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A state database in the test's folder (`state.db`), closed after the test, failed or not:
    an open database thread would keep pytest from exiting."""
    opened = await Store.open(tmp_path / "state.db")
    yield opened
    await opened.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The store on each database: SQLite in the test's folder, then a fresh PostgreSQL database
    (skipped, saying why, where no PostgreSQL server can be started)."""
    if request.param == "sqlite":
        opened: SqlStore = await Store.open(tmp_path / "state.db")
    else:
        from bot.state_pg import PostgresStore

        opened = await PostgresStore.open(request.getfixturevalue("postgres_url"), 10)
    yield opened
    await opened.close()


@pytest.fixture
async def replica(postgres_url: str) -> AsyncIterator[Callable[[str], Awaitable[PostgresStore]]]:
    """Opens replicas of one bot (PostgreSQL stores named as asked) on one fresh database; all are
    closed after the test."""
    from bot.state_pg import PostgresStore

    opened: list[PostgresStore] = []

    async def open_replica(name: str) -> PostgresStore:
        opened.append(await PostgresStore.open(postgres_url, 10, replica=name))
        return opened[-1]

    yield open_replica
    for store in opened:
        await store.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """One httpx client, as the engine shares among the notifiers, closed after the test."""
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def pages() -> Iterator[StatusPageServer]:
    """A fake status-page server on 127.0.0.1."""
    with StatusPageServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server, one per test process (each xdist worker has its own), started on
    first use and stopped at the session's end, failed or not. Skips, saying why, where none can be
    had: no server binaries, or no psycopg."""
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'statusbot[postgres]'")
    # Imported here: tests.postgres_server needs psycopg, which the check above may have found missing.
    from tests.postgres_server import NO_BINARIES, PostgresServer, find_binaries

    binaries = find_binaries()
    if binaries is None:
        pytest.skip(NO_BINARIES)
    with PostgresServer(binaries) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's PostgreSQL server, dropped after the test
    (connections still open are closed) so that hundreds of tests do not fill the disk."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
