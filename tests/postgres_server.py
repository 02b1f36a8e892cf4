"""A real PostgreSQL server for the tests: `initdb` on a temporary folder, started with `pg_ctl` on a
free 127.0.0.1 port, stopped and deleted afterwards. Throwaway, so it trades durability for speed
(no fsync). Needs PostgreSQL 14 or newer (pg_terminate_backend with a timeout)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from tests.ports import free_port

USER = "statusbot"
NO_BINARIES = "no PostgreSQL server binaries (initdb) on PATH or in /usr/lib/postgresql/*/bin"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",  # several bot replicas, each with a pool, on one server
}
# Another test process may take the free port between our probe and the server's bind.
START_ATTEMPTS = 5


@dataclass(frozen=True)
class Binaries:
    initdb: str
    pg_ctl: str


def find_binaries() -> Binaries | None:
    """`initdb` and `pg_ctl` on PATH, else the newest /usr/lib/postgresql/*/bin (Debian and Ubuntu
    keep them off PATH); None when neither has them."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Binaries(initdb, pg_ctl)
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return Binaries(str(folder / "initdb"), str(folder / "pg_ctl"))
    return None


def _version(folder: Path) -> tuple[int, ...]:
    """.../15/bin -> (15,), .../9.6/bin -> (9, 6): compared as numbers, so 10 is newer than 9.6."""
    return tuple(int(part) for part in folder.parent.name.split(".") if part.isdigit())


def _server_account() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: then its programs run as `nobody` (uid, gid); otherwise as
    the current user (None)."""
    if os.geteuid() != 0:
        return None
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


class PostgresServer:
    """One PostgreSQL server; `with PostgresServer(binaries) as server:` starts and removes it.
    Clients connect over TCP as the superuser `statusbot`, without a password (trust)."""

    def __init__(self, binaries: Binaries, next_port: Callable[[], int] = free_port):
        self._binaries = binaries
        self._next_port = next_port
        self._account = _server_account()
        self._folder: Path | None = None
        self._running = False
        self.port = 0
        self.started_in = 0.0  # seconds from start() to accepting connections

    def start(self) -> PostgresServer:
        began = time.monotonic()
        self._folder = Path(tempfile.mkdtemp(prefix="statusbot-pg-"))
        try:
            if self._account is not None:
                os.chown(self._folder, *self._account)  # data, socket and log are created inside
            self._pg(self._binaries.initdb, "-D", str(self._data), "-U", USER, "--auth=trust",
                     "-E", "UTF8", "--locale=C", "--no-sync")
            with (self._data / "postgresql.conf").open("a") as conf:
                # The socket (and its lock file) in our folder, not in /var/run/postgresql.
                conf.write(f"unix_socket_directories = '{self._folder}'\n")
                conf.writelines(f"{name} = {value}\n" for name, value in SETTINGS.items())
            self._start_on_a_free_port()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _start_on_a_free_port(self) -> None:
        log = self._folder_path / "server.log"
        for _ in range(START_ATTEMPTS):
            port = self._next_port()
            logged = log.stat().st_size if log.exists() else 0
            started = self._pg(self._binaries.pg_ctl, "start", "-w", "-t", "30", "-D", str(self._data),
                               "-l", str(log), "-o", f"-p {port}", check=False)
            if started.returncode == 0:
                self.port, self._running = port, True
                return
            with log.open(errors="replace") as lines:
                lines.seek(logged)
                this_attempt = lines.read()
            if "Address already in use" not in this_attempt:
                break
        raise RuntimeError(f"PostgreSQL did not start: {started.stdout.strip()}\n{this_attempt.strip()}")

    def stop(self) -> None:
        """Stop the server at once (no checkpoint: its data is thrown away) and delete its folder."""
        try:
            if self._running:
                self._running = False
                self._pg(self._binaries.pg_ctl, "stop", "-m", "immediate", "-w", "-D", str(self._data))
        finally:
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database with a unique name; its URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self._admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, database: str) -> None:
        """Drop a database (its URL or name), closing whatever connections it still has."""
        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_name(database))))

    def terminate(self, database: str, application_name: str | None = None) -> int:
        """Kill the connections to a database (its URL or name), or only those with this
        application_name, as a network cut or an administrator would; how many were killed.
        It waits for each backend to exit, so that the next query on a killed connection fails
        instead of racing the exit."""
        with self._admin() as admin:
            killed = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                " WHERE datname = %(database)s AND pid <> pg_backend_pid()"
                " AND (%(application)s::text IS NULL OR application_name = %(application)s)",
                {"database": _name(database), "application": application_name},
            ).fetchone()
        assert killed is not None
        return int(killed[0])

    def _admin(self) -> psycopg.Connection[TupleRow]:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    @property
    def _folder_path(self) -> Path:
        assert self._folder is not None, "the server is not started"
        return self._folder

    @property
    def _data(self) -> Path:
        return self._folder_path / "data"

    def _pg(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the server's account, from the server's folder (the
        account may not be allowed into the current one)."""
        uid, gid = self._account or (None, None)
        done = subprocess.run(command, cwd=self._folder_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60, check=False, user=uid, group=gid,
                              extra_groups=None if self._account is None else [])
        if check and done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {done.stdout.strip()}")
        return done


def _name(database: str) -> str:
    """A database's name from its URL, or the name itself."""
    return str(conninfo_to_dict(database)["dbname"]) if "://" in database else database
