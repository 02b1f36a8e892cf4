"""Console notifier: exact lines, one per event, and the destination registry."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.message import compose
from bot.model import Component, Event, Incident, PermanentError, Update
from notifiers import DESTINATIONS
from notifiers.console import ConsoleNotifier, ConsoleSettings, format_line

NOW = datetime(2026, 2, 24, 0, 54, 58, tzinfo=UTC)
PREFIX = "2026-02-24 00:54:58"


def incident_event(
    type_: str = "incident.created", *, body: str = "Elevated error rates detected", **changes: Any
) -> Event:
    incident = Incident(
        id="inc1",
        kind="maintenance" if type_.startswith("maintenance") else "incident",
        title=changes.pop("title", "Degraded performance"),
        url=changes.pop("url", ""),
        status=changes.pop("status", "investigating"),
        impact="minor",
        component_names=changes.pop("component_names", ("Chat Completions",)),
    )
    fields: dict[str, Any] = {
        "id": "evt_1",
        "type": type_,
        "key": "inc1/u1",
        "provider": "openai",
        "provider_title": "OpenAI",
        "thread_key": "inc1",
        "impact": "minor",
        "incident": incident,
        "update": Update(id="u1", status=incident.status, body=body),
    }
    return Event(**(fields | changes))


def component_event(old: str | None, new: str, impact: str = "critical") -> Event:
    return Event(
        id="evt_2",
        type="component.status",
        key=f"c1/{new}",
        provider="openai",
        provider_title="OpenAI",
        thread_key="c1",
        impact=impact,
        component=Component(id="c1", name="Chat API", status=new),
        old_status=old,
        new_status=new,
    )


def test_the_documented_example_line_then_the_incident_and_its_link() -> None:
    event = incident_event(title="Increased error rates", url="https://status.example.com/incidents/01JMYB4A")
    assert format_line(event, NOW) == (
        "2026-02-24 00:54:58 | INFO | New Event | Provider=OpenAI | Product=Chat Completions"
        " | Status=investigating | Message=Elevated error rates detected"
        " | Incident=Increased error rates | Link=https://status.example.com/incidents/01JMYB4A"
    )


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "/incidents/1", "https://"])
def test_only_a_web_link_is_shown(url: str) -> None:
    assert format_line(incident_event(url=url), NOW).endswith("| Incident=Degraded performance")


@pytest.mark.parametrize(
    ("type_", "label"),
    [
        ("incident.created", "New Event"),
        ("maintenance.created", "New Event"),
        ("incident.updated", "Update"),
        ("maintenance.updated", "Update"),
        ("incident.status", "Status Change"),
        ("maintenance.status", "Status Change"),
        ("incident.edited", "Edited"),
        ("maintenance.edited", "Edited"),
        ("incident.resolved", "Resolved"),
        ("maintenance.completed", "Resolved"),
    ],
)
def test_label_per_event_type(type_: str, label: str) -> None:
    line = format_line(incident_event(type_), NOW)
    assert line == (
        f"{PREFIX} | INFO | {label} | Provider=OpenAI | Product=Chat Completions"
        " | Status=investigating | Message=Elevated error rates detected | Incident=Degraded performance"
    )


def test_product_joins_components_and_falls_back_to_the_title() -> None:
    several = incident_event(component_names=("API", "Dashboard"))
    none = incident_event(component_names=())
    assert "| Product=API, Dashboard |" in format_line(several, NOW)
    assert "| Product=Degraded performance |" in format_line(none, NOW)


def test_message_falls_back_to_the_title_without_an_update_body() -> None:
    blank = incident_event(body="  \n ")
    no_update = incident_event(update=None)
    assert "| Message=Degraded performance |" in format_line(blank, NOW)
    assert "| Message=Degraded performance |" in format_line(no_update, NOW)


def test_component_line() -> None:
    assert format_line(component_event("operational", "major_outage"), NOW) == (
        f"{PREFIX} | WARNING | Component | Provider=OpenAI | Product=Chat API"
        " | Status=major_outage | Message=operational → major_outage"
    )


def test_component_first_seen_has_no_old_status() -> None:
    line = format_line(component_event(None, "degraded_performance", impact="minor"), NOW)
    assert line == (
        f"{PREFIX} | INFO | Component | Provider=OpenAI | Product=Chat API"
        " | Status=degraded_performance | Message=degraded_performance"
    )


@pytest.mark.parametrize(
    ("event", "level"),
    [
        (incident_event(impact="minor"), "INFO"),
        (incident_event(impact="major"), "WARNING"),
        (incident_event("incident.status", impact="critical", status="identified"), "WARNING"),
        (incident_event("incident.resolved", impact="critical", status="resolved"), "INFO"),
        (incident_event("maintenance.completed", impact="major", status="completed"), "INFO"),
        (incident_event("incident.updated", impact="major", status="postmortem"), "INFO"),
        (component_event("major_outage", "operational", impact="critical"), "INFO"),
        (component_event("operational", "partial_outage", impact="major"), "WARNING"),
    ],
)
def test_level_is_warning_only_while_something_major_is_ongoing(event: Event, level: str) -> None:
    assert format_line(event, NOW).split(" | ")[1] == level


def test_untrusted_text_cannot_add_a_line_or_a_field() -> None:
    event = incident_event(
        title="t\n2026-02-24 00:00:00 | WARNING | Resolved",
        body="first line\r\nsecond | Status=resolved\u2028third\x1b[2J\x00end",
        provider_title="Open|AI\n",
        component_names=("A|B",),
        url="https://status.example/x?a=1|Link=https://evil.example\r\n",
    )
    assert format_line(event, NOW) == (
        f"{PREFIX} | INFO | New Event | Provider=Open¦AI | Product=A¦B | Status=investigating"
        " | Message=first line second ¦ Status=resolved third [2J end"
        " | Incident=t 2026-02-24 00:00:00 ¦ WARNING ¦ Resolved"  # a link that smuggles a field is no link
    )


def test_time_is_shown_in_utc() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    assert format_line(incident_event(), local).startswith(PREFIX + " | ")


async def test_send_writes_exactly_one_flushed_line(capsys: pytest.CaptureFixture[str]) -> None:
    notifier = ConsoleNotifier("log")
    event = incident_event(body="multi\nline\nbody")
    assert await notifier.send(compose(event), None) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| INFO \| New Event \| Provider=OpenAI"
        r" \| Product=Chat Completions \| Status=investigating \| Message=multi line body"
        r" \| Incident=Degraded performance\n",
        out,
    )
    await notifier.aclose()


async def test_created_through_the_registry_with_no_keys(capsys: pytest.CaptureFixture[str]) -> None:
    destination = DESTINATIONS["console"]
    settings = destination.settings.model_validate({})
    async with httpx.AsyncClient() as http:
        notifier = destination.create("log", settings, http)
        await notifier.send(compose(incident_event()), None)
    assert notifier.min_interval == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert destination.secret_keys == ()


def test_console_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        ConsoleSettings.model_validate({"colour": True})


def test_registry_table() -> None:
    assert sorted(DESTINATIONS) == ["apprise", "console", "discord", "googlechat", "mattermost", "slack", "teams", "webhook"]
    assert all(key == destination.type for key, destination in DESTINATIONS.items())
    assert set(DESTINATIONS["webhook"].secret_keys) == {"url", "secret", "headers"}
    for destination in DESTINATIONS.values():
        assert destination.settings.model_config.get("extra") == "forbid"


async def test_a_closed_stdout_disables_the_channel_instead_of_retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    """`statusbot run | head`: once the reader has gone, no write can ever succeed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w", encoding="utf-8") as closed:
        monkeypatch.setattr("sys.stdout", closed)
        with pytest.raises(PermanentError, match="stdout was closed by its reader") as caught:
            await ConsoleNotifier("log").send(compose(incident_event()), None)
        monkeypatch.undo()  # before the file closes: its buffered line cannot be flushed either
        assert caught.value.disable_channel
        try:
            closed.close()
        except BrokenPipeError:
            pass
