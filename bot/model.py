"""The shared model: what providers produce, what notifiers consume, and the errors they raise.

`providers/` and `notifiers/` import this module (and `bot.text`) only, never the engine.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict

from bot.text import PageLine, PageText, as_utc, one_line

if TYPE_CHECKING:
    from bot.message import Message

# Impact levels, lowest first; routing compares their positions.
IMPACTS: tuple[str, ...] = ("none", "minor", "major", "critical")

# Phases after which an incident or maintenance is over.
FINAL_STATUSES = frozenset({"resolved", "postmortem", "completed", "canceled", "cancelled"})

COMPONENT_OK = "operational"

# How bad a component status is, for routing by `min_impact`.
COMPONENT_IMPACT: dict[str, str] = {
    "operational": "none",
    "under_maintenance": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}


UtcTime = Annotated[datetime, AfterValidator(as_utc)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Every string a page supplies is a PageLine (one line) or PageText (the body): cleaned of
# control, bidi and invisible characters as the model is built, so nothing downstream sees them.


class Update(Frozen):
    """One message posted on an incident. `id` is the page's id, or a synthetic stable one."""

    id: PageLine
    status: PageLine
    body: PageText = ""
    created_at: UtcTime | None = None


class Incident(Frozen):
    """An incident or a maintenance, as of one fetch. `updates` are oldest first."""

    id: PageLine
    kind: Literal["incident", "maintenance"] = "incident"
    title: PageLine
    status: PageLine
    impact: PageLine = "none"
    url: PageLine = ""
    created_at: UtcTime | None = None
    updated_at: UtcTime | None = None
    scheduled_for: UtcTime | None = None
    scheduled_until: UtcTime | None = None
    component_ids: tuple[PageLine, ...] = ()
    component_names: tuple[PageLine, ...] = ()
    updates: tuple[Update, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Component(Frozen):
    id: PageLine
    name: PageLine
    status: PageLine
    group_id: PageLine | None = None
    group: PageLine | None = None  # the group's name, so a scope may name a whole group

    def aliases(self) -> set[str]:
        """What a scope may call this component, case-folded: id, name, its group's id or name."""
        return {n.casefold() for n in (self.id, self.name, self.group_id, self.group) if n}


class Snapshot(Frozen):
    """What a page shows at one moment. Several documents of one page merge into one snapshot."""

    incidents: dict[PageLine, Incident] = {}
    components: dict[PageLine, Component] = {}

    def merged(self, other: Snapshot) -> Snapshot:
        """Union of two partial snapshots; of two copies of an incident, the more recent wins."""
        incidents = dict(self.incidents)
        for key, incident in other.incidents.items():
            mine = incidents.get(key)
            if mine is None or _recency(incident) > _recency(mine):
                incidents[key] = incident
        return Snapshot(incidents=incidents, components={**self.components, **other.components})


def _recency(incident: Incident) -> tuple[int, str]:
    stamp = incident.updated_at.isoformat() if incident.updated_at else ""
    return (len(incident.updates), stamp)


EventType = Literal[
    "incident.created",
    "incident.updated",
    "incident.status",
    "incident.edited",
    "incident.resolved",
    "maintenance.created",
    "maintenance.updated",
    "maintenance.status",
    "maintenance.edited",
    "maintenance.completed",
    "component.status",
    "provider.summary",
    "incident.reminder",
    "digest",
]


class Event(Frozen):
    """One announceable change. `key` deduplicates it; `id` is stable for its whole life."""

    id: str
    type: EventType
    key: str
    provider: str  # configured provider name
    provider_title: str  # display name, e.g. "OpenAI"
    thread_key: str  # what groups messages into one thread: the incident, or the component
    impact: str = "none"
    occurred_at: UtcTime | None = None
    incident: Incident | None = None
    update: Update | None = None
    component: Component | None = None
    old_status: str | None = None
    new_status: str | None = None
    url: str = ""  # where a reader learns more: the incident's page, else the status page
    summarised: int = 0  # on a provider.summary event: how many changes it stands for
    # Noise control (`bot.noise`): what one message tells besides this event, and how it waited.
    related: tuple[Event, ...] = ()  # told in the same message: a poll's grouped changes, a digest's events
    since: UtcTime | None = None  # a held change: when it began; a digest: the start of its period
    reply: bool = False  # belongs in its thread as a reply only: it never starts or edits the thread

    @property
    def family(self) -> str:
        """'incident', 'maintenance' or 'component': what a channel's `events` filter names."""
        return self.type.split(".", 1)[0]

    @property
    def status(self) -> str:
        """The phase or component status this event announces."""
        if self.new_status:
            return self.new_status
        if self.update is not None:
            return self.update.status
        return self.incident.status if self.incident else ""


def short_digest(text: str) -> str:
    """16 hex digits of the SHA-256 of `text`: a key part that stands for text of any length."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ids_digest(ids: Iterable[str]) -> str:
    """The short digest of a set of events' ids, in the order given: the key of what stands for them
    (a summary, a group, a held change, a digest), the same when the same events are planned again."""
    return short_digest("\n".join(ids))


def event_id(provider: str, key: str) -> str:
    """A deterministic id, so the same change always carries the same idempotency key."""
    digest = hashlib.sha256(f"{provider}\x00{key}".encode()).hexdigest()[:26]
    return f"evt_{digest}"


# ---------------------------------------------------------------- errors


class StatusbotError(Exception):
    """Base of our own errors; messages never contain secrets.

    A message is one line without control characters, whatever it quotes (a page's answer, a
    destination's): it goes to a log line, `statusbot status` and the database.
    """

    def __init__(self, message: str = ""):
        super().__init__(one_line(message))


class ConfigError(StatusbotError):
    """A configuration problem; the message is one line naming the key."""


class ParseError(StatusbotError):
    """A status page answered something we cannot read."""


class FetchError(StatusbotError):
    """A status page could not be fetched. `reason` is a short label for metrics and logs."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.retry_after = retry_after


class DeliveryError(StatusbotError):
    """A notifier failed to deliver; subclasses say whether trying again can help."""


class RetryableError(DeliveryError):
    """Worth retrying later; `retry_after` (seconds) when the destination said how long."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Retrying the same request cannot help.

    `disable_channel` is true when the destination itself is unusable (bad credentials, gone);
    then the channel stops and keeps its backlog, else only this message is given up.
    """

    def __init__(self, message: str, disable_channel: bool = False):
        super().__init__(message)
        self.disable_channel = disable_channel


# ---------------------------------------------------------------- plug-in contracts

# What a notifier remembers about the first message of a thread (Slack ts, Discord message id).
ThreadRef = dict[str, str]


class Notifier(Protocol):
    """Sends one message to one destination. Raises RetryableError or PermanentError."""

    # Least seconds between two sends on one channel (the destination's rate limit).
    min_interval: ClassVar[float]

    async def send(self, message: Message, thread: ThreadRef | None) -> ThreadRef | None:
        """Deliver `message`. `thread` is what this returned for the thread's first message in
        this channel, if any; return a ref only when this send started a (new) thread."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Validators:
    """What a page told us to send back to learn whether it changed (kept by the store, sent by
    the fetcher)."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True)
class Document:
    """One URL a provider reads; `role` tells the parser what it is (e.g. 'summary').

    `every` > 1 marks a document that changes only with, or rarely beside, the ones read every
    poll (a history of resolved incidents beside a summary of open ones): it is read every
    `every`-th poll, and whenever a document read every poll changed.
    """

    role: str
    url: str
    every: int = 1


@dataclass(frozen=True)
class Limits:
    """The most items a parser reads of one document (`[bot] max_incidents`, `max_components`,
    `max_updates`), so that no page can grow the bot's memory by what it lists. Beyond a limit,
    the newest incidents and updates are read, and the first components."""

    incidents: int = 500  # incidents and maintenances of one document, together
    components: int = 1000
    updates: int = 100  # of one incident


DEFAULT_LIMITS = Limits()

# What a limit cut: the kind of item ("entries" are a feed's items, which may be updates).
CutItems = Literal["incidents", "entries", "components", "updates"]


@dataclass(frozen=True)
class Reading:
    """A document as read within its limits: its partial snapshot, and for each kind of item a
    limit cut, how many the document listed (for updates, the most one incident had)."""

    snapshot: Snapshot
    cut: Mapping[CutItems, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What a page answered to one of platform detection's requests: any status, redirects followed."""

    url: str  # where the answer came from, after redirects
    status: int
    content_type: str  # the media type, lower case, without parameters ("" when not sent)
    body: bytes


@dataclass(frozen=True)
class Sign:
    """How platform detection recognises a page of a format.

    `ask` turns the address a user gave into the URL to request (a path appended to it, or the
    address itself); `read` judges the answer: the URL to configure for this format when the
    answer is this platform's (usually the base URL, a feed's own URL for a feed), else None.
    Detection then reads the format's documents at that URL before it believes the sign.
    """

    ask: Callable[[str], str]  # the address given -> the URL to request
    read: Callable[[str, Answer], str | None]  # (the address given, its answer) -> URL to configure


@dataclass(frozen=True)
class Format:
    """A status-page format: which documents to fetch and how to read each of them."""

    kind: str
    platform: str  # how people name the platform ("Statuspage", "incident.io"): detection's messages say it
    description: str
    documents: Callable[[str], list[Document]]  # base URL -> documents
    read: Callable[[str, bytes, str, Limits], Reading]  # (role, body, base URL, limits) -> partial snapshot
    # True where a page lists only what is ongoing (status.io): an unresolved incident that
    # leaves the list was resolved, not deleted.
    vanished_means_resolved: bool = False
    # True where a page sometimes leaves components out of one answer (incident.io): a component
    # keeps its last known status until the page lists it again. Elsewhere a component that leaves
    # the answer was removed, and one that comes back is new.
    keeps_unlisted_components: bool = False
    # How platform detection recognises this format's pages; none: it never detects them.
    signs: tuple[Sign, ...] = ()

    def parse(self, role: str, body: bytes, base_url: str, limits: Limits = DEFAULT_LIMITS) -> Snapshot:
        """A document's partial snapshot, without the account of what the limits cut. Raises ParseError."""
        return self.read(role, body, base_url, limits).snapshot


# What confirmed a preset's platform and address: a public capture of its documents, its
# documented endpoint in the public configuration of other projects, the platform's own customer
# list, or the service's own documentation of its status page.
EVIDENCE_KINDS = ("capture", "config", "customers", "docs")


@dataclass(frozen=True)
class Evidence:
    """Where a preset's platform and address were confirmed."""

    by: Literal["capture", "config", "customers", "docs"]
    source: str  # where to look: a repository and path (with the year seen), or a public address


# The kind of a page whose platform is detected at its first poll (and again when it moves).
AUTO_KIND = "auto"


@dataclass(frozen=True)
class Preset:
    """A catalog entry: a well-known page under a short name. A preset whose platform could not be
    confirmed has kind "auto" and no evidence: the bot detects its platform at the first poll."""

    name: str
    title: str
    kind: str
    url: str
    note: str = ""  # a caveat for the operator (what the page covers, what it leaves out)
    evidence: Evidence | None = None


JSON = dict[str, Any]


@dataclass(frozen=True)
class EnvChannel:
    """A channel that the built-in defaults (no configuration file) add from the environment.

    `variables` maps settings keys to environment variables. The first variable adds the channel
    when it is set; the others, except those in `optional`, are then required. With no variables
    the channel is always there.
    """

    name: str
    variables: Mapping[str, str] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()

    @property
    def trigger(self) -> str | None:
        """The variable whose value adds the channel; None: always added."""
        return next(iter(self.variables.values()), None)


@dataclass(frozen=True)
class Destination:
    """A channel type: the keys it adds to a `[[channels]]` table and how to build its notifier."""

    type: str
    settings: builtins.type[BaseModel]  # validated by the config loader; extra keys are errors
    create: Callable[[str, Any, Any], Notifier]  # (channel name, settings, httpx.AsyncClient)
    secret_keys: tuple[str, ...] = ()  # settings shown redacted by `statusbot check`
    from_env: tuple[EnvChannel, ...] = ()  # the channels it adds without a configuration file
    # Whether a channel groups one poll's changes into one message when its table does not say
    # (`group`): chat destinations do; a machine reader (a webhook) wants one delivery per event.
    groups: bool = True
    # Whether the service can ping anyone: where it cannot (a Teams workflow), a channel's
    # `mention` does nothing and `check` says so.
    mentions: bool = True
