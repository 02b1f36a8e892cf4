#!/usr/bin/env python3
"""statusbot benchmark: the real bot against a farm of static status pages on nginx.

    python bench/run.py                                               # quick: 500 pages, 10 s, 30 s windows
    python bench/run.py --pages 10000 --interval 60 --duration 180    # 10,000 pages a minute
    python bench/run.py --pages 17000 --interval 10 --duration 60     # 100,000 pages a minute

Phases, one after the other (never two clients at once, so they do not share the CPU):
  1. bot, quiet:    the real `python -m bot run` polls every page; nothing changes     -> CPU per unchanged poll
  2. bot, changing: a share of the pages gets a new incident update each interval       -> CPU per changed poll,
                    each change is timed from the file landing to the webhook arriving -> detection latency
  3. (--loops)      the bot again on another event loop, quiet window only             -> what the loop costs
  4. pollers:       the same pages at the same interval, one summary.json per poll (bench/naive.py):
                    a bare aiohttp conditional GET (the floor), a naive aiohttp poller, a one-file
                    monitor (a new httpx client per poll)                              -> the ratios
  5. start-up:      the bot restarted on its own database grown to 1,000,000 seen keys
  6. default bot:   one page, console channel: its RSS after a few polls
  7. (--clients)    httpx and aiohttp per-request CPU against nginx (bench/http_clients.py)
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.farm import Changer, Farm, Nginx, PythonFarmServer, find_nginx, read_stub
from bench.measure import cpu_seconds, machine, memory_kib, percentile
from bench.receiver import Receiver

TARGETS = {
    "latency_slack": 2.0,  # p99 <= interval + 2 s
    "startup_s": 3.0,
    "default_rss_mb": 80.0,
}
# Unchanged poll of the bot / the same of each poller (bench/naive.py), at most. The floor is
# compared per request: the bot reads more than one document on some polls.
RATIO_TARGETS = {"aiohttp": 0.35, "onefile": 0.10}
FLOOR = "aiohttp-conditional"
FLOOR_TARGET = 2.0
# The bot's own event loop for --loops: "asyncio" hides uvloop, "uvloop" installs it.
LOOP_CODE = {
    "asyncio": "import sys; sys.modules['uvloop'] = None; from bot.cli import main; sys.exit(main())",
    "uvloop": "import sys, uvloop; uvloop.install(); from bot.cli import main; sys.exit(main())",
}


def load_targets(pages: int, interval: float) -> tuple[float, float]:
    """(% of one core, MB of peak RSS) allowed at this load: 10,000 pages a minute in 10% and
    250 MB; up to 100,000 pages a minute (17,000 every 10 s) in 35% and 300 MB."""
    return (10.0, 250.0) if pages / interval <= 10_000 / 60 + 1 else (35.0, 300.0)


# ---------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Window:
    """CPU, polls (summary.json requests: one per poll), all requests and new connections over
    one measured window of one process."""

    seconds: float
    cpu: float
    polls: int
    requests: int
    accepts: int
    server_cpu: float  # nginx workers' CPU seconds over the window (0 for the Python stand-in)

    @classmethod
    def measure(cls, pid: int, server, seconds: float, during=None) -> Window:
        workers = server.worker_pids()
        accepts0, requests0 = read_stub(server.url)
        server0 = sum(cpu_seconds(w) for w in workers)
        cpu0, t0, wall0 = cpu_seconds(pid), time.monotonic(), time.time()
        if during:
            during()
        time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
        cpu1, t1, wall1 = cpu_seconds(pid), time.monotonic(), time.time()
        server1 = sum(cpu_seconds(w) for w in workers)
        accepts1, requests1 = read_stub(server.url)
        time.sleep(server.log_delay)  # until the poll log holds the window
        polls = server.poll_log.count(wall0, wall1)
        return cls(t1 - t0, cpu1 - cpu0, polls, requests1 - requests0, accepts1 - accepts0, server1 - server0)


class Process:
    """A child process with its stderr in a file."""

    def __init__(self, args: list[str], workdir: Path, name: str, env: dict[str, str] | None = None):
        self.name = name
        self.stderr_path = workdir / f"{name}.stderr"
        self.stdout_path = workdir / f"{name}.stdout"
        self.started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(
                args, cwd=workdir, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int | str:
        """SIGTERM, then SIGKILL after `timeout`; the exit status, or a note that it had to be killed."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                log(f"{self.name} did not stop within {timeout}s of SIGTERM: killing it")
                self.popen.kill()
                self.popen.wait()
                return f"killed after {timeout:g}s"
        return self.popen.wait()

    def check(self) -> None:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.stderr()[-3000:]}")


