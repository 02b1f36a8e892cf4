"""A tiny run of the benchmark's pieces (bench/), so the benchmark cannot silently rot.

No timing is asserted: only that each piece does its job (realistic pages that the real parser
reads, conditional answers, atomic changes, the real bot delivering each change once, each poller
polling, the figures being computed). The farm is checked on nginx where installed and on the
Python stand-in, which serves the tiny run (it logs polls at once, where nginx buffers a second).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench import naive
from bench.farm import (
    DOCS,
    INCIDENTIO,
    STATUSPAGE,
    Changer,
    Farm,
    Nginx,
    Page,
    PythonFarmServer,
    find_nginx,
    read_stub,
)
from bench.measure import cpu_seconds, memory_kib, percentile
from bench.naive import fingerprint
from bench.run import prefill_seen, py_spy_top, write_config
from providers import FORMATS

REPO = Path(__file__).resolve().parents[1]
SERVERS = ["python", *(["nginx"] if find_nginx() else [])]


@pytest.mark.parametrize("flavour", [STATUSPAGE, INCIDENTIO])
def test_generated_pages_are_realistic_and_read_by_the_real_parser(flavour):
    page = Page(flavour, 3)
    documents = page.documents()
    assert set(documents) == set(DOCS[flavour])
    assert 15_000 < len(documents["summary.json"]) < 70_000
    roles = {"summary.json": "summary", "incidents.json": "incidents", "scheduled-maintenances.json": "maintenances"}
    summary = FORMATS[flavour].parse("summary", documents["summary.json"], "http://127.0.0.1/x")
    assert len(summary.components) > 40 and summary.incidents
    for name, body in documents.items():
        FORMATS[flavour].parse(roles[name], body, "http://127.0.0.1/x")
    page.post_update("bench-update-1")
    after = FORMATS[flavour].parse("summary", page.documents()["summary.json"], "http://127.0.0.1/x")
    assert "bench-update-1" in {u.id for incident in after.incidents.values() for u in incident.updates}
    assert Page(flavour, 3).documents() == documents, "generation is deterministic"


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), b""


@pytest.mark.parametrize("kind", SERVERS)
def test_farm_answers_conditionally_and_changes_atomically(tmp_path, kind):
    farm = Farm(tmp_path / "farm", pages=5, no_validator_share=0.4, templates=2)
    farm.generate()
    assert farm.flavours.count(INCIDENTIO) == 2 and farm.docs_per_poll == pytest.approx((3 * 3 + 2 * 2) / 5)
    server = (Nginx(farm) if kind == "nginx" else PythonFarmServer(farm)).start()
    try:
        plain = farm.flavours.index(INCIDENTIO)
        tagged = farm.flavours.index(STATUSPAGE)
        status, headers, body = _get(f"{server.url}{farm.page_path(tagged)}/api/v2/summary.json")
        assert status == 200 and headers.get("ETag") and json.loads(body)["components"]
        status, _, _ = _get(f"{server.url}{farm.page_path(tagged)}/api/v2/summary.json",
                            {"If-None-Match": headers["ETag"]})
        assert status == 304
        status, headers, _ = _get(f"{server.url}{farm.page_path(plain)}/api/v2/summary.json",
                                  {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
        assert status == 200 and "ETag" not in headers and "Last-Modified" not in headers
        before = read_stub(server.url)[1]
        _get(f"{server.url}{farm.page_path(plain)}/api/v2/incidents.json")
        assert read_stub(server.url)[1] - before == 1

        changer = Changer(farm, per_minute=0, min_gap=0)
        update_id = changer.change(tagged)
        assert update_id in changer.changed_at
        status, _, body = _get(f"{server.url}{farm.page_path(tagged)}/api/v2/summary.json")
        assert update_id.encode() in body
        template = farm.root / "templates" / STATUSPAGE / str(tagged % 2) / "summary.json"
        assert update_id.encode() not in template.read_bytes(), "a change never touches the shared template"
    finally:
        server.stop()


def test_measurement_helpers(tmp_path):
    import os

    assert cpu_seconds(os.getpid()) > 0
    assert memory_kib(os.getpid())["VmHWM"] > 0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0 and percentile([], 99) is None
    assert percentile([float(i) for i in range(1, 101)], 99) == 99.0
    raw = tmp_path / "raw.txt"
    raw.write_text("main (a.py:1);poll (b.py:2);parse (c.py:3) 3\nmain (a.py:1);poll (b.py:2) 1\n")
    top = py_spy_top(raw)
    assert top["self"][0] == ("parse (c.py:3)", 75.0) and dict(top["inclusive"])["poll (b.py:2)"] == 100.0
    assert fingerprint({"incidents": [{"id": "i", "incident_updates": [{"id": "u"}]}]})[0] == (("i", "u", None),)


def test_state_database_is_prefilled_with_the_bots_schema(tmp_path):
    database = tmp_path / "state.db"
    assert prefill_seen(database, REPO, ["page0", "page1"], 2_000) == 2_000
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(DISTINCT provider) FROM seen").fetchone()[0] == 2
    farm = Farm(tmp_path / "farm", pages=2, templates=1)
    farm.generate()
    config = tmp_path / "bench.toml"
    write_config(config, farm, "http://127.0.0.1:9", database, 5, "http://127.0.0.1:9/hook")
    check = subprocess.run([sys.executable, "-m", "bot", "check", "--config", str(config)],
                           cwd=tmp_path, check=False, capture_output=True, text=True, timeout=60,
                           env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert check.returncode == 0, check.stderr


def test_each_poller_polls_and_parses(tmp_path):
    """The floor, the naive aiohttp poller, a shared httpx client and the one-file style, at once,
    each until it made three polls of two pages: one page was asked twice, so a conditional
    poller met a 304."""
    pollers = [("aiohttp", True), ("aiohttp", False), ("httpx", False), ("onefile", False)]
    farm = Farm(tmp_path / "farm", pages=2, no_validator_share=0, templates=1)
    farm.generate()
    server = PythonFarmServer(farm).start()

    async def poll_all() -> list[naive.Counters]:
        runs = (naive.run(urls, interval=0.05, duration=0, client=client, conditional=conditional, max_polls=3)
                for client, conditional in pollers)
        return await asyncio.wait_for(asyncio.gather(*runs), 60)

    try:
        urls = [f"{server.url}{farm.page_path(i)}/api/v2/summary.json" for i in range(farm.pages)]
        outcomes = asyncio.run(poll_all())
    finally:
        server.stop()
    for (client, conditional), counters in zip(pollers, outcomes):
        assert counters.polls >= 3 and counters.errors == 0 and counters.changes == 0, client
        assert (counters.not_modified > 0) == conditional, client


def test_a_tiny_run_of_the_whole_harness(tmp_path):
    """The real bot and the floor poller over four pages: every change delivered once, the ratios computed."""
    out = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--pages", "4", "--interval", "0.3", "--duration", "0.4",
         "--change-share", "0.5", "--skip", "startup,default", "--server", "python",
         "--naive-clients", "aiohttp-conditional", "--json", str(out)],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(out.read_text())
    bot = figures["bot"]
    assert bot["quiet"]["polls"] > 0 and bot["changing"]["changes"] > 0
    latency = bot["latency"]
    assert latency["missing"] == 0 and latency["duplicates"] == 0, latency
    assert latency["delivered"] == bot["changing"]["changes"]
    assert figures["naive"]["aiohttp-conditional"]["polls"] > 0
    assert "bot CPU per unchanged poll" in run.stdout and "detection latency p99" in run.stdout


def test_replicas_harness_on_a_real_postgresql(tmp_path, postgres_server):
    """bench/replicas.py on four pages, with one replica then two on one PostgreSQL database:
    the pages split between them, every change delivered once, the figures and ratios computed."""
    from bench import replicas

    args = replicas.parse(["--pages", "4", "--interval", "0.5", "--duration", "1", "--replicas", "1,2",
                           "--change-share", "0.5", "--server", "python"])
    results = replicas.run(args, postgres_server, tmp_path)
    assert [run["replicas"] for run in results.runs] == [1, 2]
    for run in results.runs:
        assert sum(run["pages_held"].values()) == 4 and len(run["pages_held"]) == run["replicas"], run["pages_held"]
        assert run["polls_per_s"] > 0 and run["connections"]["max"] > 0 and run["database_work"]["commits"] > 0
        delivery = run["deliveries"]
        assert delivery["changes"] > 0 and delivery["delivered"] == delivery["changes"], delivery
        assert delivery["duplicate_events"] == delivery["duplicate_updates"] == 0, delivery
        assert run["warnings"] == 0, run["warning_sample"]
    table = replicas.report(results)
    assert "ratios against N=1" in table and table.count("\n2 | ") == 3, table


def test_a_tiny_run_of_the_board_benchmark(tmp_path):
    """bench/board.py on 10 pages: the real bot reads them, the board shows what the pages were made
    to show (an incident, a maintenance, a broken page, a silent one), every channel's waiting
    messages, and every path answered each request; the figures and the verdict computed. No
    fresh boards: each would wait out the shared one (2 s)."""
    out = tmp_path / "board.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "board.py"), "--providers", "10", "--requests", "2", "--fresh", "0",
         "--changes", "6", "--interval", "0.3", "--fast-interval", "0.2", "--server", "python", "--json", str(out)],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(out.read_text())
    counts = figures["board"]["counts"]
    assert counts["providers"] == 10 and counts["backlog"] > 0
    by_state = counts["by_state"]
    assert by_state["partial"] == by_state["maintenance"] == by_state["unreadable"] == by_state["unknown"] == 1, by_state
    channels = figures["board"]["channels"]
    assert channels["pager"]["backlog"] > 0 and channels["held"]["held"] > 0 and channels["digest"]["deferred"] > 0
    assert figures["board"]["events"] > 6
    for path, series in figures["warm"].items():
        assert series["requests"] == 2 and series["bytes"] > 0 and series["p50_ms"] > 0, path
    assert [series["requests"] for series in figures["fresh"].values()] == [0, 0, 0]
    verdict = figures["verdict"]
    assert verdict["board_p95_ms"] == figures["warm"]["/"]["p95_ms"]
    assert verdict["page_bytes"] > figures["warm"]["/"]["bytes"]
    assert "p50 / healthz" in run.stdout and "/events.atom |" in run.stdout and "fresh board)" not in run.stdout
