"""The crash driver: the real bot, stopped at random moments while status pages change.

`run(plan, workdir)` serves four local pages (three Statuspage-like with ETags, one
incident.io-like without) and one webhook receiver, lets the bot take its baseline of the quiet
pages, then for `plan.iterations` rounds runs it for a random while as a seeded burst of changes is
published (incidents opened, updated and resolved, maintenances run, components flipped; every
update body unique), and stops it with `plan.sig` (SIGKILL: a crash; SIGTERM: a graceful stop)
before starting it again on the same database. Some changes land while the bot is down. A final
instance runs until everything has arrived and the outbox is empty, and is stopped with SIGTERM.

`verify` then holds what the receiver got against what was published:
- nothing lost: every incident and maintenance update arrived; each component's announced
  transitions form an unbroken chain from its first status to its last (flips undone between two
  polls are never seen, so they are not news);
- repeats: a copy of an event (same `webhook-id`, or the same update under another id) counts as
  a duplicate; at most one per kill (the send in flight), none with SIGTERM;
- order: per incident, deliveries (duplicates dropped) come in the order the updates were made.
"""

from __future__ import annotations

import functools
import json
import random
import signal
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from tests.bot_process import BotProcess
from tests.eventually import NeverHappened, eventually
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.fakes.webhook_receiver import Received, WebhookReceiver

# (name, flavour): the incident.io-like page sends no ETag, so the bot hashes its bodies.
PAGES: tuple[tuple[str, str], ...] = (
    ("alpha", "statuspage"), ("bravo", "statuspage"), ("charlie", "statuspage"), ("delta", "incidentio"),
)
COMPONENTS_PER_PAGE = 2
ACTIVE_STORIES = 6  # incidents, maintenances and component episodes running at once
PHASES = ("investigating", "identified", "monitoring")
IMPACTS = ("minor", "major", "critical")
COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
# Each answer takes a moment, so a stop often finds a send in flight: the duplicate window.
RECEIVER_DELAY = 0.03
SEND_TIMEOUT = 0.5  # the longest a stop waits for a send to be in flight (polls are 0.2 s apart)
START_TIMEOUT = 60.0  # a noisy machine may take long to start Python
SETTLING_POLLS = 3  # after everything arrived: polls of every page in which nothing more may come


@dataclass(frozen=True)
class Plan:
    seed: int
    iterations: int  # how many times the bot is stopped before the final instance
    sig: signal.Signals = signal.SIGKILL
    interval: float = 0.2  # seconds between polls of each page
    max_life: float = 1.0  # the longest an instance runs, once ready, before it is stopped (5 polls)
    drain_timeout: float = 120.0  # for the final instance to deliver everything

    @property
    def allowed_duplicates(self) -> int:
        return self.iterations if self.sig == signal.SIGKILL else 0


# ---------------------------------------------------------------- what is published


Change = tuple[str, Callable[[], None]]  # (page, apply one change to its script)


