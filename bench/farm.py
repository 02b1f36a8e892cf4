"""A farm of static status pages for the benchmark, served by nginx (or, without it, by Python).

Layout under `root`:

    templates/<flavour>/<t>/{summary,incidents,scheduled-maintenances}.json   one set per template
    www/p/<i>/api/v2/*.json   Statuspage pages (ETag / Last-Modified; answer 304)
    www/n/<i>/api/v2/*.json   incident.io-like pages: no validators at all (always 200)

A page's files start as hard links to one of a pool of templates (all templates differ, all are
realistic in size and shape: 20-60 KB summary.json with many components, an open incident,
maintenances; an incidents.json of recent incidents). A page that changes gets files of its own,
written to a temporary name and renamed over the old one, so nginx never serves half a file.
The `Changer` records when each change landed: the detection latency is measured from there.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STATUSPAGE, INCIDENTIO = "statuspage", "incidentio"
PREFIX = {STATUSPAGE: "p", INCIDENTIO: "n"}  # URL prefix per flavour: /p/<i>, /n/<i>
DOCS = {
    STATUSPAGE: ("summary.json", "incidents.json", "scheduled-maintenances.json"),
    INCIDENTIO: ("summary.json", "incidents.json"),
}
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

_WORDS = ["API", "Dashboard", "Webhooks", "Git", "Operations", "Actions", "Packages", "Pages", "Codespaces", "Copilot", "Search", "Billing", "Login", "SSO", "Notifications", "Storage", "Compute", "Database", "DNS", "CDN", "Email", "SMS", "Voice", "Video", "Chat", "Realtime", "Batch", "Files", "Embeddings", "Fine-tuning", "Moderation", "Analytics", "Reporting", "Exports", "Imports", "Sync", "Mobile", "Desktop", "Web", "Console", "CLI", "SDK", "Auth", "Payments", "Invoices", "Identity", "Scheduler", "Queue", "Streaming", "Logs", "Metrics", "Tracing", "Alerts", "Backups", "Registry", "Build", "Deploy"]
_REGIONS = ("us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east", "global")
_SENTENCES = (
    "We are investigating elevated error rates for some customers.",
    "A fix has been implemented and we are monitoring the results.",
    "We have identified the cause and are rolling out a mitigation across affected regions.",
    "Some requests may fail or be slower than usual; retries are expected to succeed.",
    "This incident has been resolved. We will publish a post-incident review with the root cause.",
    "Engineers are working with our upstream provider to restore full service.",
    "Error rates have returned to normal levels; we continue to monitor closely.",
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ident(rng: random.Random, flavour: str) -> str:
    if flavour == INCIDENTIO:  # ULIDs
        return "01" + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(24))
    return "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(12))


class Page:
    """One page's documents, generated deterministically from (flavour, seed), Statuspage v2 shapes."""

    def __init__(self, flavour: str, seed: int):
        self.flavour = flavour
        rng = random.Random(f"{flavour}-{seed}")
        self._rng = rng
        self.page_id = _ident(rng, flavour)
        self.page = {"id": self.page_id, "name": f"Bench {flavour} {seed}", "url": f"https://status{seed}.example.com",
                     "time_zone": "Etc/UTC", "updated_at": _iso(EPOCH)}
        self.components: list[dict[str, Any]] = []
        n = rng.randint(55, 140)
        group: dict[str, Any] | None = None
        for position in range(n):
            if flavour == STATUSPAGE and position % 9 == 0:
                group = self._component(rng, f"{rng.choice(_REGIONS).upper()} {rng.choice(_WORDS).upper()}",
                                        position, None, is_group=True)
                self.components.append(group)
                continue
            name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} ({rng.choice(_REGIONS)})"
            component = self._component(rng, name, position, group["id"] if group else None, is_group=False)
            if group is not None:
                group["components"].append(component["id"])
            self.components.append(component)
        leaves = [c for c in self.components if not c.get("group")]
        self.clock = EPOCH - timedelta(days=60)
        self.history = [self._incident(rng, leaves, resolved=True) for _ in range(25)]
        self.history.reverse()  # newest first
        self.clock = EPOCH
        self.open_incident = self._incident(rng, leaves, resolved=False)
        self.maintenances = [self._maintenance(rng, leaves, status) for status in
                             ("scheduled", "scheduled", "in_progress", "completed", "completed")]
        self.sequence = 0

    # ------------------------------------------------------------------ generation

    def _component(self, rng: random.Random, name: str, position: int, group_id: str | None,
                   is_group: bool) -> dict[str, Any]:
        component: dict[str, Any] = {
            "id": _ident(rng, self.flavour), "name": name,
            "status": "operational" if rng.random() > 0.03 else "degraded_performance",
            "created_at": _iso(EPOCH - timedelta(days=rng.randint(100, 2000))), "updated_at": _iso(EPOCH),
            "position": position, "description": rng.choice((None, f"{name} availability and latency")),
            "showcase": False, "start_date": None, "group_id": group_id, "page_id": self.page_id,
            "group": is_group, "only_show_if_degraded": False,
        }
        if is_group:
            component["components"] = []
        return component

    def _tick(self, rng: random.Random) -> str:
        self.clock += timedelta(minutes=rng.randint(3, 90), seconds=rng.randint(0, 59))
        return _iso(self.clock)

    def _update(self, rng: random.Random, incident: dict[str, Any], status: str, body: str,
                touched: list[dict[str, Any]], update_id: str | None = None) -> dict[str, Any]:
        now = self._tick(rng)
        update: dict[str, Any] = {
            "id": update_id or _ident(rng, self.flavour), "status": status, "body": body,
            "incident_id": incident["id"], "created_at": now, "updated_at": now, "display_at": now,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
        }
        if self.flavour == STATUSPAGE:
            update["affected_components"] = [
                {"code": c["id"], "name": c["name"], "old_status": "operational", "new_status": "degraded_performance"}
                for c in touched
            ]
        incident["incident_updates"].insert(0, update)  # newest first, as the API lists them
        incident["status"] = status
        incident["updated_at"] = now
        return update

    def _incident(self, rng: random.Random, leaves: list[dict[str, Any]], resolved: bool) -> dict[str, Any]:
        touched = rng.sample(leaves, k=min(len(leaves), rng.randint(1, 3)))
        created = self._tick(rng)
        incident: dict[str, Any] = {
            "id": _ident(rng, self.flavour), "name": f"{rng.choice(('Elevated errors', 'Degraded performance', 'Delays', 'Partial outage'))} for {touched[0]['name']}",
            "status": "investigating", "created_at": created, "updated_at": created, "monitoring_at": None,
            "resolved_at": None, "impact": rng.choice(("minor", "major", "critical")), "started_at": created,
            "page_id": self.page_id, "incident_updates": [], "components": touched,
        }
        if self.flavour == STATUSPAGE:
            incident["shortlink"] = f"https://stspg.io/{incident['id'][:8]}"
        phases = ["investigating", "identified", "monitoring", "resolved"] if resolved else ["investigating", "identified"]
        for phase in phases[: rng.randint(2, len(phases))] if not resolved else phases:
            self._update(rng, incident, phase, " ".join(rng.sample(_SENTENCES, 2)), touched)
        if resolved:
            incident["resolved_at"] = incident["updated_at"]
        return incident

    def _maintenance(self, rng: random.Random, leaves: list[dict[str, Any]], status: str) -> dict[str, Any]:
        maintenance = self._incident(rng, leaves, resolved=False)
        maintenance["incident_updates"].clear()
        maintenance["impact"] = "maintenance"
        maintenance["name"] = f"Scheduled maintenance of {maintenance['components'][0]['name']}"
        maintenance["scheduled_for"] = _iso(EPOCH + timedelta(days=rng.randint(1, 30)))
        maintenance["scheduled_until"] = _iso(EPOCH + timedelta(days=31))
        self._update(rng, maintenance, status, "Routine maintenance of our infrastructure.", maintenance["components"])
        return maintenance

    # ------------------------------------------------------------------ changes

    def post_update(self, update_id: str) -> None:
        """A new update on the open incident (phase unchanged): one `incident.updated` for the bot."""
        self.sequence += 1
        rng = self._rng
        body = f"Update {self.sequence}: {' '.join(rng.sample(_SENTENCES, 2))}"
        self._update(rng, self.open_incident, self.open_incident["status"], body,
                     self.open_incident["components"], update_id=update_id)

    # ------------------------------------------------------------------ rendering

    def _render(self, incident: dict[str, Any]) -> dict[str, Any]:
        if self.flavour == STATUSPAGE:
            return incident
        # incident.io's compatible API lacks these
        rendered = {k: v for k, v in incident.items() if k not in ("shortlink", "components")}
        return rendered

    def documents(self) -> dict[str, bytes]:
        unresolved = [self._render(self.open_incident)]
        upcoming = [self._render(m) for m in self.maintenances if m["status"] != "completed"]
        summary: dict[str, Any] = {
            "page": self.page,
            "components": self.components,
            "incidents": unresolved,
            "scheduled_maintenances": upcoming,
            "status": {"indicator": "minor", "description": "Partially Degraded Service"},
        }
        incidents = {"page": self.page, "incidents": [self._render(i) for i in [self.open_incident, *self.history]]}
        documents = {"summary.json": summary, "incidents.json": incidents}
        if self.flavour == STATUSPAGE:
            documents["scheduled-maintenances.json"] = {
                "page": self.page, "scheduled_maintenances": [self._render(m) for m in self.maintenances]}
        else:
            del summary["scheduled_maintenances"]
        return {name: json.dumps(body, separators=(",", ":")).encode() for name, body in documents.items()}


