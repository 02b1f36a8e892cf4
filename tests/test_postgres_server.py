"""The tests' own PostgreSQL server (tests/postgres_server.py): what the PostgreSQL store's tests
rely on it for."""

from __future__ import annotations

import socket

import pytest

from tests.ports import free_port

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'statusbot[postgres]'")

from tests.postgres_server import NO_BINARIES, PostgresServer, find_binaries  # noqa: E402  (needs psycopg)


def test_a_fresh_database_keeps_a_table_and_a_row(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        connection.execute("CREATE TABLE seen (key text PRIMARY KEY)")
        connection.execute("INSERT INTO seen VALUES ('incident-1')")
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute("SELECT key FROM seen").fetchall() == [("incident-1",)]


def test_terminate_cuts_the_connections_of_one_application_then_all(
        postgres_server: PostgresServer, postgres_url: str) -> None:
    with psycopg.connect(postgres_url, application_name="replica-a", autocommit=True) as cut, \
            psycopg.connect(postgres_url, application_name="replica-b", autocommit=True) as kept:
        assert postgres_server.terminate(postgres_url, application_name="replica-a") == 1
        with pytest.raises(psycopg.OperationalError):
            cut.execute("SELECT 1")
        assert kept.execute("SELECT 1").fetchone() == (1,)

        assert postgres_server.terminate(postgres_url) == 1
        with pytest.raises(psycopg.OperationalError):
            kept.execute("SELECT 1")


def test_each_created_database_is_its_own(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second
    with psycopg.connect(first) as connection:
        connection.execute("CREATE TABLE outbox (id integer)")
    with psycopg.connect(second) as connection, pytest.raises(psycopg.errors.UndefinedTable):
        connection.execute("SELECT * FROM outbox")
    for url in (first, second):
        postgres_server.drop_database(url)


def test_a_port_taken_meanwhile_is_skipped_for_another() -> None:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(NO_BINARIES)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        with PostgresServer(binaries, next_port=lambda: next(ports)) as server:
            assert server.port != taken
            with psycopg.connect(server.url("postgres")) as connection:
                assert connection.execute("SELECT 1").fetchone() == (1,)