class Burst:
    """Seeded activity on the pages, several stories interleaved; records what it applied."""

    def __init__(self, rng: random.Random, seed: int):
        self.rng = rng
        self.seed = seed
        self.scripts = {name: PageScript(name.title(), flavour) for name, flavour in PAGES}
        for script in self.scripts.values():
            for number in range(1, COMPONENTS_PER_PAGE + 1):
                script.component(f"c{number}", f"Service {number}")
        self.updates: dict[str, list[str]] = {}  # story ("alpha/inc0003") -> bodies, in order
        self.flips: dict[str, list[str]] = {}  # component ("alpha/c1") -> statuses, first one included
        self._stories: list[list[Change]] = []
        self._busy: set[str] = set()  # components with an episode running
        self._made = 0

    def step(self) -> str:
        """Apply the next change of a random running story; the page it changed."""
        while len(self._stories) < ACTIVE_STORIES:
            self._stories.append(self._new_story())
        return self._advance(self.rng.choice(self._stories))

    def finish(self) -> list[str]:
        """Play every running story to its end; the pages changed, one per change."""
        changed = []
        while self._stories:
            changed.append(self._advance(self.rng.choice(self._stories)))
        return changed

    @property
    def update_count(self) -> int:
        return sum(len(bodies) for bodies in self.updates.values())

    @property
    def flip_count(self) -> int:
        return sum(len(statuses) - 1 for statuses in self.flips.values())

    def _advance(self, story: list[Change]) -> str:
        page, apply = story.pop(0)
        apply()
        if not story:
            self._stories.remove(story)
        return page

    def _new_story(self) -> list[Change]:
        page, flavour = self.rng.choice(PAGES)
        free = [cid for cid in self.scripts[page].components if f"{page}/{cid}" not in self._busy]
        kinds = ["incident"] * 3 + ["component"] * bool(free) + ["maintenance"] * (flavour == "statuspage")
        kind = self.rng.choice(kinds)
        if kind == "component":
            return self._component_episode(page, self.rng.choice(free))
        if kind == "maintenance":
            return self._maintenance(page)
        return self._incident(page)

    def _incident(self, page: str) -> list[Change]:
        script, iid = self.scripts[page], self._new_id("inc")
        story, impact = f"{page}/{iid}", self.rng.choice(IMPACTS)
        phases = [*self.rng.choices(PHASES, k=self.rng.randint(1, 4)), "resolved"]
        opening = self._body(story, 1, "investigating")

        def open_incident() -> None:
            script.open_incident(iid, f"Incident {iid}", opening, impact=impact)

        changes = [self._posting(page, story, opening, open_incident)]
        for number, phase in enumerate(phases, start=2):
            changes.append(self._update(page, story, iid, phase, self._body(story, number, phase)))
        return changes

    def _maintenance(self, page: str) -> list[Change]:
        script, mid = self.scripts[page], self._new_id("mnt")
        story = f"{page}/{mid}"
        opening = self._body(story, 1, "scheduled")

        def schedule() -> None:
            script.schedule_maintenance(mid, f"Maintenance {mid}", opening)

        phases = ["in_progress", *(["verifying"] * self.rng.randint(0, 1)), "completed"]
        changes = [self._posting(page, story, opening, schedule)]
        for number, phase in enumerate(phases, start=2):
            changes.append(self._update(page, story, mid, phase, self._body(story, number, phase)))
        return changes

    def _component_episode(self, page: str, cid: str) -> list[Change]:
        name = f"{page}/{cid}"
        self._busy.add(name)
        script = self.scripts[page]
        current = script.components[cid]["status"]
        statuses = []
        for _ in range(self.rng.randint(1, 3)):
            current = self.rng.choice([s for s in COMPONENT_STATUSES if s != current])
            statuses.append(current)

        def flip(status: str, last: bool) -> None:
            script.component(cid, script.components[cid]["name"], status)
            self.flips.setdefault(name, [COMPONENT_STATUSES[0]]).append(status)
            if last:
                self._busy.discard(name)

        return [(page, functools.partial(flip, s, i == len(statuses) - 1)) for i, s in enumerate(statuses)]

    def _update(self, page: str, story: str, iid: str, phase: str, body: str) -> Change:
        script = self.scripts[page]
        return self._posting(page, story, body, lambda: script.update(iid, phase, body))

    def _posting(self, page: str, story: str, body: str, post: Callable[[], object]) -> Change:
        def apply() -> None:
            post()
            self.updates.setdefault(story, []).append(body)

        return page, apply

    def _body(self, story: str, number: int, phase: str) -> str:
        # Unique across the run, so each delivery names the update it announces.
        return f"{story} note {number}: {phase} (seed {self.seed})"

    def _new_id(self, prefix: str) -> str:
        self._made += 1
        return f"{prefix}{self._made:04d}"


# ---------------------------------------------------------------- what arrived


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    type: str
    thread_key: str
    body: str | None  # the update announced, for incident and maintenance events
    component: str | None  # "page/component id", for component events
    old_status: str | None = None
    new_status: str | None = None

    @property
    def identity(self) -> str:
        """What makes two deliveries the same announcement."""
        return self.body if self.body is not None else self.webhook_id

    def describe(self) -> str:
        if self.component is not None:
            return f"{self.type} {self.component} {self.old_status}->{self.new_status}"
        return f"{self.type} {self.body!r}"


