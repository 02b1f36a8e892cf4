"""Every format through the whole bot: local pages of each kind move incidents through versions.

The expected announcements are what detection makes of the same documents in process; the bot,
fetching them over HTTP and persisting between polls, must deliver exactly those, each once.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from bot.detect import detect
from bot.model import Snapshot
from providers import FORMATS
from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver

PAYLOADS = Path(__file__).parent / "payloads"

# kind -> (configured URL path, versions: served path -> payload file)
PAGES: dict[str, tuple[str, list[dict[str, str]]]] = {
    "feed": ("/feed/history.atom", [
        {"/feed/history.atom": "feed/github_history_rca_before.atom"},
        {"/feed/history.atom": "feed/github_history_rca_after.atom"},
    ]),
    "gcp": ("/gcp", [{"/gcp/incidents.json": f"gcp/incidents-{n}.json"} for n in (1, 2, 3)]),
    "slack": ("/slack", [
        {"/slack/api/v2.0.0/current": "slack/current-1.json", "/slack/api/v2.0.0/history": "slack/history-1.json"},
        {"/slack/api/v2.0.0/current": "slack/current-2.json", "/slack/api/v2.0.0/history": "slack/history-1.json"},
        {"/slack/api/v2.0.0/current": "slack/current-3.json", "/slack/api/v2.0.0/history": "slack/history-3.json"},
    ]),
    "statusio": ("/statusio/1.0/status/5b36dc6502d06804c08349f7",
                 [{"/statusio/1.0/status/5b36dc6502d06804c08349f7": f"statusio/status-{n}.json"} for n in (1, 2, 3)]),
    "betterstack": ("/betterstack", [{"/betterstack/index.json": f"betterstack/index-{n}.json"} for n in (1, 2, 3)]),
    "instatus": ("/instatus", [{"/instatus/summary.json": f"instatus/summary-{n}.json",
                                "/instatus/v2/components.json": f"instatus/components-{n}.json"} for n in (1, 2, 3)]),
    "cachet": ("/cachet", [
        {"/cachet/api/v1/components?per_page=1000": f"cachet/components-{n}.json",
         "/cachet/api/v1/incidents?sort=id&order=desc&per_page=50": f"cachet/incidents-{n}.json",
         "/cachet/api/v1/schedules?sort=id&order=desc&per_page=50": f"cachet/schedules-{n}.json"}
        for n in (1, 2, 3)
    ]),
}


def snapshot_of(kind: str, base_url: str, version: dict[str, str], server_url: str) -> Snapshot:
    """What the format reads from one version of the page, documents merged as the engine does."""
    page_format = FORMATS[kind]
    merged = Snapshot()
    for document in page_format.documents(base_url):
        payload = version[document.url.removeprefix(server_url)]
        merged = merged.merged(page_format.parse(document.role, (PAYLOADS / payload).read_bytes(), base_url))
    return merged


def expected_after(kind: str, base_url: str, server_url: str, upto: int) -> Counter[tuple[str, str]]:
    """The (type, key) of every event detection makes over versions 0..upto of one page."""
    versions = PAGES[kind][1][: upto + 1]
    old: Snapshot | None = None
    found: Counter[tuple[str, str]] = Counter()
    for version in versions:
        new = snapshot_of(kind, base_url, version, server_url)
        events = detect(kind, kind, old, new, datetime.now(UTC),
                        vanished_means_resolved=FORMATS[kind].vanished_means_resolved)
        found.update((e.type, e.key) for e in events)
        old = new
    return found


def config(tmp: Path, pages: StatusPageServer, receiver: WebhookReceiver) -> Path:
    providers = "".join(
        f'\n[[providers]]\nname = "{kind}"\nkind = "{kind}"\nurl = "{pages.url}{path}"\n'
        for kind, (path, _) in PAGES.items()
    )
    path = tmp / "statusbot.toml"
    path.write_text(f"""
[bot]
database = "{tmp / 'state.db'}"
interval = 0.3
{providers}
[[channels]]
name = "hooks"
type = "webhook"
url = "{receiver.url}/hook"
""")
    return path


def pages_seen(database: Path) -> int:
    """Pages the bot has read at least once."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as db:
            return int(db.execute("SELECT COUNT(*) FROM providers WHERE last_change_at IS NOT NULL").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


def polls(pages: StatusPageServer) -> int:
    """How many times the page polled least has been read (its first document, read every poll)."""
    return min(pages.hits[next(iter(versions[0]))] for _, versions in PAGES.values())


def undelivered(database: Path) -> int:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as db:
        return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def delivered(receiver: WebhookReceiver) -> Counter[tuple[str, str]]:
    payloads = [json.loads(r.body) for r in receiver.requests]
    return Counter((p["type"], p["data"]["key"]) for p in payloads)


def publish(pages: StatusPageServer, step: int) -> None:
    """Each page moves to its next version at once: a poll never sees half of a version."""
    for _, versions in PAGES.values():
        version = versions[min(step, len(versions) - 1)]
        pages.serve_many({served: (PAYLOADS / payload).read_bytes() for served, payload in version.items()},
                         etag=False)


def test_each_format_announces_each_change_once(tmp_path, pages):
    with WebhookReceiver() as receiver:
        expected_total: Counter[tuple[str, str]] = Counter()
        with BotProcess("run", "--config", str(config(tmp_path, pages, receiver)), cwd=tmp_path) as bot:
            for step in range(3):
                publish(pages, step)
                expected_total = sum(
                    (expected_after(kind, f"{pages.url}{path}", pages.url, step) for kind, (path, _) in PAGES.items()),
                    Counter(),
                )
                receiver.wait_for(sum(expected_total.values()), timeout=30)
                if step == 0:
                    # A page whose first version announces nothing gives no delivery to wait for:
                    # wait until the bot has seen every page once, or its first sight would be
                    # of the next version.
                    eventually(lambda: pages_seen(tmp_path / "state.db") >= len(PAGES),
                               what="the bot's first read of every page")
            receiver_count = len(receiver.requests)
            # Three more polls of every page, and an empty outbox: anything more would have come.
            target = polls(pages) + 3
            eventually(lambda: polls(pages) >= target, what="three more polls of every page")
            eventually(lambda: undelivered(tmp_path / "state.db") == 0, what="an empty outbox")
            assert len(receiver.requests) == receiver_count
            assert bot.stop() == 0
        got = delivered(receiver)
    assert got == expected_total and sum(got.values()) >= 12
    assert set(PAGES) == {p["data"]["provider"] for p in map(json.loads, (r.body for r in receiver.requests))}
    kinds = {key.split(":")[0] for _, key in got}
    assert {"inc", "upd"} <= kinds
    assert any(t == "incident.edited" for t, _ in got), "the feed's root-cause rewrite is one edit"
    assert all(count == 1 for count in got.values())
