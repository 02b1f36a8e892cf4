"""Console notifier: one line per event on stdout, e.g. (here wrapped)

    2026-02-24 00:54:58 | INFO | New Event | Provider=OpenAI | Product=Chat Completions
    | Status=investigating | Message=Elevated error rates detected
    | Incident=Increased error rates | Link=https://status.openai.com/incidents/01JMYB4A

Level: WARNING while a major or critical incident or outage is ongoing, INFO otherwise (and for
every resolution), so `grep WARNING` finds what hurts right now.

A grouped message prints one line per event (its primary first), each as it would alone. A
digest prints its own line (`Digest | ... | Message=Digest: 2 incidents, ... (From ... UTC)`), then
one line per line of its summary, naming the provider it is about.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from bot.message import Message
from bot.model import (
    COMPONENT_OK,
    FINAL_STATUSES,
    Destination,
    EnvChannel,
    Event,
    PermanentError,
    RetryableError,
    ThreadRef,
)
from bot.text import counted, one_line
from bot.urls import is_web_link

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

LABELS: dict[str, str] = {
    "incident.created": "New Event",
    "maintenance.created": "New Event",
    "incident.updated": "Update",
    "maintenance.updated": "Update",
    "incident.status": "Status Change",
    "maintenance.status": "Status Change",
    "incident.edited": "Edited",
    "maintenance.edited": "Edited",
    "incident.resolved": "Resolved",
    "maintenance.completed": "Resolved",
    "component.status": "Component",
    "provider.summary": "More Changes",
    "incident.reminder": "Reminder",
    "digest": "Digest",
}

_LOUD_IMPACTS = frozenset({"major", "critical"})
_ENDINGS = frozenset({"incident.resolved", "maintenance.completed"})


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def format_lines(message: Message, now: datetime) -> list[str]:
    """Every line `message` prints, stamped `now`."""
    event = message.event
    summary = message.summary
    if summary is not None:
        level = level_for(event) if summary.still_open else "INFO"  # a digest of what is over is news, not trouble
        head = f"{message.title} ({summary.period})" if summary.period else message.title
        lines = [_line(now, level, event, event.provider_title, "", head)]
        lines.extend(_line(now, level, event, part.provider, "", line.removeprefix("• "))
                     for part in summary.providers for line in part.lines)
        return lines
    if event.type == "incident.reminder":
        return [format_line(event, now, message.text)]
    return [format_line(each, now) for each in (event, *event.related)]


def format_line(event: Event, now: datetime, text: str | None = None) -> str:
    """The whole log line for `event`, stamped `now` (shown in UTC): the seed's fields in their
    order, then the incident's title and link where it has them (a summary links its page).
    `text` is the Message field, when not the event's own."""
    fields = [_line(now, level_for(event), event, event.provider_title, _product(event),
                    _message(event) if text is None else text)]
    incident = event.incident
    if incident is not None and incident.title.strip():
        fields.append(f"Incident={safe_field(incident.title)}")
    link = incident.url if incident is not None else event.url if event.type == "provider.summary" else ""
    if is_web_link(link):
        fields.append(f"Link={safe_field(link)}")
    return " | ".join(fields)


def _line(now: datetime, level: str, event: Event, provider: str, product: str, text: str) -> str:
    """The fields every line has, from the stamp to the Message."""
    return " | ".join([
        now.astimezone(UTC).strftime(TIME_FORMAT),
        level,
        LABELS[event.type],
        f"Provider={safe_field(provider)}",
        f"Product={safe_field(product)}",
        f"Status={safe_field(event.status)}",
        f"Message={safe_field(text)}",
    ])


def level_for(event: Event) -> str:
    over = event.type in _ENDINGS or event.status in FINAL_STATUSES or event.status == COMPONENT_OK
    return "WARNING" if event.impact in _LOUD_IMPACTS and not over else "INFO"


def safe_field(text: str) -> str:
    """Untrusted text as one field: one line, no control characters, no '|' to fake a field."""
    return one_line(text).replace("|", "¦")


def _product(event: Event) -> str:
    if event.family == "component":
        return event.component.name if event.component else ""
    if event.incident is None:
        return ""
    return ", ".join(event.incident.component_names) or event.incident.title


def _message(event: Event) -> str:
    if event.type == "provider.summary":
        return f"{counted(event.summarised, 'more change')} in one poll, not announced one by one"
    if event.family == "component":
        new = event.new_status or (event.component.status if event.component else "")
        change = f"{event.old_status} → {new}" if event.old_status else new
        # A held change went out later than it happened: say when it began.
        return f"{change} since {event.since.astimezone(UTC).strftime(TIME_FORMAT)}" if event.since else change
    if event.update is not None and event.update.body.strip():
        return event.update.body
    return event.incident.title if event.incident else ""


class ConsoleNotifier:
    min_interval: ClassVar[float] = 0.0

    def __init__(self, channel: str) -> None:
        self._label = f"console channel '{channel}'"

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        text = "".join(f"{line}\n" for line in format_lines(message, datetime.now(UTC)))
        stream = sys.stdout  # looked up per call: tests and the CLI may swap it
        # An encoding that cannot show "→" or "¦" must not turn into an endless retry.
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = text.encode(encoding, "replace").decode(encoding)
        try:
            stream.write(text)  # one write: the lines of one message stay together
            stream.flush()
        except BrokenPipeError:
            # The reader is gone (`statusbot run | head`) and will not come back: stop this
            # channel, keep its backlog, and never retry a write that cannot succeed.
            raise PermanentError(f"{self._label}: stdout was closed by its reader", disable_channel=True) from None
        except (OSError, ValueError) as exc:
            raise RetryableError(f"{self._label}: cannot write to stdout ({type(exc).__name__})") from None
        return None

    async def aclose(self) -> None:
        return None


def create(channel: str, settings: ConsoleSettings, http: httpx.AsyncClient) -> ConsoleNotifier:
    """The console needs no HTTP client; the signature is the one every destination shares."""
    return ConsoleNotifier(channel)


DESTINATION = Destination(
    type="console", settings=ConsoleSettings, create=create,
    from_env=(EnvChannel("console"),),  # always there without a configuration file
    groups=False,  # one line per event
)