def wait_until(condition, timeout: float, step: float = 0.05, process: Process | None = None) -> float | None:
    """Seconds until `condition()` held (monotonic), None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        if process is not None:
            process.check()
        time.sleep(step)
    return None


def bot_process(repo: Path, config: Path, workdir: Path, name: str, log_level: str = "INFO",
                loop: str = "default") -> Process:
    """`python -m bot run`; on another event loop than its own with `loop` (a key of LOOP_CODE)."""
    path = os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))
    program = ["-m", "bot"] if loop == "default" else ["-c", LOOP_CODE[loop]]
    return Process([sys.executable, *program, "--log-level", log_level, "run", "--config", str(config)],
                   workdir, name, env={"PYTHONPATH": path})


def write_config(path: Path, farm: Farm, server_url: str, database: Path, interval: float,
                 receiver_url: str | None, pages: range | None = None, first_run: str = "none") -> None:
    lines = ["[bot]", f'database = "{database}"', f"interval = {interval}", f'first_run = "{first_run}"', ""]
    for i in pages if pages is not None else range(farm.pages):
        lines += ["[[providers]]", f'name = "page{i}"', f'kind = "{farm.flavours[i]}"',
                  f'url = "{server_url}{farm.page_path(i)}"', ""]
    if receiver_url:
        lines += ["[[channels]]", 'name = "bench"', 'type = "webhook"', f'url = "{receiver_url}"',
                  'secret = "whsec_YmVuY2htYXJrLXNlY3JldC1rZXk="', ""]
    else:
        lines += ["[[channels]]", 'name = "log"', 'type = "console"', ""]
    path.write_text("\n".join(lines))
    path.chmod(0o600)  # it holds the webhook's secret: the bot warns of a file others may read


def prefill_seen(database: Path, repo: Path, providers: list[str], total: int) -> int:
    """Grow `database`'s seen table to `total` keys, spread over `providers`, with sqlite3 directly.
    A missing database is created with the schema of `repo`'s bot/state.py."""
    if not database.exists():
        sys.path.insert(0, str(repo))
        from bot.state import Store

        async def create() -> None:
            await (await Store.open(database)).close()

        asyncio.run(create())
    connection = sqlite3.connect(database)
    try:
        have = connection.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
        missing = max(0, total - have)
        rows = ((providers[j % len(providers)], f"incident:bench-old-{j}:update:{j * 7 % 1000003}")
                for j in range(missing))
        with connection:
            connection.executemany("INSERT OR IGNORE INTO seen (provider, key) VALUES (?, ?)", rows)
        return connection.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
    finally:
        connection.close()


def py_spy_top(raw: Path, limit: int = 25) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive shares of busy samples per function, from py-spy's raw (collapsed) output."""
    self_counts: dict[str, int] = {}
    incl_counts: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += n
        self_counts[frames[-1]] = self_counts.get(frames[-1], 0) + n
        for frame in set(frames):
            incl_counts[frame] = incl_counts.get(frame, 0) + n
    def top(counts):
        return [(k, 100.0 * v / total) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]]
    return {"samples": [("busy samples", float(total))], "self": top(self_counts), "inclusive": top(incl_counts)}


# ---------------------------------------------------------------------- phases


@dataclass
class Results:
    args: dict[str, Any]
    machine: dict[str, str]
    farm: dict[str, Any] = field(default_factory=dict)
    bot: dict[str, Any] = field(default_factory=dict)
    other_loops: dict[str, dict[str, Any]] = field(default_factory=dict)  # loop -> the quiet bot on it
    naive: dict[str, dict[str, Any]] = field(default_factory=dict)
    startup: dict[str, Any] = field(default_factory=dict)
    default_bot: dict[str, Any] = field(default_factory=dict)
    clients: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)


