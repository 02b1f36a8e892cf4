"""Small builders of model objects shared by the tests."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.model import Event, Incident, Update


def update_event(n: int, thread: str = "acme:incident:i1") -> Event:
    """The n-th update of incident i1 of provider acme."""
    incident = Incident(id="i1", title="API errors", status="investigating")
    update = Update(id=f"u{n}", status="investigating", body=f"message {n}",
                    created_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    return Event(id=f"evt_{n}", type="incident.updated", key=f"upd:i1:u{n}", provider="acme", provider_title="Acme",
                 thread_key=thread, incident=incident, update=update)
