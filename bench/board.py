#!/usr/bin/env python3
"""statusbot board benchmark: the real bot's status board, its JSON and its feed over many pages.

    python bench/board.py                                  # 1,000 pages, 50 requests a path
    python bench/board.py --providers 3000 --requests 200 --json board.json

The promise measured (issue 18): with 1,000 providers the board renders in under 200 ms on this
machine and the page weighs under 1 MB.

1. pages:   a farm of status pages in bench/farm.py's Statuspage and incident.io shapes (55-140
            components in groups, 25 past incidents each), served by nginx (or the Python stand-in):
            most operational, some with an open incident (components in outage), maintenances in
            progress and upcoming, some that will break and some that never answer.
2. state:   the real `python -m bot run` reads them all with `first_run = "active"` (open incidents
            and maintenances are announced), so every row is written by the bot's own write paths;
            its channels: a console (delivered), and webhooks to a closed port: a backlog, a hold,
            a digest. Then the breaking pages answer an HTML error page, `--changes` updates land
            on the incident pages, and the harness waits until the board shows all of it. Until
            then it watches the bot's /metrics, not its board: a board asked for too early would
            be shown for BOARD_FOR seconds more, hiding what the bot read meanwhile.
3. measure: `--requests` rounds of one GET of each path in turn, one at a time, each on a new
            connection (the endpoint closes every one): /healthz (the baseline: same server, same
            client, no board), /, /board.css, /board.js, /api/v1/status, /events.atom. A board is
            built at most once every BOARD_FOR seconds and shared: most of these requests reuse it,
            so `--fresh` more requests of each board path come each after BOARD_FOR has passed,
            paying for a new board. Latency is to the last byte.
See bench/README.md ("The status board") for the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's bot and bench

from bench.farm import (
    EPOCH,
    INCIDENTIO,
    STATUSPAGE,
    Farm,
    Nginx,
    Page,
    PythonFarmServer,
    find_nginx,
    free_port,
    write_atomically,
)
from bench.measure import cpu_seconds, machine, memory_kib, percentile
from bench.run import REPO, Process, bot_process, log, wait_until
from bot.endpoint_board import BOARD_FOR

TARGET_MS = 200.0  # the board, fresh, at the 95th percentile
TARGET_BYTES = 1_000_000  # the page: its HTML, stylesheet and script
BASELINE = "/healthz"
BOARD_PATHS = ("/", "/api/v1/status", "/events.atom")  # the paths that need a board
PATHS = (BASELINE, "/", "/board.css", "/board.js", "/api/v1/status", "/events.atom")

# What a page shows, and the share of pages showing it (the rest are operational).
OPERATIONAL, UPCOMING, INCIDENT, MAINTENANCE, BREAKING, SILENT = (
    "operational", "upcoming", "incident", "maintenance", "breaking", "silent")
SHARES = {INCIDENT: 0.05, MAINTENANCE: 0.02, UPCOMING: 0.10, BREAKING: 0.02, SILENT: 0.005}
ERROR_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
_STAMP = re.compile(rb'"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"')


# ---------------------------------------------------------------------- the pages


def profiles(pages: int, seed: int = 18) -> list[str]:
    """What each page shows: each share of SHARES (at least one page where a share is asked),
    spread over the pages at random (the same for the same count)."""
    order = random.Random(seed).sample(range(pages), pages)
    chosen = [OPERATIONAL] * pages
    start = 0
    for profile, share in SHARES.items():
        count = max(1, round(pages * share))
        for i in order[start : start + count]:
            chosen[i] = profile
        start += count
    return chosen


def flavour(i: int, profile: str) -> str:
    """One page in five reads like incident.io (no validators, no maintenances documents)."""
    return INCIDENTIO if i % 5 == 4 and profile not in (MAINTENANCE, UPCOMING) else STATUSPAGE


def documents(kind: str, template: int, profile: str, now: datetime) -> dict[str, bytes]:
    """The documents of a page of `kind` showing `profile`, its times moved so that the open
    incident and the maintenance in progress began 12 hours before `now`, and the upcoming
    maintenances begin within a month (at least 12 hours after `now`)."""
    page = Page(kind, template)
    docs = {name: json.loads(body) for name, body in page.documents().items()}
    summary = docs["summary.json"]
    touched = {c["id"] for c in page.open_incident["components"]} if profile == INCIDENT else set()
    for component in summary["components"]:
        component["status"] = "partial_outage" if component["id"] in touched else "operational"
    if profile != INCIDENT:
        summary["incidents"] = []
        docs["incidents.json"]["incidents"] = docs["incidents.json"]["incidents"][1:]  # the open one is first
    if kind == STATUSPAGE:
        shown = {UPCOMING: {"scheduled"}, MAINTENANCE: {"scheduled", "in_progress"}}.get(profile, set())
        summary["scheduled_maintenances"] = [m for m in summary["scheduled_maintenances"] if m["status"] in shown]
        listed = docs["scheduled-maintenances.json"]
        listed["scheduled_maintenances"] = [m for m in listed["scheduled_maintenances"]
                                            if m["status"] in shown | {"completed"}]
        for maintenance in (*summary["scheduled_maintenances"], *listed["scheduled_maintenances"]):
            if maintenance["status"] == "in_progress":  # it began 12 hours ago, with the open incident
                maintenance["scheduled_for"] = EPOCH.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    shift = now - timedelta(hours=12) - EPOCH
    return {name: _STAMP.sub(lambda m: _moved(m[1], shift), json.dumps(body, separators=(",", ":")).encode())
            for name, body in docs.items()}


def _moved(stamp: bytes, shift: timedelta) -> bytes:
    moved = datetime.strptime(stamp.decode(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) + shift
    return f'"{moved.strftime("%Y-%m-%dT%H:%M:%S.")}{moved.microsecond // 1000:03d}Z"'.encode()


def generate(farm: Farm, shown: list[str], templates: int) -> None:
    """Every page's files, hard links to one template per (flavour, profile, seed); a silent page has none."""
    now = datetime.now(UTC)
    farm.flavours = [flavour(i, profile) for i, profile in enumerate(shown)]
    for i, (kind, profile) in enumerate(zip(farm.flavours, shown)):
        if profile == SILENT:
            continue
        template = farm.root / "templates" / kind / profile / str(i % templates)
        if not template.exists():
            template.mkdir(parents=True)
            for name, body in documents(kind, i % templates, profile, now).items():
                (template / name).write_bytes(body)
        farm.page_dir(i).mkdir(parents=True)
        for document in template.iterdir():
            (farm.page_dir(i) / document.name).hardlink_to(document)