def remove_database(database: Path) -> None:
    """Each phase starts on a database of its own run: one left in a reused --workdir would hand
    the bot an earlier run's seen keys (the same scripted updates, then never announced)."""
    for path in (database, *(database.with_name(database.name + suffix) for suffix in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)


def run_bot(args, farm: Farm, server, workdir: Path, results: Results, loop: str = "default",
            quiet_only: bool = False) -> None:
    receiver = Receiver().start()
    database = workdir / "bot.db"
    remove_database(database)
    config = workdir / "bot.toml"
    write_config(config, farm, server.url, database, args.interval, receiver.url)
    started = time.time()
    log(f"bot ({loop} loop): starting on {farm.pages} pages, interval {args.interval:g}s")
    bot = bot_process(args.repo, config, workdir, f"bot-{loop}", loop=loop)
    out = results.other_loops.setdefault(loop, {}) if quiet_only else results.bot
    out["loop"] = loop
    try:
        out["to_watching_s"] = wait_until(lambda: "watching" in bot.stderr(), 120, 0.02, bot)
        step = min(0.25, args.interval / 5)  # a tiny run's interval is a fraction of a second
        first_round = wait_until(lambda: server.poll_log.pages(started) >= farm.pages,
                                 args.interval * 3 + 120, step, bot)
        out["first_round_s"] = first_round
        out["first_round_cpu_s"] = cpu_seconds(bot.pid)
        log(f"bot: watching after {fmt(out['to_watching_s'], '.2f', 's')}; every page polled once after "
            f"{fmt(first_round, '.1f', 's')}; settling one interval")
        time.sleep(args.interval * 1.2)
        bot.check()

        log(f"bot: quiet window, {args.duration:g}s")
        quiet = Window.measure(bot.pid, server, args.duration)
        bot.check()
        out["quiet"] = dict(quiet.__dict__)
        if quiet_only:
            out["memory_kib"] = memory_kib(bot.pid)
            return

        if args.profile:
            if not shutil.which("py-spy"):
                log("profile: py-spy not installed (pip install py-spy): skipped")
            else:
                raw = workdir / "bot-quiet.pyspy.txt"
                log(f"profile: py-spy on the quiet bot for {args.profile:g}s")
                subprocess.run(["py-spy", "record", "-p", str(bot.pid), "-d", str(int(args.profile)), "-r", "200",
                                "-f", "raw", "-o", str(raw), "--nonblocking"],
                               check=False, capture_output=True, timeout=args.profile + 60)
                if raw.exists():
                    results.profile["bot_quiet"] = py_spy_top(raw)
                    results.profile["raw"] = str(raw)

        per_minute = args.change_share * farm.pages * 60.0 / args.interval
        changer = Changer(farm, per_minute, min_gap=2.5 * args.interval)
        log(f"bot: changing window, {args.duration:g}s, {per_minute:.1f} changes/min")
        changing = Window.measure(bot.pid, server, args.duration, during=changer.start)
        changer.stop()
        changes = len(changer.changed_at)
        last_change = max(changer.changed_at.values(), default=time.time())
        bot.check()
        out["changing"] = {**changing.__dict__, "changes": changes}
        # every change should arrive within an interval (+ jitter and delivery); wait for the stragglers
        wanted = set(changer.changed_at)
        deadline = last_change + args.interval * 1.1 + 15
        wait_until(lambda: wanted <= {a.update_id for a in receiver.snapshot()},
                   max(0.0, deadline - time.time()), step, bot)
        out["memory_kib"] = memory_kib(bot.pid)
        arrivals = receiver.snapshot()
        first_arrival: dict[str, float] = {}
        by_id: dict[str, int] = {}
        for arrival in arrivals:
            by_id[arrival.webhook_id] = by_id.get(arrival.webhook_id, 0) + 1
            if arrival.update_id in wanted and arrival.update_id not in first_arrival:
                first_arrival[arrival.update_id] = arrival.at
        latencies = [first_arrival[u] - changer.changed_at[u] for u in first_arrival]
        out["latency"] = {
            "changes": changes, "delivered": len(first_arrival), "missing": changes - len(first_arrival),
            "events": len(arrivals), "duplicates": sum(n - 1 for n in by_id.values()),
            "median_s": percentile(latencies, 50), "p99_s": percentile(latencies, 99),
            "max_s": max(latencies, default=None),
        }
    finally:
        out["exit"] = bot.stop()
        receiver.stop()
        warnings = [line for line in bot.stderr().splitlines() if "| WARNING |" in line or "| ERROR |" in line]
        out["warnings"] = len(warnings)
        out["timeouts"] = sum("timeout" in line for line in warnings)
        out["warning_sample"] = warnings[:5]


def run_naive(args, farm: Farm, server, workdir: Path, results: Results, client: str) -> None:
    urls = workdir / "naive-urls.txt"
    urls.write_text("".join(f"{server.url}{farm.page_path(i)}/api/v2/summary.json\n" for i in range(farm.pages)))
    log(f"naive ({client}): {farm.pages} pages, interval {args.interval:g}s; settling one interval")
    # "aiohttp-conditional": If-None-Match, parse only a 200 (the bot's idea, none of its engine).
    name, _, mode = client.partition("-")
    naive = Process([sys.executable, str(BENCH / "naive.py"), "--urls", str(urls), "--interval", str(args.interval),
                     "--client", name, *(["--conditional"] if mode == "conditional" else [])],
                    workdir, f"naive-{client}")
    try:
        time.sleep(args.interval * 1.2)
        naive.check()
        window = Window.measure(naive.pid, server, args.duration)
        naive.check()
        memory = memory_kib(naive.pid)
    finally:
        naive.stop()
    summary = naive.stdout_path.read_text().strip().splitlines()
    results.naive[client] = {**window.__dict__, "memory_kib": memory,
                             "counters": json.loads(summary[-1]) if summary else None}


def run_startup(args, farm: Farm, server, workdir: Path, results: Results) -> None:
    database = workdir / "startup.db"
    source = workdir / "bot.db"
    remove_database(database)
    if source.exists():  # the database the bot left: documents and keys of every page, then grown
        with sqlite3.connect(source) as connection:  # the bot has stopped: fold its WAL in, copy one file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(source, database)
    log(f"start-up: growing the state database to {args.seen_keys:,} seen keys")
    keys = prefill_seen(database, args.repo, [f"page{i}" for i in range(farm.pages)], args.seen_keys)
    config = workdir / "startup.toml"
    write_config(config, farm, server.url, database, args.interval, None)
    _, requests0 = read_stub(server.url)
    started = time.time()
    log(f"start-up: bot on {farm.pages} pages with {keys:,} seen keys")
    bot = bot_process(args.repo, config, workdir, "startup")
    out = results.startup
    out["seen_keys"] = keys
    out["pages"] = farm.pages
    out["db_mb"] = round(database.stat().st_size / 1e6, 1)
    try:
        out["to_watching_s"] = wait_until(lambda: "watching" in bot.stderr(), 120, 0.01, bot)
        out["to_first_request_s"] = (
            out["to_watching_s"] or 0) + (wait_until(lambda: read_stub(server.url)[1] > requests0, 60, 0.01, bot) or 0)
        done = wait_until(lambda: server.poll_log.pages(started) >= farm.pages, 120 + args.interval, 0.1, bot)
        out["to_first_round_s"] = None if done is None else time.monotonic() - bot.started
        out["memory_kib"] = memory_kib(bot.pid)
    finally:
        out["exit"] = bot.stop()
    log(f"start-up: watching after {out['to_watching_s']}s")


def run_default(args, farm: Farm, server, workdir: Path, results: Results) -> None:
    config = workdir / "default.toml"
    database = workdir / "default.db"
    remove_database(database)
    write_config(config, farm, server.url, database, min(2.0, args.interval), None, pages=range(1),
                 first_run="active")
    started = time.time()
    bot = bot_process(args.repo, config, workdir, "default")
    try:
        wait_until(lambda: server.poll_log.count(started) >= 4, 60, 0.1, bot)
        time.sleep(0.5)
        results.default_bot = {"memory_kib": memory_kib(bot.pid), "polls": server.poll_log.count(started)}
    finally:
        results.default_bot["exit"] = bot.stop()


def run_clients(args, server, farm: Farm, workdir: Path, results: Results) -> None:
    page = next(i for i, f in enumerate(farm.flavours) if f == "statuspage")
    url = f"{server.url}{farm.page_path(page)}/api/v2/summary.json"
    command = [sys.executable, str(BENCH / "http_clients.py"), "--url", url, "--json", "--requests",
               str(args.client_requests)]
    log("clients: httpx and aiohttp per-request CPU")
    answer = subprocess.run(command, check=False, capture_output=True, text=True, timeout=1800)
    if answer.returncode != 0:
        log(f"clients: failed: {answer.stderr[-2000:]}")
        return
    results.clients = [json.loads(line) for line in answer.stdout.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------------- report


def fmt(value: Any, spec: str = ".1f", unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:{spec}}{unit}"


def report(results: Results) -> str:
    args = results.args
    interval = args["interval"]
    target_rate = args["pages"] / interval
    cpu_target, rss_target = load_targets(args["pages"], interval)
    rows: list[tuple[str, str, str]] = []
    bot = results.bot
    quiet = bot.get("quiet")
    unchanged_us = per_request_us = None
    if quiet:
        rate = quiet["polls"] / quiet["seconds"]
        share = 100 * quiet["cpu"] / quiet["seconds"]
        unchanged_us = 1e6 * quiet["cpu"] / quiet["polls"] if quiet["polls"] else None
        per_request_us = 1e6 * quiet["cpu"] / quiet["requests"] if quiet["requests"] else None
        per_poll = "n/a (no polls: the bot is stalled)" if unchanged_us is None else (
            f"{unchanged_us:,.0f} µs ({fmt(per_request_us, ',.0f')}"
            f" µs/request, {quiet['requests'] / max(1, quiet['polls']):.2f} requests/poll)")
        rows += [
            ("bot polls/s, quiet", f"{rate:.1f} ({100 * rate / target_rate:.0f}% of {target_rate:.1f} asked)",
             "sustain N/interval"),
            (f"bot CPU, quiet ({bot.get('loop', 'default')} loop)", f"{share:.1f}% of one core", f"< {cpu_target:g}%"),
            ("bot CPU per unchanged poll", per_poll, ""),
            ("bot new connections, quiet", f"{quiet['accepts']} for {quiet['requests']} requests", "keep-alive"),
            ("nginx CPU, quiet", f"{100 * quiet['server_cpu'] / quiet['seconds']:.1f}% of one core", ""),
        ]
    changing = bot.get("changing")
    if changing and quiet:
        share = 100 * changing["cpu"] / changing["seconds"]
        unchanged_polls = changing["polls"] - changing["changes"]
        changed = "n/a (no changes)"
        kept_up = min(quiet["polls"] / quiet["seconds"], changing["polls"] / changing["seconds"]) >= 0.9 * target_rate
        if changing["changes"] and kept_up and unchanged_us is not None:
            # what the changing window cost beyond its unchanged polls, per change
            changed_us = 1e6 * (changing["cpu"] - unchanged_polls * unchanged_us / 1e6) / changing["changes"]
            changed = (f"{changed_us:,.0f} µs (incl. parse, detect, commit, delivery)" if changed_us > 0
                       else "n/a (below the noise of the unchanged polls)")
        elif changing["changes"]:
            changed = "n/a (the bot did not keep up: the estimate would be meaningless)"
        rows += [
            ("bot polls/s, changing", f"{changing['polls'] / changing['seconds']:.1f}", ""),
            ("bot CPU, changing", f"{share:.1f}% of one core ({changing['changes']} changes)", f"< {cpu_target:g}%"),
            ("bot CPU per changed poll", changed, ""),
        ]
    if bot.get("first_round_s") is not None or "first_round_cpu_s" in bot:
        rows.append(("bot first round (every page once)",
                     (f"{fmt(bot.get('first_round_s'), '.1f', ' s')}, {fmt(bot.get('first_round_cpu_s'), '.1f', ' s')} CPU;"
                      f" {bot.get('timeouts', 0)} timeouts logged in the run"), "no timeouts"))
    if "memory_kib" in bot:
        peak = bot["memory_kib"].get("VmHWM", 0) / 1024
        rows.append(("bot peak RSS (VmHWM)", f"{peak:.0f} MB", f"< {rss_target:g} MB"))
    latency = bot.get("latency")
    if latency:
        rows += [
            ("detection latency median", fmt(latency["median_s"], ".2f", " s"), ""),
            ("detection latency p99", fmt(latency["p99_s"], ".2f", " s") + f" (max {fmt(latency['max_s'], '.2f', ' s')})",
             f"<= {interval + TARGETS['latency_slack']:g} s"),
            ("changes delivered", (f"{latency['delivered']}/{latency['changes']}, {latency['duplicates']} duplicates,"
                                   f" {latency['events']} events"), "all, 0 duplicates"),
        ]
    for loop, other in results.other_loops.items():
        other_quiet = other.get("quiet")
        if not (other_quiet and other_quiet["polls"] and unchanged_us):
            continue
        other_us = 1e6 * other_quiet["cpu"] / other_quiet["polls"]
        rows.append((f"bot on the {loop} loop, unchanged poll",
                     (f"{other_us:,.0f} µs, {100 * other_quiet['cpu'] / other_quiet['seconds']:.1f}% of one core,"
                      f" peak RSS {other['memory_kib'].get('VmHWM', 0) / 1024:.0f} MB;"
                      f" {other_us / unchanged_us:.2f}x the bot above"), ""))
    for client, naive in results.naive.items():
        us = 1e6 * naive["cpu"] / max(1, naive["polls"])
        rows += [
            (f"{client} polls/s", f"{naive['polls'] / naive['seconds']:.1f}", ""),
            (f"{client} CPU", (f"{100 * naive['cpu'] / naive['seconds']:.1f}% of one core, {us:,.0f} µs/poll,"
                               f" RSS {naive['memory_kib'].get('VmHWM', 0) / 1024:.0f} MB"), ""),
        ]
        if not (unchanged_us and per_request_us and us):  # a tiny run may see no CPU tick of a poller
            continue
        if client == FLOOR:  # one request per poll: what the client alone costs per request
            rows.append((f"per request: bot / {client}", f"{per_request_us / us:.2f}", f"<= {FLOOR_TARGET:g}"))
        else:
            target = RATIO_TARGETS.get(client)
            rows.append((f"unchanged poll: bot / {client}", f"{unchanged_us / us:.2f}",
                         "" if target is None else f"<= {target:g}"))
    startup = results.startup
    if startup:
        rows += [
            (f"start-up, {startup['seen_keys']:,} keys, {startup['pages']} pages",
             (f"'watching' {fmt(startup['to_watching_s'], '.2f', ' s')}, first request"
              f" {fmt(startup['to_first_request_s'], '.2f', ' s')},"
              f" all pages once {fmt(startup['to_first_round_s'], '.1f', ' s')}"),
             "< 3 s"),
        ]
    if results.default_bot:
        memory = results.default_bot["memory_kib"]
        rows.append(("default bot RSS (1 page)", f"{memory.get('VmRSS', 0) / 1024:.0f} MB (peak {memory.get('VmHWM', 0) / 1024:.0f} MB)",
                     "< 80 MB"))
    for entry in results.clients:
        rows.append((f"client {entry['client']} {entry['mode']} c={entry['concurrency']}",
                     f"{entry['cpu_us_per_request']:,.0f} µs/request", ""))
    width = max(len(r[0]) for r in rows) if rows else 10
    value_width = max(len(r[1]) for r in rows) if rows else 10
    lines = [f"{'figure':<{width}} | {'measured':<{value_width}} | target", "-" * (width + value_width + 30)]
    lines += [f"{name:<{width}} | {value:<{value_width}} | {target}" for name, value, target in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="statusbot benchmark (bench/README.md)")
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between polls of each page")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each measured window")
    parser.add_argument("--no-validators", type=float, default=0.2, help="share of pages without ETag/Last-Modified")
    parser.add_argument("--change-share", type=float, default=0.02,
                        help="share of the pages given a new incident update per interval (per minute at 60 s)")
    parser.add_argument("--templates", type=int, default=64, help="distinct page bodies the farm links to")
    parser.add_argument("--seen-keys", type=int, default=1_000_000)
    parser.add_argument("--naive-clients", default=f"{FLOOR},aiohttp,onefile",
                        help="comma-separated pollers of bench/naive.py: aiohttp (a shared session), httpx "
                             "(a shared client), onefile (a new httpx client per poll, as one-file monitors "
                             "do); CLIENT-conditional sends If-None-Match and parses only a 200 ("
                             f"{FLOOR}: the floor)")
    parser.add_argument("--loops", default="default",
                        help="comma-separated event loops for the bot: default (its own choice), asyncio, "
                             "uvloop; the first gets the full bot phase, the others a quiet window each")
    parser.add_argument("--clients", action="store_true",
                        help="also run the per-request client micro-benchmark (httpx, aiohttp)")
    parser.add_argument("--client-requests", type=int, default=3000)
    parser.add_argument("--profile", type=float, default=0, help="seconds of py-spy on the quiet bot (0: none)")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: bot, naive, startup, default")
    parser.add_argument("--server", choices=("nginx", "python"), default=None,
                        help="default: nginx if installed, else a Python stand-in (figures not comparable)")
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--repo", type=Path, default=REPO, help="the statusbot tree to run (default: this one)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder, removed after")
    parser.add_argument("--json", type=Path, default=None, help="also write all figures as JSON here")
    args = parser.parse_args(argv)
    args.repo = args.repo.resolve()
    # SIGTERM as SIGINT: the `finally` blocks stop nginx, the bot and the receiver
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="statusbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = Results(args={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, machine=machine())
    kind = args.server or ("nginx" if find_nginx() else "python")
    farm = Farm(workdir / "farm", args.pages, args.no_validators, min(args.templates, args.pages))
    log(f"farm: generating {args.pages} pages in {farm.root}")
    farm.generate()
    sizes = farm.sizes()
    results.farm = {
        "pages": args.pages, "no_validator_pages": farm.flavours.count("incidentio"),
        "documents_per_page": farm.docs_per_poll, "server": kind,
        "kb": {name: [min(v) // 1024, max(v) // 1024] for name, v in sizes.items()},
    }
    server: Nginx | PythonFarmServer
    if kind == "nginx":
        nginx = Nginx(farm, workers=args.nginx_workers).start()
        version = subprocess.run([str(nginx.binary), "-v"], check=False, capture_output=True, text=True).stderr.strip()
        results.machine["nginx"] = version
        server = nginx
    else:
        log(f"server: {'the Python stand-in, as asked' if args.server else 'nginx not found, using the Python stand-in'}:"
            " figures are NOT comparable")
        server = PythonFarmServer(farm).start()
    try:
        loops = [loop.strip() for loop in args.loops.split(",") if loop.strip()]
        if "bot" not in skip:
            for position, loop in enumerate(loops):
                run_bot(args, farm, server, workdir, results, loop, quiet_only=position > 0)
        for client in [c.strip() for c in args.naive_clients.split(",") if c.strip()]:
            if "naive" not in skip:
                run_naive(args, farm, server, workdir, results, client)
        if "startup" not in skip:
            run_startup(args, farm, server, workdir, results)
        if "default" not in skip:
            run_default(args, farm, server, workdir, results)
        if args.clients:
            run_clients(args, server, farm, workdir, results)
    finally:
        server.stop()
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results.__dict__, indent=1, default=str))
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nstatusbot benchmark: {args.pages} pages, interval {args.interval:g}s, windows of {args.duration:g}s,"
          f" {100 * args.no_validators:.0f}% without validators, {100 * args.change_share:g}% changing per interval")
    print(f"machine: {results.machine['nproc']} cores, {results.machine['cpu']}; python {results.machine['python']};"
          f" {results.machine['libraries']}; {results.machine.get('nginx', kind)}")
    print(f"farm: {json.dumps(results.farm['kb'])} (KB, min-max)\n")
    print(report(results))
    if results.profile.get("bot_quiet"):
        print("\npy-spy, quiet bot, top functions by own CPU (% of busy samples):")
        for name, share in results.profile["bot_quiet"]["self"][:15]:
            print(f"  {share:5.1f}%  {name}")
        print("\n... by inclusive CPU:")
        for name, share in results.profile["bot_quiet"]["inclusive"][:25]:
            print(f"  {share:5.1f}%  {name}")
    if results.bot.get("warnings"):
        print(f"\nbot logged {results.bot['warnings']} warnings/errors, e.g.:")
        for line in results.bot["warning_sample"]:
            print(f"  {line[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