def parse_delivery(request: Received) -> Delivery:
    payload = json.loads(request.body)
    data = payload["data"]
    component = data.get("component")
    return Delivery(
        webhook_id=request.headers["webhook-id"],
        type=payload["type"],
        thread_key=data["thread_key"],
        body=(data.get("update") or {}).get("body"),
        component=f"{data['provider']}/{component['id']}" if component else None,
        old_status=data.get("old_status"),
        new_status=data.get("new_status"),
    )


@dataclass
class Verdict:
    delivered: int = 0  # distinct announcements
    component_events: int = 0
    duplicates: int = 0  # extra copies of announcements
    lost: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def verify(updates: dict[str, list[str]], flips: dict[str, list[str]], deliveries: list[Delivery]) -> Verdict:
    """Hold the deliveries, in arrival order, against the updates and flips that were published."""
    verdict = Verdict()
    copies = Counter(d.identity for d in deliveries)
    first: dict[str, Delivery] = {}
    for delivery in deliveries:
        first.setdefault(delivery.identity, delivery)
    firsts = list(first.values())
    verdict.delivered = len(firsts)
    verdict.duplicates = sum(copies.values()) - len(copies)
    verdict.repeated = [f"{n} copies of {d.describe()}" for d in firsts if (n := copies[d.identity]) > 1]
    _check_stories(updates, [d for d in firsts if d.component is None], verdict)
    _check_components(flips, [d for d in firsts if d.component is not None], verdict)
    return verdict


def _check_stories(updates: dict[str, list[str]], deliveries: list[Delivery], verdict: Verdict) -> None:
    story_of = {body: story for story, bodies in updates.items() for body in bodies}
    arrived: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.body in story_of:
            arrived[story_of[delivery.body]].append(delivery)
        else:
            verdict.unexpected.append(delivery.describe())
    for story, bodies in updates.items():
        got = [d.body for d in arrived[story]]
        verdict.lost += [f"{story}: {body!r}" for body in bodies if body not in got]
        if got != [body for body in bodies if body in got]:
            notes = [bodies.index(body) + 1 for body in got]
            verdict.out_of_order.append(f"{story}: notes 1..{len(bodies)} published, delivered as {notes}")
        if len({d.thread_key for d in arrived[story]}) > 1:
            verdict.unexpected.append(f"{story}: split over threads {sorted({d.thread_key for d in arrived[story]})}")


def _check_components(flips: dict[str, list[str]], deliveries: list[Delivery], verdict: Verdict) -> None:
    verdict.component_events = len(deliveries)
    arrived: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        arrived[delivery.component or ""].append(delivery)
    for name in arrived.keys() - flips.keys():
        verdict.unexpected += [d.describe() for d in arrived[name]]
    for name, statuses in flips.items():
        _check_chain(name, statuses, arrived[name], verdict)


def _check_chain(name: str, statuses: list[str], deliveries: list[Delivery], verdict: Verdict) -> None:
    """Announced transitions must chain from the first status to the last, in published order."""
    current, position = statuses[0], 0
    for delivery in deliveries:
        if delivery.old_status != current:
            verdict.lost.append(f"{name}: {delivery.describe()} follows {current}: a transition is missing or repeated")
        if delivery.new_status in statuses[position + 1:]:
            position = statuses.index(delivery.new_status, position + 1)
        else:
            verdict.out_of_order.append(f"{name}: {delivery.describe()} not after {statuses[:position + 1]}")
        current = delivery.new_status or ""
    if current != statuses[-1]:
        verdict.lost.append(f"{name}: last announced {current}, the page shows {statuses[-1]} ({statuses})")


# ---------------------------------------------------------------- the run