def post_update(farm: Farm, i: int, update_id: str, body: str) -> None:
    """A new update on page `i`'s open incident, in every document that lists it."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for name in ("summary.json", "incidents.json"):
        path = farm.page_dir(i) / name
        document = json.loads(path.read_bytes())
        incident = document["incidents"][0]
        incident["incident_updates"].insert(0, {
            "id": update_id, "status": incident["status"], "body": body, "incident_id": incident["id"],
            "created_at": now, "updated_at": now, "display_at": now})
        incident["updated_at"] = now
        write_atomically(path, json.dumps(document, separators=(",", ":")).encode())


# ---------------------------------------------------------------------- the bot


def page_name(i: int) -> str:
    return f"page{i:04d}"


def write_config(path: Path, farm: Farm, shown: list[str], server_url: str, database: Path, http: str,
                 interval: float, fast: float) -> None:
    """One provider per page (the incident and breaking pages polled every `fast` seconds, to see
    what changes), a console channel and three webhooks to a port where nothing listens."""
    lines = ["[bot]", f'database = "{database}"', f"interval = {interval}", 'first_run = "active"',
             f'http = "{http}"', ""]
    for i, profile in enumerate(shown):
        url = f"{server_url}/gone/{i}" if profile == SILENT else f"{server_url}{farm.page_path(i)}"
        lines += ["[[providers]]", f'name = "{page_name(i)}"', f'title = "Provider {i:04d}"',
                  f'kind = "{farm.flavours[i]}"', f'url = "{url}"']
        lines += [f"interval = {fast}", ""] if profile in (INCIDENT, BREAKING) else [""]
    nowhere = f"http://127.0.0.1:{free_port()}/hook"
    lines += ["[[channels]]", 'name = "console"', 'type = "console"', ""]
    for name, extra in (("pager", ""), ("held", 'hold = "30m"'), ("digest", 'mode = "digest"')):
        lines += ["[[channels]]", f'name = "{name}"', 'type = "webhook"', f'url = "{nowhere}"', extra, ""]
    path.write_text("\n".join(lines))
    path.chmod(0o600)  # webhook URLs count as secrets: the bot warns of a file others may read


def get(base: tuple[str, int], path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(*base, timeout=30)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def board_json(base: tuple[str, int]) -> dict[str, Any]:
    """The board as /api/v1/status gives it."""
    status, body = get(base, "/api/v1/status")
    if status != 200:
        raise RuntimeError(f"/api/v1/status answered {status}: {body[:200]!r}")
    return json.loads(body)


def providers_showing(base: tuple[str, int], check) -> bool:
    """Whether every provider of the board passes `check(provider)`."""
    return all(check(provider) for provider in board_json(base)["providers"])


def polls_by_provider(base: tuple[str, int]) -> defaultdict[str, Counter[str]]:
    """Each provider's finished polls by result (changed, unchanged, not_modified, error), from
    the bot's /metrics: unlike the board, never a copy kept from seconds ago."""
    status, body = get(base, "/metrics")
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}: {body[:200]!r}")
    polls: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "statusbot_polls":
            for sample in family.samples:
                if sample.name == "statusbot_polls_total":
                    polls[sample.labels["provider"]][sample.labels["result"]] += int(sample.value)
    return polls


