"""A local status-page server that speaks Statuspage's and incident.io's JSON API over real HTTP.

It runs in a daemon thread, so in-process tests and a bot started as a subprocess can both use
it. Pages are driven through `PageScript`: open an incident, post updates, change components;
each change re-renders `summary.json`, `incidents.json` and (Statuspage only)
`scheduled-maintenances.json` the way the real platforms do.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Never

from ._server import FakeHandler, ThreadedFake

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class PageScript:
    """The state of one page; renders like Atlassian Statuspage, or like incident.io's compat API."""

    def __init__(self, name: str, flavour: str = "statuspage"):
        self.name = name
        self.flavour = flavour  # "statuspage" or "incidentio"
        self.components: dict[str, dict[str, Any]] = {}
        self.incidents: dict[str, dict[str, Any]] = {}
        self.maintenances: dict[str, dict[str, Any]] = {}
        self._clock = START
        self._sequence = 0

    def _tick(self) -> str:
        self._clock += timedelta(minutes=7)
        return self._clock.isoformat().replace("+00:00", "Z")

    def _next_id(self, prefix: str) -> str:
        self._sequence += 1
        return f"{prefix}{self._sequence:04d}"

    def component(self, cid: str, name: str, status: str = "operational") -> None:
        self.components[cid] = {"id": cid, "name": name, "status": status, "updated_at": self._tick()}

    def open_incident(self, iid: str, name: str, body: str, impact: str = "major",
                      status: str = "investigating", components: tuple[str, ...] = ()) -> None:
        now = self._tick()
        self.incidents[iid] = {
            "id": iid, "name": name, "status": status, "impact": impact, "created_at": now, "updated_at": now,
            "shortlink": f"https://stspg.io/{iid}", "incident_updates": [], "components": list(components),
        }
        self.update(iid, status, body)

    def schedule_maintenance(self, mid: str, name: str, body: str, components: tuple[str, ...] = ()) -> None:
        now = self._tick()
        self.maintenances[mid] = {
            "id": mid, "name": name, "status": "scheduled", "impact": "maintenance", "created_at": now,
            "updated_at": now, "scheduled_for": "2026-12-01T02:00:00Z", "scheduled_until": "2026-12-01T04:00:00Z",
            "shortlink": f"https://stspg.io/{mid}", "incident_updates": [], "components": list(components),
        }
        self.update(mid, "scheduled", body)

    def update(self, iid: str, status: str, body: str) -> str:
        """Post an update on an incident or a maintenance."""
        incident = self.incidents.get(iid) or self.maintenances[iid]
        now = self._tick()
        uid = self._next_id("u")
        incident["incident_updates"].insert(0, {  # newest first, as the API sends them
            "id": uid, "incident_id": iid, "status": status, "body": body, "created_at": now,
            "updated_at": now, "display_at": now,
            "affected_components": [
                {"code": c, "name": self.components[c]["name"], "old_status": "operational",
                 "new_status": self.components[c]["status"]}
                for c in incident["components"] if c in self.components
            ],
        })
        incident["status"] = status
        incident["updated_at"] = now
        return uid

    def edit_update(self, iid: str, uid: str, body: str) -> None:
        for update in (self.incidents.get(iid) or self.maintenances[iid])["incident_updates"]:
            if update["id"] == uid:
                update["body"] = body
                update["updated_at"] = self._tick()

    def render_incident(self, incident: dict[str, Any]) -> dict[str, Any]:
        rendered = {k: v for k, v in incident.items() if k != "components"}
        rendered["components"] = [self.components[c] for c in incident["components"] if c in self.components]
        if self.flavour == "incidentio":  # incident.io's compat API lacks these
            for key in ("shortlink", "components"):
                rendered.pop(key)
            rendered["incident_updates"] = [
                {k: v for k, v in u.items() if k != "affected_components"} for u in rendered["incident_updates"]
            ]
        return rendered

    def page(self) -> dict[str, Any]:
        return {"id": "page0001", "name": self.name, "url": f"https://status.{self.name.lower()}.example"}

    def summary(self) -> dict[str, Any]:
        unresolved = [self.render_incident(i) for i in self.incidents.values()
                      if i["status"] not in ("resolved", "postmortem")]
        document: dict[str, Any] = {
            "page": self.page(),
            "status": {"indicator": "major" if unresolved else "none", "description": "…"},
            "components": list(self.components.values()),
        }
        if unresolved or self.flavour == "statuspage":  # incident.io omits the key when empty
            document["incidents"] = unresolved
        if self.flavour == "statuspage":  # upcoming and in progress only, as Statuspage lists them
            document["scheduled_maintenances"] = [
                self.render_incident(m) for m in self.maintenances.values() if m["status"] != "completed"
            ]
        return document

    def maintenances_document(self) -> dict[str, Any]:
        newest_first = sorted(self.maintenances.values(), key=lambda m: m["created_at"], reverse=True)
        return {"page": self.page(), "scheduled_maintenances": [self.render_incident(m) for m in newest_first[:50]]}

    def incidents_document(self) -> dict[str, Any]:
        newest_first = sorted(self.incidents.values(), key=lambda i: i["created_at"], reverse=True)
        return {"page": self.page(), "incidents": [self.render_incident(i) for i in newest_first[:50]]}