# ---------------------------------------------------------------------- the farm on disk


@dataclass
class Farm:
    root: Path
    pages: int
    no_validator_share: float = 0.2
    templates: int = 64
    flavours: list[str] = field(default_factory=list)  # per page index

    @property
    def www(self) -> Path:
        return self.root / "www"

    def generate(self) -> None:
        """Write the templates and link every page's files to one of them."""
        n_plain = round(self.pages * self.no_validator_share)
        # spread the validator-less pages evenly over the indices
        self.flavours = [INCIDENTIO if n_plain and (i * n_plain) // self.pages != ((i + 1) * n_plain) // self.pages
                         else STATUSPAGE for i in range(self.pages)]
        if self.www.exists():
            shutil.rmtree(self.www)
        for flavour in (STATUSPAGE, INCIDENTIO):
            for t in range(self.templates):
                folder = self.root / "templates" / flavour / str(t)
                if (folder / DOCS[flavour][-1]).exists():
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                for name, body in Page(flavour, t).documents().items():
                    (folder / name).write_bytes(body)
        for i, flavour in enumerate(self.flavours):
            api = self.page_dir(i)
            api.mkdir(parents=True)
            template = self.root / "templates" / flavour / str(i % self.templates)
            for name in DOCS[flavour]:
                os.link(template / name, api / name)
        (self.www / "index.html").write_text("bench farm\n")

    def page_dir(self, i: int) -> Path:
        return self.www / PREFIX[self.flavours[i]] / str(i) / "api" / "v2"

    def page_path(self, i: int) -> str:
        return f"/{PREFIX[self.flavours[i]]}/{i}"

    def template_page(self, i: int) -> Page:
        return Page(self.flavours[i], i % self.templates)

    def sizes(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for flavour in (STATUSPAGE, INCIDENTIO):
            for name in DOCS[flavour]:
                out[f"{flavour}/{name}"] = [(self.root / "templates" / flavour / str(t) / name).stat().st_size
                                            for t in range(self.templates)]
        return out

    @property
    def docs_per_poll(self) -> float:
        """The average number of documents the bot reads per poll over this farm's pages."""
        return sum(len(DOCS[f]) for f in self.flavours) / max(1, len(self.flavours))


def write_atomically(path: Path, body: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(body)
    os.replace(temporary, path)


class Changer:
    """Posts a new update on pages at a steady rate, each page at most once per `min_gap` seconds;
    records the moment each change was on disk (update id -> time.time())."""

    def __init__(self, farm: Farm, per_minute: float, min_gap: float, seed: int = 7):
        self.farm = farm
        self.per_minute = per_minute
        self.min_gap = min_gap
        self.changed_at: dict[str, float] = {}
        self.page_of: dict[str, int] = {}
        self._pages: dict[int, Page] = {}
        self._last: dict[int, float] = {}
        self._order = list(range(farm.pages))
        random.Random(seed).shuffle(self._order)
        self._next = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def change(self, i: int) -> str:
        page = self._pages.get(i) or self._pages.setdefault(i, self.farm.template_page(i))
        update_id = f"bench{i}x{page.sequence + 1}"
        page.post_update(update_id)
        documents = page.documents()
        folder = self.farm.page_dir(i)
        write_atomically(folder / "summary.json", documents["summary.json"])
        changed = time.time()  # the first document on disk: the change is visible
        write_atomically(folder / "incidents.json", documents["incidents.json"])
        self.changed_at[update_id] = changed
        self.page_of[update_id] = i
        self._last[i] = changed
        return update_id

    def _pick(self) -> int | None:
        now = time.time()
        for _ in range(len(self._order)):
            i = self._order[self._next % len(self._order)]
            self._next += 1
            if now - self._last.get(i, 0.0) >= self.min_gap:
                return i
        return None

    def _run(self) -> None:
        if self.per_minute <= 0:
            return
        gap = 60.0 / self.per_minute
        due = time.monotonic()
        while not self._stop.is_set():
            due += gap
            i = self._pick()
            if i is not None:
                self.change(i)
            self._stop.wait(max(0.0, due - time.monotonic()))

    def start(self) -> Changer:
        self._thread = threading.Thread(target=self._run, name="changer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


# ---------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NGINX_CONF = """\
{user}daemon off;
master_process on;
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 16384; multi_accept on; }}
http {{
    access_log off;
    # Only summary.json is logged: every poll reads it once, whatever else it reads (the poll count).
    log_format polls '$msec $status $uri';
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 300s;
    keepalive_requests 100000;
    types {{ application/json json; text/html html; }}
    default_type application/json;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {www};
        etag on;
        location /p/ {{
            location ~ /summary\\.json$ {{ access_log {log} polls buffer=64k flush=1s; }}
        }}
        # incident.io-like pages: no ETag, no Last-Modified, If-Modified-Since ignored
        location /n/ {{
            etag off;
            if_modified_since off;
            add_header Last-Modified "";
            location ~ /summary\\.json$ {{ access_log {log} polls buffer=64k flush=1s; }}
        }}
        location = /nginx_status {{ stub_status; }}
    }}
}}
"""


class PollLog:
    """Reads the summary.json log (`<unix time> <status> <path>` a line) as it grows."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._partial = b""
        self.entries: list[tuple[float, str]] = []  # (time, path)

    def refresh(self) -> list[tuple[float, str]]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return self.entries
        self._offset += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            fields = line.split()
            if len(fields) >= 3 and fields[1] in (b"200", b"304"):  # answered polls only
                self.entries.append((float(fields[0]), fields[2].decode()))
        return self.entries

    def count(self, start: float, end: float = float("inf")) -> int:
        return sum(1 for at, _ in self.refresh() if start <= at < end)

    def pages(self, start: float) -> int:
        """Distinct pages polled since `start`."""
        return len({path for at, path in self.refresh() if at >= start})