def polled_twice_since(base: tuple[str, int], earlier: defaultdict[str, Counter[str]], names: list[str]) -> bool:
    """Whether each of `names` finished two polls since `earlier` was read: one of them began after
    it (a poll in flight then may have read the page before)."""
    now = polls_by_provider(base)
    return all(now[name].total() - earlier[name].total() >= 2 for name in names)


# ---------------------------------------------------------------------- measuring


@dataclass
class Series:
    """One path's requests: latency to the last byte, bytes, and the bot's CPU meanwhile."""

    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    cpu: float = 0.0

    def take(self, base: tuple[str, int], path: str, pid: int) -> None:
        cpu = cpu_seconds(pid)
        start = time.perf_counter()
        status, body = get(base, path)
        self.latencies.append(time.perf_counter() - start)
        self.cpu += cpu_seconds(pid) - cpu
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:200]!r}")
        self.sizes.append(len(body))

    def figures(self) -> dict[str, float | int | None]:
        ms = [1000 * seconds for seconds in self.latencies]
        return {"requests": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
                "worst_ms": max(ms, default=None), "bytes": max(self.sizes, default=0),
                "bot_cpu_ms": 1000 * self.cpu / max(1, len(ms))}


def measure(base: tuple[str, int], pid: int, requests: int, fresh: int) -> dict[str, Any]:
    """`requests` rounds over PATHS, then `fresh` requests of each board path, each after the
    board it would reuse has expired; and the bot's CPU meanwhile."""
    started, cpu = time.time(), cpu_seconds(pid)
    warm = {path: Series() for path in PATHS}
    for _ in range(requests):
        for path in PATHS:
            warm[path].take(base, path, pid)
    cold = {path: Series() for path in BOARD_PATHS}
    for _ in range(fresh):
        for path in BOARD_PATHS:
            time.sleep(BOARD_FOR + 0.2)
            cold[path].take(base, path, pid)
    return {"warm": {path: series.figures() for path, series in warm.items()},
            "fresh": {path: series.figures() for path, series in cold.items()},
            "window": {"start": started, "seconds": time.time() - started, "bot_cpu_s": cpu_seconds(pid) - cpu}}


