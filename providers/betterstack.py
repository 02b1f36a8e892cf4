"""Better Stack (formerly Better Uptime) hosted status pages: the public `<page>/index.json`.

The document is JSON:API: `data` is the page (`type` "status_page", `attributes.aggregate_state`
operational | degraded | downtime | maintenance), its `relationships` name its `sections`,
`resources` and `status_reports`, and `included` holds their details, told apart by `type`:

- `status_page_section` (`name`): a group of resources.
- `status_page_resource` (`public_name`, `status_page_section_id`, `status`): a component.
  Status: operational -> operational, degraded -> degraded_performance, downtime -> major_outage,
  maintenance -> under_maintenance, not_monitored (no monitor watches it now) -> operational;
  without a readable status, operational (an outage is never invented).
- `status_report` (`title`, `report_type` manual | automatic | maintenance, `starts_at`,
  `ends_at`, `aggregate_state`, `affected_resources`): an incident, or a maintenance when its
  `report_type` is "maintenance". The page lists recent reports, resolved ones included, so a
  report that leaves the list was not resolved by leaving it.
- `status_update` (`message`, `published_at`, `status_report_id`, `affected_resources`): a
  message posted on a report, when the page includes it (linked by the report's
  `relationships.status_updates` or by its own `status_report_id`). Keyed by its id.

Phases. A report is over when its `aggregate_state` is "resolved" or "operational": an incident
is then "resolved", a maintenance "completed". An open incident is "investigating": Better Stack
has no identified or monitoring phase. An open maintenance is "in_progress" while a resource it
affects is under maintenance on the page, else "scheduled" (the document carries no clock, and
a report's times are what was planned). Updates carry no phase of their own: the newest carries
the report's, earlier ones the phase it opens in ("investigating", or "scheduled").

Impact of an incident: the worst resource status its report and updates name (degraded minor,
downtime critical, as a component's), and at least minor: a report is posted because something
is degraded or down. It does not fall when the report is resolved, so a channel that heard of an
incident also hears of its resolution. Maintenances have none. A report's link is
`<page>/incident/<id>`, where the hosted page shows it.

Not exposed here: the page's own announcement, per-day uptime history (`status_history`), and,
where the page leaves them out of `included`, the update messages (its RSS feed `/feed.rss`
carries them; the `feed` format reads it).

A hosted page answers 200 with its HTML shell for any path, so a body that is not this exact
shape (HTML, another platform's JSON, an error object) is a ParseError, and platform detection
believes only a JSON answer whose `data` is a status page with an `aggregate_state`.

Sources: https://betterstack.com/docs/uptime/status-pages/subscribing-to-status-updates/subscribing-to-api
(index.json), https://betterstack.com/docs/uptime/api/status-page-reports-api-response-params and
.../status-page-report-updates-api-response-params (report and update objects), the public
index.json of status.latitude.so (shape of sections, resources and report references), and
bentleypark/aiwatch `worker/src/parsers/betterstack.ts` (report_type "maintenance", a resolved
report's aggregate_state "resolved", link `/incident/<id>`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

from bot.model import (
    COMPONENT_IMPACT,
    COMPONENT_OK,
    IMPACTS,
    JSON,
    Answer,
    Component,
    Document,
    Format,
    Incident,
    Limits,
    ParseError,
    Reading,
    Sign,
    Snapshot,
    Update,
)
from bot.text import one_line, tidy
from providers._parse import Caps, chronological, ident, load_object, mapping, objects, text, timestamp
from providers._signs import at_path, json_object

INDEX = "index.json"

_RESOURCE_STATUSES = {
    "operational": COMPONENT_OK,
    "not_monitored": COMPONENT_OK,
    "degraded": "degraded_performance",
    "downtime": "major_outage",
    "maintenance": "under_maintenance",
}

# A report in one of these states is over.
_OVER = frozenset({"resolved", "operational"})

# The media types a page's index.json may be served as.
_JSON_TYPES = frozenset({"application/json", "application/vnd.api+json"})

# What a page's `included` holds, by the `type` of each item; other types are skipped.
_SECTION, _RESOURCE, _REPORT, _UPDATE = "status_page_section", "status_page_resource", "status_report", "status_update"


def documents(base_url: str) -> list[Document]:
    """The page's one document; a path prefix in `base_url` is kept."""
    return [Document("index", f"{_base(base_url)}/{INDEX}")]


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def read(role: str, body: bytes, base_url: str, limits: Limits) -> Reading:
    """Components, and incidents and maintenances with their updates. Raises ParseError only.

    Incidents and maintenances share `limits.incidents`: the newest by their start. Components are
    the first resources listed.
    """
    caps = Caps(limits)
    included = _Included()
    document = load_object(body, {("included",): included.keep})
    if _page(document) is None:
        raise ParseError("not a Better Stack index.json: no 'data' object of type status_page")
    components = _components(caps.components(included.resources), included.sections)
    # Reports read every resource, so that what a limit cuts of the components does not move them.
    resources = _Resources(included.resources)
    reports = caps.incidents(included.reports, _started)
    site = _base(base_url)
    incidents = (_report(caps, item, included.updates_of(item), resources, site) for item in reports)
    snapshot = Snapshot(incidents={i.id: i for i in incidents if i is not None}, components=components)
    return caps.reading(snapshot)