class Nginx:
    """nginx as a child process (`daemon off`), with `-p` and `-c` in a temporary folder."""

    def __init__(self, farm: Farm, port: int | None = None, workers: int = 1, binary: str | None = None):
        self.farm = farm
        self.port = port or free_port()
        self.workers = workers
        self.binary = binary or find_nginx()
        self.process: subprocess.Popen[bytes] | None = None
        self.poll_log = PollLog(farm.root / "polls.log")
        self.log_delay = 1.2  # nginx writes its buffered log every second

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        root = self.farm.root
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (root / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        conf = root / "nginx.conf"
        # As root, workers would drop to `nobody`, who cannot read a private temporary folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(root=root, www=self.farm.www, port=self.port, workers=self.workers,
                                          log=self.poll_log.path, user=user))
        assert self.binary
        self.process = subprocess.Popen([self.binary, "-p", str(root), "-c", str(conf), "-e", str(root / "nginx-error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.process)
        return self

    def worker_pids(self) -> list[int]:
        assert self.process
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def find_nginx() -> str | None:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"server exited with {process.returncode}: {err.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


_STUB = re.compile(r"\s(\d+)\s+(\d+)\s+(\d+)\s")


_OWN_READS: dict[str, int] = {}  # stub_status requests made by this process, per server


def read_stub(base_url: str) -> tuple[int, int]:
    """nginx's stub_status counters: (connections accepted, requests), less the connections and
    requests of this process's own stub_status reads (each is one of each), this one included."""
    import urllib.request

    _OWN_READS[base_url] = _OWN_READS.get(base_url, 0) + 1
    with urllib.request.urlopen(f"{base_url}/nginx_status", timeout=5) as answer:
        text = answer.read().decode()
    match = _STUB.search(text)
    if not match:
        raise ValueError(f"not a stub_status answer: {text!r}")
    return int(match.group(1)) - _OWN_READS[base_url], int(match.group(3)) - _OWN_READS[base_url]


def read_requests(base_url: str) -> int:
    return read_stub(base_url)[1]


class PythonFarmServer:
    """A stand-in for nginx where it is not installed (the smoke test): the same URLs, ETags
    like nginx's (mtime-size), 304s, the no-validator location and a stub_status page. It is a
    threaded Python server in this process: its figures are not comparable with nginx's."""

    def __init__(self, farm: Farm):
        self.farm = farm
        self.requests = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _FarmHandler)
        self._server.daemon_threads = True
        self._server.farm_server = self  # type: ignore[attr-defined]
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.process = None
        self.poll_log = PollLog(farm.root / "polls.log")
        self.log_delay = 0.0  # written line by line
        self._log = open(self.poll_log.path, "a", buffering=1)  # noqa: SIM115 (closed by stop())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PythonFarmServer:
        self._thread.start()
        return self

    def worker_pids(self) -> list[int]:
        return []

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._log.close()

    def log_poll(self, status: int, path: str) -> None:
        with self._lock:
            self._log.write(f"{time.time():.3f} {status} {path}\n")


class _FarmHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        server: PythonFarmServer = self.server.farm_server  # type: ignore[attr-defined]
        with server._lock:
            server.requests += 1
            count = server.requests
        if self.path == "/nginx_status":
            body = (f"Active connections: 1 \nserver accepts handled requests\n 1 1 {count} \n"
                    "Reading: 0 Writing: 1 Waiting: 0 \n").encode()
            return self._send(200, {}, body)
        path = (server.farm.www / self.path.lstrip("/")).resolve()
        if not str(path).startswith(str(server.farm.www.resolve())) or not path.is_file():
            return self._send(404, {}, b'{"error":"not found"}')
        stat = path.stat()
        body = path.read_bytes()
        if self.path.startswith("/n/"):
            status, headers = 200, {}
        else:
            etag = f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'
            status, headers = (304 if self.headers.get("If-None-Match") == etag else 200), {"ETag": etag}
        if self.path.endswith("/summary.json"):
            server.log_poll(status, self.path)
        return self._send(status, headers, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]
