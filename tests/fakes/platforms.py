"""Local pages of each status-page platform, as platform detection meets them: one threaded server
on 127.0.0.1 that serves, under a path prefix per page, what that platform answers (its documents
with the content types the real platforms send, its HTML page) and 404 elsewhere.

    with Platforms() as pages:
        address = pages.statuspage("/acme")        # http://127.0.0.1:<port>/acme
        pages.redirect("/old", "/acme")            # /old/<anything> -> 301 -> /acme/<anything>

Documents are the authored payloads of tests/payloads/. A Better Stack-style shell answers 200
with HTML for any path of its prefix; `serve` adds any other answer (hostile ones included).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ._server import FakeHandler, ThreadedFake

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"

STATUSIO_PAGE_ID = "5b36dc6502d06804c08349f7"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


def payload(name: str, content_type: str = JSON) -> Reply:
    return Reply(200, content_type, (PAYLOADS / name).read_bytes())


def html(head: str = "", body: str = "<h1>Status</h1>") -> Reply:
    page = f"<!DOCTYPE html><html><head><title>Status</title>{head}</head><body>{body}</body></html>"
    return Reply(200, HTML, page.encode())


def feed_link(href: str, media_type: str = "application/rss+xml") -> str:
    return f'<link rel="alternate" type="{media_type}" title="Status feed" href="{href}">'


class Platforms(ThreadedFake[str, None]):
    """What each page of each platform answers, by path; the log holds the paths asked."""

    def __init__(self) -> None:
        super().__init__(_Handler, "platform-pages")
        self._routes: dict[str, Reply] = {}
        self._shells: dict[str, Reply] = {}  # prefix -> the answer to any path under it
        self._moved: dict[str, str] = {}  # old prefix -> new prefix

    def serve(self, path: str, reply: Reply) -> None:
        self._routes[path] = reply

    def shell(self, prefix: str, reply: Reply) -> str:
        """Answer `reply` to every path under `prefix`, as a single-page app's host does."""
        self._shells[prefix] = reply
        return self.url + prefix

    def redirect(self, old: str, new: str) -> str:
        """Every path under `old` answers 301 to the same path under `new` (a prefix of this
        server's, or an absolute URL)."""
        self._moved[old] = new
        return self.url + old

    def page(self, prefix: str, replies: dict[str, Reply]) -> str:
        for path, reply in replies.items():
            self.serve(prefix + path, reply)
        return self.url + prefix

    # ------------------------------------------------------------ the platforms

    def statuspage(self, prefix: str) -> str:
        """An Atlassian page: its v2 API, and HTML linking its history feed, as real ones do."""
        return self.page(prefix, {
            "": html(feed_link(f"{prefix}/history.atom", "application/atom+xml")),
            "/api/v2/summary.json": payload("statuspage_summary.json"),
            "/api/v2/incidents.json": payload("statuspage_incidents.json"),
            "/api/v2/scheduled-maintenances.json": payload("statuspage_summary.json"),
            "/history.atom": payload("feed/github_history.atom", ATOM),
        })

    def incidentio(self, prefix: str) -> str:
        """An incident.io page: the Statuspage-compatible summary and incidents, and a feed link."""
        return self.page(prefix, {
            "": html(feed_link(f"{prefix}/feed.rss")),
            "/api/v2/summary.json": payload("incidentio_summary_active.json"),
            "/api/v2/incidents.json": payload("incidentio_incidents.json"),
            "/feed.rss": payload("feed/generic.rss", RSS),
        })

    def statusio(self, prefix: str, api: str = "/statusio-api") -> str:
        """A status.io page whose script calls its API (served here under `api`, standing for
        api.status.io); returns the page's address."""
        api_url = f"{self.url}{api}/1.0/status/{STATUSIO_PAGE_ID}"
        script = f'<script>var statusAPI = "{api_url.replace("/", chr(92) + "/")}";</script>'
        self.serve(f"{api}/1.0/status/{STATUSIO_PAGE_ID}", payload("statusio/status-1.json"))
        return self.page(prefix, {"": html(script)})

    def rss(self, prefix: str) -> str:
        """An RSS feed's own URL."""
        return self.page(prefix, {"/feed.rss": payload("feed/generic.rss", RSS)}) + "/feed.rss"

    def atom(self, prefix: str) -> str:
        """An Atom feed's own URL."""
        return self.page(prefix, {"/history.atom": payload("feed/github_history.atom", ATOM)}) + "/history.atom"

    def page_with_feed(self, prefix: str) -> str:
        """An HTML page of no known platform whose <link rel="alternate"> names its RSS feed by a
        relative URL; its address ends with "/", so that the feed is under it."""
        replies = {"": html(feed_link("status.rss")), "/status.rss": payload("feed/azure_active.rss", RSS)}
        return self.page(prefix, replies) + "/"

    def instatus(self, prefix: str) -> str:
        return self.page(prefix, {
            "": html(),
            "/summary.json": payload("instatus/summary-1.json"),
            "/v2/components.json": payload("instatus/components-1.json"),
        })

    def betterstack(self, prefix: str) -> str:
        """A Better Stack page: its index.json, and its HTML shell for any other path."""
        self.serve(f"{prefix}/index.json", payload("betterstack/index-1.json", "application/vnd.api+json"))
        return self.shell(prefix, html())

    def cachet(self, prefix: str) -> str:
        return self.page(prefix, {
            "": html(),
            "/api/v1/ping": Reply(200, JSON, b'{"data":"Pong!"}'),
            "/api/v1/components": payload("cachet/components-1.json"),
            "/api/v1/incidents": payload("cachet/incidents-1.json"),
            "/api/v1/schedules": payload("cachet/schedules-1.json"),
        })

    # ------------------------------------------------------------ answering

    def answer(self, path: str) -> tuple[Reply, str | None]:
        """The reply to `path` (its query left out), and where it moved when it did."""
        path = path.split("?", 1)[0].rstrip("/")
        for old, new in self._moved.items():
            if path == old or path.startswith(f"{old}/"):
                return Reply(301, HTML, b"<html>Moved</html>"), new + path[len(old):]
        if path in self._routes:
            return self._routes[path], None
        for prefix, reply in self._shells.items():
            if path == prefix or path.startswith(f"{prefix}/"):
                return reply, None
        return Reply(404, HTML, b"<!DOCTYPE html><html><body>Not found</body></html>"), None


class _Handler(FakeHandler):
    def do_GET(self) -> None:
        fake = self.server.fake
        assert isinstance(fake, Platforms)
        fake._record(self.path)
        reply, moved = fake.answer(self.path)
        headers = {"Content-Type": reply.content_type}
        if moved is not None:
            headers["Location"] = moved
        self._send(reply.status, headers, reply.body)