class _Page:
    def __init__(self, body: bytes, etag: bool, status: int = 200, headers: dict[str, str] | None = None):
        self.body = body
        self.etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"' if etag else None
        self.status = status
        self.headers = headers or {}


class StatusPageServer(ThreadedFake[str, Never]):  # logs each path asked for; nothing is scripted
    """Serves documents by path; answers If-None-Match with 304 where a page has an ETag."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(_Handler, name="status-page")
        self._pages: dict[str, _Page] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.clock = clock  # a test's fake clock, to see requests on the bot's time
        self.times: defaultdict[str, list[float]] = defaultdict(list)  # clock() at each request, by path

    def serve(self, path: str, body: bytes | dict | list, etag: bool = True, status: int = 200,
              headers: dict[str, str] | None = None) -> None:
        self.serve_many({path: body}, etag=etag, status=status, headers=headers)

    def serve_many(self, documents: dict[str, bytes | dict | list], etag: bool = True, status: int = 200,
                   headers: dict[str, str] | None = None) -> None:
        """Replace several documents at once: no request sees some new and some old."""
        pages = {path: _Page(body if isinstance(body, bytes) else json.dumps(body).encode(), etag, status, headers)
                 for path, body in documents.items()}
        with self._changed:
            self._pages.update(pages)

    def withdraw(self, *paths: str) -> None:
        """Stop serving these documents: they answer 404, as on a page that never had them."""
        with self._changed:
            for path in paths:
                self._pages.pop(path, None)

    def publish(self, prefix: str, script: PageScript) -> None:
        """Serve a script's current state under `prefix` (e.g. "/acme"); incident.io sends no ETag."""
        documents: dict[str, bytes | dict | list] = {
            f"{prefix}/api/v2/summary.json": script.summary(),
            f"{prefix}/api/v2/incidents.json": script.incidents_document(),
        }
        if script.flavour == "statuspage":
            documents[f"{prefix}/api/v2/scheduled-maintenances.json"] = script.maintenances_document()
        self.serve_many(documents, etag=script.flavour == "statuspage")


class _Handler(FakeHandler):
    def do_GET(self) -> None:
        server = self.server.fake
        with server._changed:
            page = server._pages.get(self.path)
            fresh = page is not None and page.etag is not None and self.headers.get("If-None-Match") == page.etag
            server.hits[self.path] += 1
            server.times[self.path].append(server.clock())
            if fresh:
                server.not_modified[self.path] += 1
            server._record(self.path)
        if page is None:
            self._send(404, {"Content-Type": "application/json"}, b'{"error": "not found"}')
        elif fresh:
            self._send(304, {"ETag": page.etag}, b"")
        else:
            headers = dict(page.headers)
            if page.etag:
                headers["ETag"] = page.etag
            self._send(page.status, {**headers, "Content-Type": "application/json"}, page.body)