def verdict(figures: dict[str, Any]) -> dict[str, Any]:
    """The targets: the board's fresh p95 (its warm p95 without fresh requests) and the page's weight."""
    warm, fresh = figures["warm"], figures["fresh"]
    board_ms = (fresh["/"] if fresh["/"]["requests"] else warm["/"])["p95_ms"]
    weight = sum(warm[path]["bytes"] for path in ("/", "/board.css", "/board.js"))
    return {"board_p95_ms": board_ms, "page_bytes": weight,
            "met": board_ms is not None and board_ms < TARGET_MS and weight < TARGET_BYTES}


def table(figures: dict[str, Any]) -> str:
    baseline = figures["warm"][BASELINE]["p50_ms"]
    rows = ["| path | requests | p50 ms | p95 ms | worst ms | bytes | bot CPU ms/request | p50 / healthz |",
            "|---|---|---|---|---|---|---|---|"]
    for kind in ("warm", "fresh"):
        for path, f in figures[kind].items():
            if not f["requests"]:
                continue
            name = path if kind == "warm" else f"{path} (fresh board)"
            rows.append(f"| {name} | {f['requests']} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['worst_ms']:.1f} |"
                        f" {f['bytes']:,} | {f['bot_cpu_ms']:.1f} | {f['p50_ms'] / baseline:.1f} |")
    met = figures["verdict"]
    rows += ["", f"board p95 {met['board_p95_ms']:.1f} ms (target < {TARGET_MS:g}),"
             f" page {met['page_bytes']:,} bytes (target < {TARGET_BYTES:,}): {'ok' if met['met'] else 'NOT MET'}"]
    return "\n".join(rows)