def _page(document: JSON) -> JSON | None:
    """The page object, when `data` is one ("included" must be a list, if there)."""
    data = mapping(document, "data")
    if text(data, "type") != "status_page" or not isinstance(data.get("attributes"), dict):
        return None
    if document.get("included") is not None and not isinstance(document.get("included"), list):
        return None
    return data


class _Included:
    """The items of `included`, by type, as they are decoded. Only the fields read are kept of a
    resource (each carries 90 days of history that nothing here reads)."""

    def __init__(self) -> None:
        self.sections: dict[str, str] = {}
        self.resources: list[JSON] = []
        self.reports: list[JSON] = []
        self._updates: dict[str, JSON] = {}  # by id
        self._updates_by_report: dict[str, list[str]] = {}

    def keep(self, items: Iterator[object]) -> list[object]:
        for item in items:
            if not isinstance(item, dict):
                continue
            kind = text(item, "type")
            attributes = mapping(item, "attributes")
            if kind == _SECTION and (section_id := ident(item)) is not None:
                self.sections.setdefault(section_id, one_line(text(attributes, "name")))
            elif kind == _RESOURCE:
                self.resources.append({"id": item.get("id"), **{key: attributes.get(key) for key in (
                    "public_name", "status", "status_page_section_id")}})
            elif kind == _REPORT:
                self.reports.append(item)
            elif kind == _UPDATE and (update_id := ident(item)) is not None:
                self._updates.setdefault(update_id, item)
                if (report_id := ident(attributes, "status_report_id")) is not None:
                    self._updates_by_report.setdefault(report_id, []).append(update_id)
        return []  # everything kept is held here, not in the document

    def updates_of(self, report: JSON) -> list[JSON]:
        """The report's updates: those its relationships name and those naming it, each once."""
        linked = [ident(entry) for entry in objects(mapping(mapping(report, "relationships"), "status_updates"), "data")]
        naming = self._updates_by_report.get(ident(report) or "", [])
        ids = dict.fromkeys(update_id for update_id in (*linked, *naming) if update_id is not None)
        return [self._updates[update_id] for update_id in ids if update_id in self._updates]


def _started(item: JSON) -> datetime | None:
    return timestamp(mapping(item, "attributes"), "starts_at")


# ---------------------------------------------------------------- components


def _components(resources: list[JSON], sections: dict[str, str]) -> dict[str, Component]:
    components: dict[str, Component] = {}
    for item in resources:
        component_id = ident(item)
        if component_id is None:
            continue
        group_id = ident(item, "status_page_section_id")
        components[component_id] = Component(
            id=component_id,
            name=one_line(text(item, "public_name")) or component_id,
            status=_RESOURCE_STATUSES.get(_state(item, "status"), COMPONENT_OK),
            group_id=group_id,
            group=sections.get(group_id or "") or None,
        )
    return components


def _state(item: JSON, key: str) -> str:
    return text(item, key).strip().lower()


