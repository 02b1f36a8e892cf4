"""The world of tests/world.py with noise control on its webhook channel, and ways to look inside
the running bot: its waiting rows, `statusbot status` and `/metrics`.

`with world.running(hooks) as bot:` runs the real bot with `hooks` (noise keys, TOML lines) on the
webhook channel "hooks" and /metrics served, once it has polled every page: a change published
from there is news to it. The bot is killed at the end of the block unless the test stopped it.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager

from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.ports import free_port
from tests.world import World

HOOKS = "hooks"  # the world's signed webhook channel
_METRIC = re.compile(r"statusbot_noise_events_total\{([^}]*)\} (\S+)")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


class NoiseBot(BotProcess):
    def exited(self) -> bool:
        assert self._process is not None  # BotProcess keeps the Popen private; whether it ended is all we need
        return self._process.poll() is not None


class NoiseWorld(World):
    port: int = 0

    @contextmanager
    def running(self, hooks: str, channels: str = "") -> Iterator[NoiseBot]:
        """The bot with `hooks` on the webhook channel and `channels` after it, once it has read
        every page (failing at once if it exits instead)."""
        self.port = free_port()
        config = self.config(extra=f"{hooks}\n{channels}", settings=f'http = "127.0.0.1:{self.port}"')
        target = self.polls() + 1
        with NoiseBot("run", "--config", str(config), cwd=self.tmp) as bot:
            eventually(lambda: bot.exited() or self.polls() >= target, what="the bot's first poll of every page")
            assert not bot.exited(), "the bot exited:\n" + "".join(bot.stderr)
            yield bot

    def publish_and_wait(self, reason: str, count: int, channel: str = HOOKS) -> None:
        """Publish the pages and wait until `channel` keeps `count` events back for `reason`."""
        self.publish()
        eventually(lambda: self.waiting(reason, channel) == count,
                   what=lambda: f"{count} {reason} rows of {channel} ({self.waiting(reason, channel)})")

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple]:
        """Rows of the bot's database, read while it may run ([] before the database has them)."""
        try:
            with closing(sqlite3.connect(f"file:{self.tmp / 'state.db'}?mode=ro", uri=True, timeout=10)) as db:
                return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []

    def waiting(self, reason: str, channel: str = HOOKS) -> int:
        """Events `channel` keeps back for `reason` ("hold", "quiet", "digest")."""
        rows = self._read("SELECT COUNT(*) FROM waiting WHERE channel = ? AND reason = ?", (channel, reason))
        return int(rows[0][0]) if rows else 0

    def due(self, channel: str = HOOKS) -> float:
        """When the first of `channel`'s waiting rows falls due (unix seconds)."""
        rows = self._read("SELECT min(due_at) FROM waiting WHERE channel = ?", (channel,))
        assert rows and rows[0][0] is not None, f"nothing waits on {channel}"
        return float(rows[0][0])

    def status(self) -> dict[str, dict[str, str]]:
        """`statusbot status`'s channel table: each channel's row by column name."""
        command = BotProcess("status", "--config", str(self.tmp / "statusbot.toml"), cwd=self.tmp)
        assert command.run() == 0, "".join(command.stderr)
        table = "".join(command.stdout).strip().split("\n\n")[-1].splitlines()
        header = re.split(r"\s{2,}", table[0])
        rows = (dict(zip(header, re.split(r"\s{2,}", line))) for line in table[1:])
        return {row["CHANNEL"]: row for row in rows}

    def noise_metrics(self) -> dict[tuple[str, str], float]:
        """statusbot_noise_events_total by (channel, action), from the running bot's /metrics."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        counts = {}
        for labels, value in _METRIC.findall(text):
            named = dict(_LABEL.findall(labels))
            counts[named["channel"], named["action"]] = float(value)
        return counts

    def of_type(self, kind: str) -> list[dict]:
        """The deliveries of one type (the envelope's `type`), in the order they arrived."""
        return [payload for payload in self.delivered() if payload["type"] == kind]
