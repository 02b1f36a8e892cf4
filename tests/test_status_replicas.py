"""`statusbot status` on a PostgreSQL database shared by replicas: which replicas there are, when each
last beat and how many pages each holds; the database's password never shown; a database it cannot
read is one line. Against a real PostgreSQL server the suite starts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.config import BotSettings, Config, ProviderConfig
from bot.state_pg import PostgresStore
from bot.status import SILENT_AFTER, render_status
from bot.store_base import SqlStore
from tests.bot_process import BotProcess
from tests.builders import CONSOLE_CHANNEL
from tests.ports import free_port

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'statusbot[postgres]'")

PAGES = ("acme", "nova", "zeta")
PASSWORD = "pg-S3cret-7b41e9"


@contextlib.asynccontextmanager
async def replicas(url: str, *names: str) -> AsyncIterator[list[PostgresStore]]:
    """Replicas named `names` on one database, each joined and past its first heartbeat: the pages
    split between them as a running bot's would be."""
    async with contextlib.AsyncExitStack() as opened:
        stores = []
        for name in names:
            store = await PostgresStore.open(url, 10, replica=name)
            opened.push_async_callback(store.close)
            stores.append(store)
        for store in stores:
            await store.join(PAGES)
        for store in stores:
            await store.beat(PAGES, ttl=30)
        yield stores


async def sql(url: str, statement: str) -> None:
    """One statement on the database, as its administrator would run it."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await connection.execute(statement)  # type: ignore[arg-type]


def config(database: str) -> Config:
    providers = tuple(ProviderConfig(name, name.title(), "statuspage", f"http://127.0.0.1:9/{name}", 60)
                      for name in PAGES)
    return Config(bot=BotSettings(database=database), providers=providers, channels=(), source="test")


def replica_table(text: str) -> dict[str, list[str]]:
    """The replicas table of `status`: each replica's cells (split on blanks) by its name."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("REPLICA "))
    assert lines[start].split() == ["REPLICA", "STARTED", "LAST", "HEARTBEAT", "PAGES"]
    rows = [line.split() for line in lines[start + 1:]]
    return {row[0]: row[1:] for row in rows}


async def seconds_after_the_last_beat(store: SqlStore, seconds: float) -> Callable[[], float]:
    newest = max(row.heartbeat_at for row in await store.replica_rows())
    return lambda: newest + seconds


async def test_status_shows_each_replica_its_heartbeat_and_its_pages(postgres_url):
    async with replicas(postgres_url, "r1", "r2") as (first, _):
        clock = await seconds_after_the_last_beat(first, 5)
        text = await render_status(config(postgres_url), first, clock)
    table = replica_table(text)
    assert table.keys() == {"r1", "r2"}
    assert all(cells[:4] == ["5s", "ago", "5s", "ago"] for cells in table.values()), table
    assert sorted(int(cells[-1]) for cells in table.values()) == [1, 2], "three pages split between two"
    assert f"database: {postgres_url}" in text


async def test_a_replica_that_stopped_beating_shows_as_silent(postgres_url):
    async with replicas(postgres_url, "r1", "r2") as (first, _):
        await sql(postgres_url, "UPDATE replicas SET heartbeat_at = heartbeat_at - 120 WHERE name = 'r2'")
        clock = await seconds_after_the_last_beat(first, 5)
        table = replica_table(await render_status(config(postgres_url), first, clock))
        assert table["r1"][2:] == ["5s", "ago", table["r1"][-1]], "beating: no mark"
        assert table["r2"][2:5] == ["2m", "ago", "(silent)"]
        # The mark comes after SILENT_AFTER seconds without a heartbeat, not before.
        just_silent = await seconds_after_the_last_beat(first, SILENT_AFTER + 1)
        table = replica_table(await render_status(config(postgres_url), first, just_silent))
        assert "(silent)" in table["r1"]
        not_yet = await seconds_after_the_last_beat(first, SILENT_AFTER - 1)
        assert "(silent)" not in replica_table(await render_status(config(postgres_url), first, not_yet))["r1"]


async def test_no_replicas_table_when_none_shares_the_database(any_store):
    text = await render_status(config(str(any_store.path)), any_store)
    assert "REPLICA" not in text and text.startswith(f"database: {any_store.path}\n")


def status_config(tmp_path: Path, database: str, lock_timeout: float = 10) -> Path:
    pages = "".join(f'\n[[providers]]\nname = "{name}"\nkind = "statuspage"\nurl = "http://127.0.0.1:9/{name}"\n'
                    for name in PAGES)
    path = tmp_path / "statusbot.toml"
    path.write_text(f'[bot]\ndatabase = "{database}"\nlock_timeout = {lock_timeout}\n{pages}{CONSOLE_CHANNEL}')
    return path


def with_password(url: str) -> str:
    """The URL with a password (the test server trusts its clients, so any password is accepted)."""
    return url.replace("://statusbot@", f"://statusbot:{PASSWORD}@", 1)


async def test_the_status_command_shows_the_replicas_and_never_the_password(postgres_url, tmp_path):
    async with replicas(with_password(postgres_url), "r1", "r2"):
        pass  # they stay in the database after closing, as after a kill -9
    status = BotProcess("status", "--config", str(status_config(tmp_path, with_password(postgres_url))), cwd=tmp_path)
    assert status.run() == 0, status.stderr
    out = "".join(status.stdout)
    assert f"database: {postgres_url}\n" in out
    table = replica_table(out)
    assert table.keys() == {"r1", "r2"} and sum(int(cells[-1]) for cells in table.values()) == 3
    assert PASSWORD not in out + "".join(status.stderr)


async def test_a_database_status_cannot_read_is_one_line_without_the_password(postgres_url, tmp_path):
    async with replicas(postgres_url, "r1"):
        pass
    await sql(postgres_url, "UPDATE statusbot_schema SET version = 999")  # written by a newer statusbot
    status = BotProcess("status", "--config", str(status_config(tmp_path, with_password(postgres_url))), cwd=tmp_path)
    assert status.run() == 1
    [line] = status.stderr
    assert line.startswith(f"statusbot: database {postgres_url} has schema version 999"), line
    assert PASSWORD not in line and not status.stdout


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path):
    closed = f"postgresql://statusbot@127.0.0.1:{free_port()}/statusbot"
    status = BotProcess("status", "--config", str(status_config(tmp_path, with_password(closed), lock_timeout=1)),
                        cwd=tmp_path)
    assert status.run() == 1
    [line] = status.stderr
    assert line.startswith(f"statusbot: database {closed} is unreachable: "), line
    assert PASSWORD not in line and not status.stdout
