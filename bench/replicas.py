#!/usr/bin/env python3
"""statusbot replicas on one PostgreSQL: what one, two and three replicas cost for the same pages.

    python bench/replicas.py                                                   # quick: 500 pages every 10 s
    python bench/replicas.py --pages 10000 --interval 60 --duration 120        # 10,000 pages a minute

One farm of static pages on nginx (bench/farm.py) and one PostgreSQL server started here, durable
as a real one is (fsync, synchronous commit and full-page writes on). For each replica count N, one
after the other: a fresh database, N `python -m bot run` processes with the same configuration but
their `[bot] replica` name and `[bot] http` address, and one webhook channel to the receiver.
Warm-up: until the leases are split (every page held, none beyond its replica's share) and every
page was polled once since, then one more interval. Then a measured window of `--duration`
seconds, while `--change-share` of the pages get a new incident update per interval:
- polls/s: the replicas' own `statusbot_polls_total` (/metrics), summed;
- CPU of each replica, of the PostgreSQL server (the postmaster and all its children, exited
  backends included through the postmaster's children's times) and of nginx, from /proc;
- the database's connections (pg_stat_activity, sampled every second), commits, WAL and rows
  written per table (PostgreSQL's statistics, which a backend reports up to seconds late);
- pages held per replica (the leases table); every change's delivery: duplicates, the latency
  from the change landing and from the poll that read it to the webhook's arrival.
The figures of N > 1 are also given as ratios against N = 1 of the same run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's bench, tests and bot

from bench.farm import Changer, Farm, Nginx, PythonFarmServer, children, find_nginx, free_port
from bench.measure import cpu_seconds, machine, memory_kib, percentile
from bench.receiver import Receiver
from bench.run import Process, bot_process, fmt, log, wait_until, write_config
from tests.postgres_server import NO_BINARIES, PostgresServer, find_binaries

REPO = Path(__file__).resolve().parents[1]

# What the benchmark's server changes from the test suite's throwaway one: a real server's durability.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
SHOWN_SETTINGS = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers",
                  "max_connections", "checkpoint_timeout", "max_wal_size", "wal_sync_method")
TABLES = ("leases", "replicas", "providers", "documents", "seen", "outbox")
SAMPLE_EVERY = 1.0  # seconds between two counts of the database's connections
TICKS = float(os.sysconf("SC_CLK_TCK"))


# ---------------------------------------------------------------------- PostgreSQL


def make_durable(server: PostgresServer) -> None:
    """Turn the test server's speed settings back to a real server's, and wait until they hold."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
        for name, value in DURABLE.items():
            admin.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        admin.execute("SELECT pg_reload_conf()")

    def durable() -> bool:  # the reload reaches new backends once the postmaster has read the file
        return all(value == DURABLE.get(name, value) for name, value in settings(server).items())

    if wait_until(durable, 10, 0.1) is None:
        raise RuntimeError(f"PostgreSQL did not take the settings {DURABLE}: {settings(server)}")


def settings(server: PostgresServer) -> dict[str, str]:
    with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
        return {name: str(admin.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0])
                for name in SHOWN_SETTINGS}


