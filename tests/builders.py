"""Small builders of model objects, and test doubles, shared by the tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.model import COMPONENT_IMPACT, IMPACTS, Component, Event, Incident, Update, event_id


def update_event(n: int, thread: str = "acme:incident:i1") -> Event:
    """The n-th update of incident i1 of provider acme."""
    incident = Incident(id="i1", title="API errors", status="investigating")
    update = Update(id=f"u{n}", status="investigating", body=f"message {n}",
                    created_at=datetime(2026, 11, 1, tzinfo=UTC))
    return Event(id=f"evt_{n}", type="incident.updated", key=f"upd:i1:u{n}", provider="acme", provider_title="Acme",
                 thread_key=thread, incident=incident, update=update)


def component_event(component: str, old: str | None, new: str, at: datetime | None = None,
                    provider: str = "acme") -> Event:
    """Component `component` (its id and name) of `provider` moving from `old` to `new`, as detected."""
    impact = max(COMPONENT_IMPACT.get(old or "", "none"), COMPONENT_IMPACT[new], key=IMPACTS.index)
    key = f"comp:{component}:{new}"
    return Event(id=event_id(provider, f"{key}:{old}:{at}"), type="component.status", key=key, provider=provider,
                 provider_title=provider.title(), thread_key=f"{provider}:component:{component}", impact=impact,
                 occurred_at=at, component=Component(id=component, name=component, status=new), old_status=old,
                 new_status=new)


def incident_event(incident: str, status: str, impact: str = "minor", n: int = 1, components: tuple[str, ...] = (),
                   provider: str = "acme", at: datetime | None = None) -> Event:
    """The n-th update of `incident` of `provider`, in phase `status`; the first one created it."""
    final = status in ("resolved", "postmortem")
    kind = "created" if n == 1 else "resolved" if final else "updated"
    update = Update(id=f"{incident}-u{n}", status=status, body=f"{incident} update {n}", created_at=at)
    created = at if n == 1 else None
    current = Incident(id=incident, title=f"Trouble {incident}", status=status, impact=impact,
                       component_ids=components, created_at=created, updates=(update,))
    key = f"inc:{incident}" if n == 1 else f"upd:{incident}:{update.id}"
    return Event(id=event_id(provider, key), type=f"incident.{kind}", key=key, provider=provider,  # type: ignore[arg-type]
                 provider_title=provider.title(), thread_key=f"{provider}:incident:{incident}", impact=impact,
                 occurred_at=at, incident=current, update=update)


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