@dataclass
class Report:
    plan: Plan
    updates: int
    flips: int
    verdict: Verdict
    outbox_left: int | None
    dead_letters: int | None
    process_problems: list[str]
    wall_time: float

    def problems(self) -> list[str]:
        v = self.verdict
        found = [f"lost: {item}" for item in v.lost]
        found += [f"out of order: {item}" for item in v.out_of_order]
        found += [f"unexpected: {item}" for item in v.unexpected]
        if v.duplicates > self.plan.allowed_duplicates:
            found.append(f"{v.duplicates} duplicates, at most {self.plan.allowed_duplicates} allowed")
            found += [f"repeated: {item}" for item in v.repeated]
        if self.outbox_left != 0:
            found.append(f"outbox not drained: {self.outbox_left} row(s) left, expected 0")
        if self.dead_letters != 0:
            found.append(f"dead letters: {self.dead_letters}, expected 0")
        return found + self.process_problems

    def failure(self) -> str:
        """Everything needed to replay and understand a failed run."""
        lines = [f"crash suite failed: seed {self.plan.seed}, {self.plan.iterations} x {self.plan.sig.name}"]
        return "\n".join(lines + [f"  {problem}" for problem in self.problems()] + [self.table()])

    def table(self) -> str:
        v = self.verdict
        rows = [
            ("signal", self.plan.sig.name),
            ("seed", self.plan.seed),
            ("iterations", self.plan.iterations),
            ("kills" if self.plan.sig == signal.SIGKILL else "graceful stops", self.plan.iterations),
            ("updates published", self.updates),
            ("component flips published", self.flips),
            ("component flips announced", v.component_events),
            ("delivered (distinct)", v.delivered),
            ("lost", len(v.lost)),
            ("duplicates", v.duplicates),
            ("max duplicates allowed", self.plan.allowed_duplicates),
            ("out of order", len(v.out_of_order)),
            ("wall time", f"{self.wall_time:.1f} s"),
        ]
        return "\n".join(f"  {name:<27}{value:>10}" for name, value in rows)


def run(plan: Plan, workdir: Path) -> Report:
    """Run the whole scenario of `plan` in `workdir` (which holds the database and configuration)."""
    started = time.monotonic()
    with StatusPageServer() as pages, WebhookReceiver(delay=RECEIVER_DELAY) as receiver:
        crash_run = _CrashRun(plan, workdir, pages, receiver)
        try:
            crash_run.play()
        except Exception as exc:
            raise RuntimeError(f"crash suite: seed {plan.seed}: {exc}") from exc
        finally:
            crash_run.kill_leftover()
        deliveries = [parse_delivery(request) for request in receiver.requests]
    burst = crash_run.burst
    return Report(
        plan=plan,
        updates=burst.update_count,
        flips=burst.flip_count,
        verdict=verify(burst.updates, burst.flips, deliveries),
        outbox_left=_count(crash_run.database, "SELECT COUNT(*) FROM outbox"),
        dead_letters=_count(crash_run.database, "SELECT COUNT(*) FROM dead_letters"),
        process_problems=crash_run.problems,
        wall_time=time.monotonic() - started,
    )