def postmaster_pid(server: PostgresServer) -> int:
    """The server's main process: the parent of any backend."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
        backend = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
        # Read while connected: a closed connection's backend exits, and its /proc entry with it.
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children, living and exited: its own user + system time,
    its reaped children's (cutime + cstime), and each living child's. PostgreSQL's backends are
    the postmaster's children, so this is the whole server's CPU."""
    def ticks(of: int) -> float:
        fields = Path(f"/proc/{of}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime

    total = ticks(pid)
    for child in children(pid):
        try:
            total += ticks(child)
        except OSError:  # it exited between the listing and the read
            pass
    return total / TICKS



def database_work(url: str) -> dict[str, float]:
    """PostgreSQL's counters for one database: commits, WAL, rows written per table."""
    with psycopg.connect(url, autocommit=True, application_name="bench stats") as connection:
        out: dict[str, float] = {}
        commits, rollbacks = connection.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()").fetchone()
        out["commits"], out["rollbacks"] = float(commits), float(rollbacks)
        wal_bytes, wal_records = connection.execute("SELECT wal_bytes, wal_records FROM pg_stat_wal").fetchone()
        out["wal_bytes"], out["wal_records"] = float(wal_bytes), float(wal_records)
        for table, inserted, updated, deleted in connection.execute(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE relname = ANY(%s)",
                (list(TABLES),)):
            out[f"{table}_written"] = float(inserted + updated + deleted)
        return out


class ConnectionCounter:
    """Counts the bot's connections to one database (pg_stat_activity) every second, in a thread."""

    def __init__(self, server: PostgresServer, database: str):
        self._server = server
        self._database = database
        self.samples: list[dict[str, int]] = []  # application_name -> connections; "active" -> busy ones
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connections", daemon=True)

    def start(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self._server.url("postgres"), autocommit=True) as connection:
            while not self._stop.is_set():
                rows = connection.execute(
                    "SELECT application_name, count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity"
                    " WHERE datname = %s AND application_name LIKE 'statusbot %%' GROUP BY application_name",
                    (self._database,)).fetchall()
                sample = {name: int(count) for name, count, _ in rows}
                sample["active"] = sum(int(active) for _, _, active in rows)
                self.samples.append(sample)
                self._stop.wait(SAMPLE_EVERY)

    def figures(self) -> dict[str, Any]:
        totals = [sum(n for name, n in s.items() if name != "active") for s in self.samples]
        names = sorted({name for s in self.samples for name in s} - {"active"})
        return {
            "samples": len(self.samples),
            "max": max(totals, default=0),
            "mean": sum(totals) / len(totals) if totals else 0.0,
            "mean_active": sum(s["active"] for s in self.samples) / len(self.samples) if self.samples else 0.0,
            "max_per_replica": {name.removeprefix("statusbot "): max(s.get(name, 0) for s in self.samples)
                                for name in names},
        }


def pages_held(url: str) -> dict[str, int]:
    """Live leases per replica name (a lease lives while its holder beat in the last 30 s: three
    of the longest heartbeats)."""
    with psycopg.connect(url, autocommit=True, application_name="bench leases") as connection:
        rows = connection.execute(
            "SELECT r.name, count(*) FROM leases l JOIN replicas r ON r.id = l.holder"
            " WHERE r.heartbeat_at > extract(epoch from clock_timestamp()) - 30 GROUP BY r.name").fetchall()
    return {name: int(count) for name, count in rows}


# ---------------------------------------------------------------------- replicas


@dataclass
class Replica:
    name: str
    process: Process
    port: int

    def polls(self) -> dict[str, float]:
        """statusbot_polls_total by result, summed over the providers."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=30) as answer:
            text = answer.read().decode()
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line.startswith("statusbot_polls_total{"):
                labels, _, value = line.rpartition(" ")
                result = labels.split('result="', 1)[1].split('"', 1)[0]
                out[result] = out.get(result, 0.0) + float(value)
        return out


def start_replicas(args, count: int, farm: Farm, farm_url: str, database: str, receiver: Receiver,
                   workdir: Path) -> list[Replica]:
    replicas = []
    for k in range(1, count + 1):
        name, port = f"r{k}", free_port()
        config = workdir / f"n{count}-{name}.toml"
        write_config(config, farm, farm_url, database, args.interval, receiver.url)
        # the one difference between the replicas' configurations: their name and /metrics address
        config.write_text(config.read_text().replace(
            "[bot]\n", f'[bot]\nreplica = "{name}"\nhttp = "127.0.0.1:{port}"\n', 1))
        replicas.append(Replica(name, bot_process(args.repo, config, workdir, f"n{count}-{name}"), port))
    return replicas


def stop_replicas(replicas: list[Replica]) -> list[int | str]:
    """One SIGTERM each, one after the other: a second SIGTERM at a bot that is already
    stopping may land after its handler is gone and kill it (exit -15)."""
    return [replica.process.stop() for replica in replicas]


def check_all(replicas: list[Replica]) -> None:
    for replica in replicas:
        replica.process.check()


# ---------------------------------------------------------------------- one replica count


def run_count(args, count: int, farm: Farm, farm_server, postgres: PostgresServer, postmaster: int,
              workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"replicas": count}
    # Every count starts from the same pages: the changer posts the same updates again, which a
    # page still showing the last count's changes would not show as new.
    farm.generate()
    url = postgres.create_database()
    database = str(conninfo_to_dict(url)["dbname"])
    receiver = Receiver().start()
    step = min(0.25, args.interval / 5)
    log(f"N={count}: starting {count} replica(s) on {farm.pages} pages, interval {args.interval:g}s")
    started = time.monotonic()
    replicas = start_replicas(args, count, farm, farm_server.url, url, receiver, workdir)
    try:
        def watching() -> bool:
            check_all(replicas)
            return all("watching" in r.process.stderr() for r in replicas)

        def split() -> bool:
            check_all(replicas)
            held = pages_held(url)
            return (len(held) == count and sum(held.values()) == farm.pages
                    and max(held.values()) <= math.ceil(farm.pages / count))

        wait_until(watching, 120, step)
        out["to_split_s"] = wait_until(split, args.interval * 3 + 120, step)
        split_at = time.time()
        out["to_polled_s"] = wait_until(lambda: farm_server.poll_log.pages(split_at) >= farm.pages,
                                        args.interval * 3 + 180, step)
        check_all(replicas)
        out["warmup_s"] = time.monotonic() - started
        out["warmup_cpu_s"] = [cpu_seconds(r.process.pid) for r in replicas]
        log(f"N={count}: leases split after {fmt(out['to_split_s'], '.1f', 's')}, every page polled after"
            f" {fmt(out['to_polled_s'], '.1f', 's')} more; settling one interval")
        time.sleep(args.interval * 1.2)
        check_all(replicas)
        out.update(measure_window(args, replicas, farm, farm_server, postgres, postmaster, url, database, receiver))
    finally:
        out["exit"] = stop_replicas(replicas)
        receiver.stop()
        postgres.drop_database(url)
        lines = [line for r in replicas for line in r.process.stderr().splitlines()
                 if "| WARNING |" in line or "| ERROR |" in line]
        out["warnings"] = len(lines)
        out["warning_sample"] = lines[:5]
    return out


def measure_window(args, replicas: list[Replica], farm: Farm, farm_server, postgres: PostgresServer,
                   postmaster: int, url: str, database: str, receiver: Receiver) -> dict[str, Any]:
    per_minute = args.change_share * farm.pages * 60.0 / args.interval
    log(f"N={len(replicas)}: measured window, {args.duration:g}s, {per_minute:.1f} changes/min")
    counter = ConnectionCounter(postgres, database)
    changer = Changer(farm, per_minute, min_gap=2.5 * args.interval)
    # the scrapes (a few MB of /metrics at 10,000 pages) bracket the CPU readings: not counted in them
    polls0, scraped0 = [r.polls() for r in replicas], time.monotonic()
    work0 = database_work(url)
    nginx = farm_server.worker_pids()
    cpu0 = [cpu_seconds(r.process.pid) for r in replicas]
    db0, nginx0 = tree_cpu(postmaster), sum(cpu_seconds(pid) for pid in nginx)
    t0, wall0 = time.monotonic(), time.time()
    counter.start()
    changer.start()
    time.sleep(args.duration)
    cpu1 = [cpu_seconds(r.process.pid) for r in replicas]
    db1, nginx1 = tree_cpu(postmaster), sum(cpu_seconds(pid) for pid in nginx)
    seconds, wall1 = time.monotonic() - t0, time.time()
    changer.stop()
    counter.stop()
    work1 = database_work(url)
    polls1, scraped1 = [r.polls() for r in replicas], time.monotonic()
    held = pages_held(url)
    check_all(replicas)

    wanted = set(changer.changed_at)
    deadline = max(changer.changed_at.values(), default=time.time()) + args.interval * 1.1 + 15

    def delivered() -> bool:
        check_all(replicas)
        return wanted <= {a.update_id for a in receiver.snapshot()}

    wait_until(delivered, max(0.0, deadline - time.time()), min(0.25, args.interval / 5))
    time.sleep(farm_server.log_delay)  # until the poll log holds the polls that read the changes
    polls = {result: sum(p1.get(result, 0.0) - p0.get(result, 0.0) for p0, p1 in zip(polls0, polls1))
             for result in {key for p in polls1 for key in p}}
    scraped = scraped1 - scraped0
    return {
        "seconds": seconds,
        "polls": polls,
        "polls_per_s": sum(n for result, n in polls.items() if result != "error") / scraped,
        "farm_polls_per_s": farm_server.poll_log.count(wall0, wall1) / seconds,
        "cpu_s": {r.name: c1 - c0 for r, c0, c1 in zip(replicas, cpu0, cpu1)},
        "db_cpu_s": db1 - db0,
        "nginx_cpu_s": nginx1 - nginx0,
        "connections": counter.figures(),
        "database_work": {key: work1[key] - work0.get(key, 0.0) for key in work1},
        "pages_held": dict(sorted(held.items())),
        "memory_kib": {r.name: memory_kib(r.process.pid) for r in replicas},
        "deliveries": deliveries(changer, receiver, farm, farm_server),
    }


def deliveries(changer: Changer, receiver: Receiver, farm: Farm, farm_server) -> dict[str, Any]:
    """Each change's arrival: once, and how long after the change landed and after the poll that
    read it (the first summary.json served for its page from the moment it landed)."""
    arrivals = receiver.snapshot()
    first: dict[str, float] = {}
    by_event: dict[str, int] = {}
    by_update: dict[str, int] = {}
    for arrival in arrivals:
        by_event[arrival.webhook_id] = by_event.get(arrival.webhook_id, 0) + 1
        if arrival.update_id in changer.changed_at:
            by_update[arrival.update_id] = by_update.get(arrival.update_id, 0) + 1
            first.setdefault(arrival.update_id, arrival.at)
    served: dict[str, list[float]] = {}
    for at, path in farm_server.poll_log.refresh():
        served.setdefault(path, []).append(at)
    for times in served.values():
        times.sort()
    from_change, from_poll = [], []
    for update, arrived in first.items():
        landed = changer.changed_at[update]
        from_change.append(arrived - landed)
        times = served.get(f"{farm.page_path(changer.page_of[update])}/api/v2/summary.json", [])
        position = bisect.bisect_left(times, landed)
        if position < len(times) and times[position] <= arrived:
            from_poll.append(arrived - times[position])
    return {
        "changes": len(changer.changed_at), "delivered": len(first), "events": len(arrivals),
        "duplicate_events": sum(n - 1 for n in by_event.values()),  # one webhook-id twice
        "duplicate_updates": sum(n - 1 for n in by_update.values()),  # one change announced twice
        "change_p50_s": percentile(from_change, 50), "change_p99_s": percentile(from_change, 99),
        "poll_p50_s": percentile(from_poll, 50), "poll_p99_s": percentile(from_poll, 99),
        "poll_matched": len(from_poll),
    }


# ---------------------------------------------------------------------- the run


@dataclass
class Results:
    args: dict[str, Any]
    machine: dict[str, str]
    postgres: dict[str, str] = field(default_factory=dict)
    farm: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="statusbot replicas sharing one PostgreSQL (bench/README.md)")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between polls of each page")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each measured window")
    parser.add_argument("--replicas", default="1,2,3", help="comma-separated replica counts, measured in turn")
    parser.add_argument("--change-share", type=float, default=0.02,
                        help="share of the pages given a new incident update per interval, in the window")
    parser.add_argument("--no-validators", type=float, default=0.2, help="share of pages without ETag/Last-Modified")
    parser.add_argument("--templates", type=int, default=64, help="distinct page bodies the farm links to")
    parser.add_argument("--server", choices=("nginx", "python"), default=None,
                        help="default: nginx if installed, else a Python stand-in (figures not comparable)")
    parser.add_argument("--repo", type=Path, default=REPO, help="the statusbot tree to run (default: this one)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder, removed after")
    parser.add_argument("--json", type=Path, default=None, help="also write all figures as JSON here")
    args = parser.parse_args(argv)
    args.repo = args.repo.resolve()
    args.counts = [int(n) for n in args.replicas.split(",") if n.strip()]
    return args


def run(args: argparse.Namespace, postgres: PostgresServer, workdir: Path) -> Results:
    """Every replica count of `args` on one farm and the given (started) PostgreSQL server."""
    results = Results(args={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                      machine=machine(), postgres=settings(postgres))
    kind = args.server or ("nginx" if find_nginx() else "python")
    farm = Farm(workdir / "farm", args.pages, args.no_validators, min(args.templates, args.pages))
    log(f"farm: generating {args.pages} pages")
    farm.generate()
    results.farm = {"pages": args.pages, "no_validator_pages": farm.flavours.count("incidentio"), "server": kind}
    farm_server = Nginx(farm).start() if kind == "nginx" else PythonFarmServer(farm).start()
    try:
        postmaster = postmaster_pid(postgres)
        for count in args.counts:
            results.runs.append(run_count(args, count, farm, farm_server, postgres, postmaster, workdir))
    finally:
        farm_server.stop()
    return results


def share(cpu_s: float, seconds: float) -> float:
    """CPU seconds over a window as a percentage of one core."""
    return 100.0 * cpu_s / seconds


def summary(run: dict[str, Any]) -> dict[str, float]:
    """The figures a row of the table and its ratios are made of."""
    seconds = run["seconds"]
    bot_cpu = sum(run["cpu_s"].values())
    return {
        "polls_per_s": run["polls_per_s"],
        "bot_cpu_pct": share(bot_cpu, seconds),
        "us_per_poll": 1e6 * bot_cpu / max(run["polls_per_s"] * seconds, 1.0),
        "db_cpu_pct": share(run["db_cpu_s"], seconds),
        "connections": float(run["connections"]["max"]),
        "commits_per_s": run["database_work"]["commits"] / seconds,
        "wal_kb_per_s": run["database_work"]["wal_bytes"] / 1024 / seconds,
    }


def report(results: Results) -> str:
    lines = ["N | polls/s | CPU per replica (% of one core) | bots' CPU | µs/poll | DB CPU | DB connections max (mean,"
             " active) | pages per replica | delivered/changes, dup. | change→delivery p50/p99 | poll→delivery p50/p99"]
    for run in results.runs:
        figures, seconds = summary(run), run["seconds"]
        each = ", ".join(f"{share(cpu, seconds):.1f}" for cpu in run["cpu_s"].values())
        connections, delivery = run["connections"], run["deliveries"]
        held = ", ".join(str(n) for n in run["pages_held"].values())
        lines.append(
            f"{run['replicas']} | {figures['polls_per_s']:.1f} | {each} | {figures['bot_cpu_pct']:.1f}% |"
            f" {figures['us_per_poll']:,.0f} | {figures['db_cpu_pct']:.1f}% | {connections['max']}"
            f" ({connections['mean']:.1f}, {connections['mean_active']:.1f}) | {held} |"
            f" {delivery['delivered']}/{delivery['changes']}, {delivery['duplicate_events']}+{delivery['duplicate_updates']} |"
            f" {fmt(delivery['change_p50_s'], '.1f')}/{fmt(delivery['change_p99_s'], '.1f')} s |"
            f" {fmt(delivery['poll_p50_s'], '.2f')}/{fmt(delivery['poll_p99_s'], '.2f')} s")
    lines += ["", "database work per second: N | commits | WAL KB | rows written: " + ", ".join(TABLES)]
    for run in results.runs:
        work, seconds = run["database_work"], run["seconds"]
        rows = ", ".join(f"{work.get(f'{table}_written', 0.0) / seconds:.0f}" for table in TABLES)
        lines.append(f"{run['replicas']} | {work['commits'] / seconds:.0f} | {work['wal_bytes'] / 1024 / seconds:.0f} | {rows}")
    base = next((summary(run) for run in results.runs if run["replicas"] == 1), None)
    if base is not None:
        names = ("polls_per_s", "bot_cpu_pct", "us_per_poll", "db_cpu_pct", "connections", "commits_per_s",
                 "wal_kb_per_s")
        lines += ["", "ratios against N=1 of this run: N | " + " | ".join(names)]
        for run in results.runs:
            figures = summary(run)
            lines.append(f"{run['replicas']} | " + " | ".join(
                f"{figures[name] / base[name]:.2f}" if base[name] else "n/a" for name in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # the `finally` blocks stop every process
    binaries = find_binaries()
    if binaries is None:
        print(NO_BINARIES, file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="statusbot-replicas-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = None
    try:
        with PostgresServer(binaries) as postgres:
            make_durable(postgres)
            results = run(args, postgres, workdir)
    finally:
        if args.json and results is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results.__dict__, indent=1, default=str))
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    machine_line = results.machine
    print(f"\nstatusbot replicas on one PostgreSQL: {args.pages} pages, interval {args.interval:g}s, windows of"
          f" {args.duration:g}s, {100 * args.change_share:g}% of pages changing per interval")
    print(f"machine: {machine_line['nproc']} cores (the replicas, PostgreSQL and nginx share them),"
          f" {machine_line['cpu']}; python {machine_line['python']}; farm server {results.farm['server']}")
    print("PostgreSQL: " + ", ".join(f"{k} {v}" for k, v in results.postgres.items()) + "\n")
    print(report(results))
    for run_ in results.runs:
        if run_["warnings"]:
            print(f"\nN={run_['replicas']}: {run_['warnings']} warnings/errors logged, e.g.:")
            for line in run_["warning_sample"]:
                print(f"  {line[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
