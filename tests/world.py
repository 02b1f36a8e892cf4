"""A small world for process-level tests: local status pages, a webhook receiver, a config."""

from __future__ import annotations

import base64
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"statusbot-test-secret-32-bytes!!").decode()
PAGES = ("/acme", "/nova")
# Polls of each page that `settle` waits for: the first may have started before the last change
# was delivered; the ones after it saw the page as it is now.
SETTLING_POLLS = 3


class World:
    """Two local pages (Statuspage with ETags, incident.io without) and a webhook receiver."""

    def __init__(self, tmp: Path, pages: StatusPageServer, receiver: WebhookReceiver):
        self.tmp = tmp
        self.pages = pages
        self.receiver = receiver
        self.acme = PageScript("Acme")
        self.acme.component("api", "API")
        self.acme.component("web", "Website")
        self.nova = PageScript("Nova", flavour="incidentio")
        self.nova.component("01JCHAT000000000000000000", "Chat")
        self.publish()

    def publish(self) -> None:
        self.pages.publish("/acme", self.acme)
        self.pages.publish("/nova", self.nova)

    def config(self, first_run: str = "active", extra: str = "", interval: float = 0.1, settings: str = "") -> Path:
        """Both pages, a console and the signed webhook channel; `settings` are more [bot] lines,
        `extra` more TOML at the end (channels, providers)."""
        path = self.tmp / "statusbot.toml"
        path.write_text(f"""
[bot]
database = "{self.tmp / 'state.db'}"
interval = {interval}
first_run = "{first_run}"
{settings}

[[providers]]
name = "acme"
title = "Acme"
kind = "statuspage"
url = "{self.pages.url}/acme"

[[providers]]
name = "nova"
title = "Nova"
kind = "incidentio"
url = "{self.pages.url}/nova"

[[channels]]
name = "log"
type = "console"

[[channels]]
name = "hooks"
type = "webhook"
url = "{self.receiver.url}/hook"
secret = "{SECRET}"
{extra}""")
        return path

    def bot(self, *extra: str, channels: str = "") -> BotProcess:
        return BotProcess("run", "--config", str(self.config(extra=channels)), *extra, cwd=self.tmp)

    def delivered(self) -> list[dict]:
        return [json.loads(request.body) for request in self.receiver.requests]

    def expect(self, count: int) -> list[dict]:
        self.receiver.wait_for(count, timeout=30)
        return self.delivered()

    def polls(self) -> int:
        """How many times the page polled least has been read so far (its summary document)."""
        hits = self.pages.hits
        return min(hits[f"{page}/api/v2/summary.json"] for page in PAGES)

    def wait_for_polls(self, more: int) -> None:
        """Wait until the bot has read every page `more` more times."""
        target = self.polls() + more
        eventually(lambda: self.polls() >= target, what=lambda: f"{more} more polls of each page ({self.polls()})")

    def undelivered(self, channel: str | None = None) -> int | None:
        """Rows in the bot's outbox, of one channel or all (None before the database exists),
        read while the bot may run."""
        params: tuple[str, ...] = () if channel is None else (channel,)
        sql = "SELECT COUNT(*) FROM outbox" + ("" if channel is None else " WHERE channel = ?")
        try:
            with closing(sqlite3.connect(f"file:{self.tmp / 'state.db'}?mode=ro", uri=True, timeout=10)) as db:
                return int(db.execute(sql, params).fetchone()[0])
        except sqlite3.OperationalError:
            return None

    def settle(self) -> None:
        """Wait until the bot has polled every page a few more times and its outbox is empty:
        whatever it was going to announce has then arrived. A test that asserts what arrived
        after this has proven that nothing more would, without sleeping."""
        self.wait_for_polls(SETTLING_POLLS)
        eventually(lambda: self.undelivered() == 0, what=lambda: f"an empty outbox ({self.undelivered()} rows)")