class _Resources:
    """What a report needs of every resource listed: its name, and whether it is under maintenance."""

    def __init__(self, resources: list[JSON]):
        self.names: dict[str, str] = {}
        self.in_maintenance: set[str] = set()
        for item in resources:
            if (resource_id := ident(item)) is not None:
                self.names.setdefault(resource_id, one_line(text(item, "public_name")) or resource_id)
                if _state(item, "status") == "maintenance":
                    self.in_maintenance.add(resource_id)


# ---------------------------------------------------------------- reports


def _report(caps: Caps, item: JSON, raw_updates: list[JSON], resources: _Resources, site: str) -> Incident | None:
    report_id = ident(item)
    if report_id is None:
        return None
    attributes = mapping(item, "attributes")
    maintenance = _state(attributes, "report_type") == "maintenance"
    updates = chronological([mapping(update, "attributes") | {"id": update.get("id")} for update in raw_updates],
                            "published_at")
    affected = _affected(attributes, updates)
    status = _status(attributes, maintenance, any(r in resources.in_maintenance for r in affected))
    opening = "scheduled" if maintenance else "investigating"
    kept = caps.updates([update for update in updates if ident(update) is not None])
    return Incident(
        id=report_id,
        kind="maintenance" if maintenance else "incident",
        title=one_line(text(attributes, "title")),
        status=status,
        impact="none" if maintenance else _impact(attributes, updates),
        url=f"{site}/incident/{quote(report_id, safe='')}",
        created_at=timestamp(attributes, "starts_at"),
        updated_at=max((moment for u in kept if (moment := timestamp(u, "published_at"))), default=None),
        scheduled_for=timestamp(attributes, "starts_at") if maintenance else None,
        scheduled_until=timestamp(attributes, "ends_at") if maintenance else None,
        component_ids=tuple(affected),
        component_names=tuple(resources.names.get(r, r) for r in affected),
        updates=tuple(
            Update(
                id=ident(update) or "",
                status=status if position == len(kept) - 1 else opening,
                body=tidy(text(update, "message")),
                created_at=timestamp(update, "published_at"),
            )
            for position, update in enumerate(kept)
        ),
    )


def _affected(attributes: JSON, updates: list[JSON]) -> list[str]:
    """The resources a report names, its own list first, then its updates', each once."""
    entries = [*objects(attributes, "affected_resources"), *(e for u in updates for e in objects(u, "affected_resources"))]
    return list(dict.fromkeys(rid for entry in entries if (rid := ident(entry, "status_page_resource_id"))))


def _status(attributes: JSON, maintenance: bool, running: bool) -> str:
    """The report's phase; `running`: a resource it affects is under maintenance now."""
    if _state(attributes, "aggregate_state") in _OVER:
        return "completed" if maintenance else "resolved"
    if not maintenance:
        return "investigating"
    return "in_progress" if running else "scheduled"


def _impact(attributes: JSON, updates: list[JSON]) -> str:
    """The worst resource state the report and its updates name, at least minor."""
    states = [_state(attributes, "aggregate_state")]
    for entry in (*objects(attributes, "affected_resources"), *(e for u in updates for e in objects(u, "affected_resources"))):
        states.append(_state(entry, "status"))
    impacts = [COMPONENT_IMPACT.get(_RESOURCE_STATUSES.get(state, ""), "none") for state in states]
    return max(("minor", *impacts), key=IMPACTS.index)


# ---------------------------------------------------------------- detection


def _read_sign(address: str, answer: Answer) -> str | None:
    """The page's base URL when the answer is a Better Stack index.json: status 200, JSON, and
    `data` a status page with an `aggregate_state` (a hosted page answers any path with its HTML)."""
    document = json_object(answer) if answer.content_type in _JSON_TYPES else None
    page = _page(document) if document is not None else None
    if page is None or not isinstance(mapping(page, "attributes").get("aggregate_state"), str):
        return None
    url = answer.url.split("?", 1)[0].split("#", 1)[0]
    return url.removesuffix(f"/{INDEX}") if url.endswith(f"/{INDEX}") else None


FORMAT = Format(
    kind="betterstack",
    platform="Better Stack",
    description="Better Stack (Better Uptime) hosted status pages (/index.json)",
    documents=documents,
    read=read,
    signs=(Sign(ask=at_path(f"/{INDEX}"), read=_read_sign),),
)