class _CrashRun:
    def __init__(self, plan: Plan, workdir: Path, pages: StatusPageServer, receiver: WebhookReceiver):
        self.plan = plan
        self.workdir = workdir
        self.pages = pages
        self.receiver = receiver
        self.rng = random.Random(plan.seed)
        self.burst = Burst(self.rng, plan.seed)
        self.database = workdir / "state.db"
        self.config = workdir / "statusbot.toml"
        self.problems: list[str] = []
        self._instances = 0
        self._bot: BotProcess | None = None  # the latest instance

    def kill_leftover(self) -> None:
        """Leave no bot running, even after a failure (an instance that exited ignores this)."""
        if self._bot is not None:
            self._bot.kill()

    def play(self) -> None:
        self._write_config()
        for page, _ in PAGES:
            self._publish(page)
        bot = self._start()
        self._wait_for_baseline()  # first sight of quiet pages: later changes are all news
        for _ in range(self.plan.iterations):
            self._live()
            self._stop(bot, self.plan.sig)
            for _ in range(self.rng.randint(0, 2)):  # changes made while the bot is down
                self._publish(self.burst.step())
            bot = self._start()
        for page in self.burst.finish():
            self._publish(page)
            time.sleep(self.rng.uniform(0, 0.05))
        self._wait_until_delivered()
        self._wait_for_polls(SETTLING_POLLS)  # what they find is in the outbox, which must end empty
        self._stop(bot, signal.SIGTERM)

    def _live(self) -> None:
        """Publish a few changes at random moments of a random lifetime, then return.

        Half the time the lifetime ends as the receiver takes a request, so the stop lands while
        a send is in flight (the receiver answers after RECEIVER_DELAY): the duplicate window.
        """
        lifetime = self.rng.uniform(0, self.plan.max_life)
        moments = sorted(self.rng.uniform(0, lifetime) for _ in range(self.rng.randint(2, 10)))
        mid_send = self.rng.random() < 0.5
        born = time.monotonic()
        for moment in moments:
            time.sleep(max(0.0, born + moment - time.monotonic()))
            self._publish(self.burst.step())
        time.sleep(max(0.0, born + lifetime - time.monotonic()))
        if mid_send:
            try:
                self.receiver.wait_for(len(self.receiver.requests) + 1, timeout=SEND_TIMEOUT)
            except TimeoutError:
                pass  # nothing left to send: stop anyway

    def _publish(self, page: str) -> None:
        self.pages.publish(f"/{page}", self.burst.scripts[page])

    def _start(self) -> BotProcess:
        self._instances += 1
        bot = self._bot = BotProcess("run", "--config", str(self.config), cwd=self.workdir).start()
        bot.wait_for_output("watching", timeout=START_TIMEOUT)  # signal handlers are in place
        return bot

    def _stop(self, bot: BotProcess, sig: signal.Signals) -> None:
        bot.signal(sig)
        code = bot.wait(START_TIMEOUT)
        expected = -signal.SIGKILL if sig == signal.SIGKILL else 0
        if code != expected:
            self.problems.append(f"instance {self._instances}: exit status {code} after {sig.name}, "
                                 f"expected {expected}:\n{''.join(bot.stderr[-20:])}")
        self.problems += [f"instance {self._instances}: {line.rstrip()}" for line in bot.stderr
                          if "| ERROR |" in line or line.startswith("Traceback")]

    def _wait_for_baseline(self) -> None:
        sql = "SELECT COUNT(DISTINCT provider) FROM documents"
        eventually(lambda: _count(self.database, sql) == len(PAGES), within=START_TIMEOUT, what="a baseline of every page")

    def _wait_for_polls(self, more: int) -> None:
        def polls() -> int:
            return min(self.pages.hits[f"/{page}/api/v2/summary.json"] for page, _ in PAGES)

        target = polls() + more
        eventually(lambda: polls() >= target, what=f"{more} more polls of every page")

    def _wait_until_delivered(self) -> None:
        def delivered() -> bool:
            deliveries = [parse_delivery(request) for request in self.receiver.requests]
            verdict = verify(self.burst.updates, self.burst.flips, deliveries)
            return not verdict.lost and _count(self.database, "SELECT COUNT(*) FROM outbox") == 0

        try:
            eventually(delivered, within=self.plan.drain_timeout)
        except NeverHappened:
            pass  # the report's verdict names what is missing

    def _write_config(self) -> None:
        providers = "".join(f"""
[[providers]]
name = "{page}"
title = "{page.title()}"
kind = "{flavour}"
url = "{self.pages.url}/{page}"
""" for page, flavour in PAGES)
        self.config.write_text(f"""
[bot]
database = "{self.database}"
interval = {self.plan.interval}
{providers}
[[channels]]
name = "hooks"
type = "webhook"
url = "{self.receiver.url}/hook"
""")


def _count(database: Path, sql: str) -> int | None:
    """One number from the bot's database, read-only (the bot may be running); None if unreadable yet."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)) as db:
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return None