# ---------------------------------------------------------------------- the run


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    shown = profiles(args.providers)
    farm = Farm(workdir / "farm", args.providers)
    log(f"pages: generating {args.providers} in {farm.root}")
    generate(farm, shown, args.templates)
    use_nginx = args.server == "nginx" or (args.server is None and find_nginx() is not None)
    server = (Nginx(farm) if use_nginx else PythonFarmServer(farm)).start()
    bot: Process | None = None
    try:
        config = workdir / "board.toml"
        http = f"127.0.0.1:{free_port()}"
        write_config(config, farm, shown, server.url, workdir / "state.db", http, args.interval, args.fast_interval)
        base = ("127.0.0.1", int(http.rsplit(":", 1)[1]))
        bot = bot_process(REPO, config, workdir, "bot")
        started = time.monotonic()

        def read_all() -> bool:
            """Every page read, as /metrics tells (a silent page never answers: tried is all it can be)."""
            polls = polls_by_provider(base)
            return all(polls[page_name(i)].total() > (0 if profile == SILENT else polls[page_name(i)]["error"])
                       for i, profile in enumerate(shown))

        ready = wait_until(lambda: _answers(base) and read_all(), args.timeout, 0.1, bot)
        if ready is None:
            raise RuntimeError(f"the bot did not read every page within {args.timeout:g}s")
        log(f"bot: every page read {ready:.1f}s after start")
        for i, profile in enumerate(shown):
            if profile == BREAKING:
                write_atomically(farm.page_dir(i) / "summary.json", ERROR_PAGE)
        incidents = [i for i, profile in enumerate(shown) if profile == INCIDENT]
        last: dict[int, str] = {}
        for n in range(args.changes):
            i = incidents[n % len(incidents)]
            last[i] = f"Update {n} from the benchmark: engineers keep working on a fix."
            post_update(farm, i, f"bench-update-{n}", last[i])
        changed = [page_name(i) for i, profile in enumerate(shown) if profile == BREAKING or i in last]
        posted = polls_by_provider(base)
        if wait_until(lambda: polled_twice_since(base, posted, changed), args.timeout, 0.1, bot) is None:
            raise RuntimeError(f"the bot did not poll the changed pages again within {args.timeout:g}s")

        def settled(provider: dict[str, Any]) -> bool:
            i = int(provider["name"][4:])
            if provider["last_poll_at"] is None or (provider["last_success_at"] is None and shown[i] != SILENT):
                return False
            if shown[i] == BREAKING:
                return provider["state"] == "unreadable"
            return i not in last or last[i] in json.dumps(provider)

        if wait_until(lambda: providers_showing(base, settled), args.timeout, 0.5, bot) is None:
            raise RuntimeError(f"the board did not show the broken pages and {args.changes} updates in {args.timeout:g}s")
        state = board_json(base)
        log(f"board: {state['counts']['by_state']}, {len(state['events'])} events, backlog {state['counts']['backlog']};"
            f" ready {time.monotonic() - started:.1f}s after start; measuring")
        figures: dict[str, Any] = measure(base, bot.pid, args.requests, args.fresh)
        window = figures["window"]
        time.sleep(server.log_delay)  # until the poll log holds the window
        window["polls_per_s"] = server.poll_log.count(window["start"]) / window["seconds"]
        figures["verdict"] = verdict(figures)
        figures["board"] = {"counts": state["counts"], "events": len(state["events"]),
                            "channels": {c["name"]: {k: c[k] for k in ("state", "backlog", "held", "deferred")}
                                         for c in state["channels"]}}
        figures["bot_rss_mb"] = memory_kib(bot.pid)["VmRSS"] / 1024
        figures["database_mb"] = sum(p.stat().st_size for p in workdir.glob("state.db*")) / 1e6
        return figures
    finally:
        if bot is not None:
            bot.stop()
        server.stop()


def _answers(base: tuple[str, int]) -> bool:
    try:
        return get(base, BASELINE)[0] == 200
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=1000, help="watched pages (default 1000)")
    parser.add_argument("--requests", type=int, default=50, help="GETs of each path, one at a time (default 50)")
    parser.add_argument("--fresh", type=int, default=20,
                        help=f"more GETs of each board path, each after the last board expired ({BOARD_FOR:g} s)")
    parser.add_argument("--changes", type=int, default=500, help="updates posted on the incident pages (default 500)")
    parser.add_argument("--interval", type=float, default=60.0, help="the bot's poll interval (default 60 s)")
    parser.add_argument("--fast-interval", type=float, default=5.0,
                        help="poll interval of the incident and breaking pages, to see them change (default 5 s)")
    parser.add_argument("--templates", type=int, default=16, help="distinct pages of each flavour and profile")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the board to settle")
    parser.add_argument("--server", choices=("nginx", "python"), default=None,
                        help="what serves the pages (default: nginx where installed)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the pages, database and logs here")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # the finally blocks stop the bot and nginx
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="statusbot-board-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        figures = run(args, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    figures["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    figures["machine"] = machine()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    m = figures["machine"]
    print(f"\nstatusbot board benchmark: {args.providers} providers, {args.requests} requests a path,"
          f" {args.fresh} on a fresh board")
    print(f"machine: {m['nproc']} cores, {m['cpu']}; python {m['python']}; {m['libraries']}")
    print(f"board: {json.dumps(figures['board']['counts']['by_state'])}, {figures['board']['events']} events;"
          f" bot RSS {figures['bot_rss_mb']:.0f} MB, database {figures['database_mb']:.1f} MB")
    window = figures["window"]
    print(f"meanwhile the bot polled {window['polls_per_s']:.1f} pages/s and used"
          f" {100 * window['bot_cpu_s'] / window['seconds']:.0f}% of a core over {window['seconds']:.0f} s\n")
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
