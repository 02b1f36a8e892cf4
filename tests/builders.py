"""Small builders of model objects, and test doubles, shared by the tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.model import Event, Incident, Update


def update_event(n: int, thread: str = "acme:incident:i1") -> Event:
    """The n-th update of incident i1 of provider acme."""
    incident = Incident(id="i1", title="API errors", status="investigating")
    update = Update(id=f"u{n}", status="investigating", body=f"message {n}",
                    created_at=datetime(2026, 11, 1, tzinfo=UTC))
    return Event(id=f"evt_{n}", type="incident.updated", key=f"upd:i1:u{n}", provider="acme", provider_title="Acme",
                 thread_key=thread, incident=incident, update=update)


class RecordedSleep:
    """Stands in for asyncio.sleep: remembers each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


CONSOLE_CHANNEL = """
[[channels]]
name = "log"
type = "console"
"""


def one_page_config(tmp_path: Path, page_url: str, channels: str = CONSOLE_CHANNEL) -> Path:
    """`statusbot.toml` in `tmp_path`: its database there, one Statuspage provider `acme` at
    `page_url`, and `channels` (TOML; the console by default)."""
    config = tmp_path / "statusbot.toml"
    config.write_text(f"""
[bot]
database = "{tmp_path / 'state.db'}"

[[providers]]
name = "acme"
kind = "statuspage"
url = "{page_url}"
{channels}""")
    return config
