"""Replicas of the real bot sharing one PostgreSQL database, as issue 16 says it will be tried:
installed bots (`python -m bot run`, one configuration file each) on local status pages, a
webhook receiver that keeps every delivery, and what the database says of leases and claims.

`ReplicaWorld` publishes incidents on the pages (every update body unique, so each delivery names
what it announces) and keeps what it published in `tests.crash`'s form, whose `verify` then holds
the deliveries against it: lost, repeated, out of order.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import psycopg

from bot.replicas import LEASE_BEATS, beat_for
from bot.state_pg import PostgresStore
from tests.bot_process import BotProcess
from tests.crash import Verdict, parse_delivery, verify
from tests.eventually import eventually
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver

START_TIMEOUT = 60.0  # a loaded machine may take long to start Python
SETTLING_POLLS = 2  # after everything arrived: polls of every page in which nothing more may come
PHASES = ("investigating", "identified", "monitoring", "resolved")  # an incident's updates, in turn


OpenReplica = Callable[[str], Awaitable[PostgresStore]]  # conftest's `replica` fixture: a store per name

class ReplicaWorld:
    """`count` Statuspage-like pages (p1, p2, ...) polled every `interval` seconds by replicas of
    the bot on the database at `url`, all delivering to one webhook channel."""

    def __init__(self, tmp: Path, pages: StatusPageServer, receiver: WebhookReceiver, url: str,
                 count: int = 6, interval: float = 1.0):
        self.tmp = tmp
        self.pages = pages
        self.receiver = receiver
        self.url = url
        self.interval = interval
        self.lease = beat_for([interval]) * LEASE_BEATS  # a lease lasts this long after its holder's last beat
        self.scripts = {f"p{n}": PageScript(f"P{n}") for n in range(1, count + 1)}
        self._updates: dict[str, list[str]] = {}  # story ("p1/inc0001") -> update bodies, in order
        self.bots: dict[str, BotProcess] = {}  # the latest process of each replica
        self._open: dict[str, str] = {}  # page -> the story of its open incident
        self._made = 0
        self._lock = threading.Lock()
        for page, script in self.scripts.items():
            script.component("c1", "Service")
            pages.publish(f"/{page}", script)

    # ---------------------------------------------------------------- the replicas

    def start(self, *names: str) -> None:
        """Start replicas (together, then wait for each to be watching its pages)."""
        started = [self._process(name).start() for name in names]
        for bot in started:
            bot.wait_for_output("watching", timeout=START_TIMEOUT)

    def _process(self, name: str) -> BotProcess:
        config = self.tmp / f"{name}.toml"
        providers = "".join(f"""
[[providers]]
name = "{page}"
title = "{page.upper()}"
kind = "statuspage"
url = "{self.pages.url}/{page}"
""" for page in self.scripts)
        config.write_text(f"""
[bot]
database = "{self.url}"
replica = "{name}"
interval = {self.interval}
{providers}
[[channels]]
name = "hooks"
type = "webhook"
url = "{self.receiver.url}/hook"
""")
        config.chmod(0o600)  # it names the receiver's URL, which the bot counts as a secret
        self.bots[name] = BotProcess("run", "--config", str(config), cwd=self.tmp)
        return self.bots[name]

    def problems(self) -> list[str]:
        """Tracebacks any replica printed."""
        return [f"{name}: {line.rstrip()}" for name, bot in self.bots.items() for line in bot.stderr
                if line.startswith("Traceback")]

    def tails(self, lines: int = 15) -> str:
        """The last lines each replica logged, for a failure's message."""
        return "".join(f"\n--- {name}:\n" + "".join(bot.stderr[-lines:]) for name, bot in self.bots.items())

    def __enter__(self) -> ReplicaWorld:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        for bot in self.bots.values():  # none left running, even after a failure
            bot.__exit__()

    # ---------------------------------------------------------------- the pages

    def post(self, page: str) -> None:
        """One change on `page`: a new incident, or the next update of its open one (the fourth
        resolves it), published at once."""
        with self._lock:  # a publisher thread (`flowing`) and the test may both post
            self._post(page)

    def _post(self, page: str) -> None:
        script = self.scripts[page]
        story = self._open.get(page)
        if story is None:
            self._made += 1
            story = self._open[page] = f"{page}/inc{self._made:04d}"
        iid = story.split("/")[1]
        bodies = self._updates.setdefault(story, [])
        phase = PHASES[len(bodies)]
        body = f"{story} note {len(bodies) + 1}: {phase}"
        if bodies:
            script.update(iid, phase, body)
        else:
            script.open_incident(iid, f"Incident {story}", body)
        bodies.append(body)
        if phase == PHASES[-1]:
            del self._open[page]
        self.pages.publish(f"/{page}", script)

    @contextmanager
    def flowing(self, every: float = 0.1) -> Iterator[None]:
        """Within the block, one change every `every` seconds, on the pages in turn."""
        done = threading.Event()

        def publish() -> None:
            for page in itertools.cycle(self.scripts):
                if done.wait(every):
                    return
                self.post(page)

        publisher = threading.Thread(target=publish, name="publisher", daemon=True)
        publisher.start()
        try:
            yield
        finally:
            done.set()
            publisher.join()

    def burst(self, per_page: int) -> None:
        """`per_page` changes on every page, the pages in turn."""
        for _ in range(per_page):
            for page in self.scripts:
                self.post(page)

    def published(self) -> dict[str, list[str]]:
        """What was published so far: each story's update bodies, in order."""
        with self._lock:
            return {story: list(bodies) for story, bodies in self._updates.items()}

    def polls(self, page: str) -> int:
        """How many times `page` was read (its summary document), by any replica."""
        return self.pages.hits[f"/{page}/api/v2/summary.json"]

    # ---------------------------------------------------------------- what arrived

    def verdict(self) -> Verdict:
        return verify(self.published(), {}, [parse_delivery(request) for request in self.receiver.requests])

    def arrived(self, after: int = 0) -> set[str]:
        """The update bodies delivered so far, or since the receiver's `after`th request."""
        return {delivery.body or "" for delivery in map(parse_delivery, self.receiver.requests[after:])}

    def wait_until_delivered(self, within: float = 30.0) -> None:
        """Every published update arrived and the outbox is empty."""
        def done() -> bool:
            return not self.verdict().lost and self.outbox() == 0

        eventually(done, within=within, what=lambda: f"every update delivered and an empty outbox:"
                                                     f" lost {self.verdict().lost}, outbox {self.outbox()}"
                                                     f"{self.tails()}")

    def settle(self) -> Verdict:
        """Wait until everything arrived, then until every page was polled a few more times and the
        outbox is empty again: whatever the replicas would still send has arrived. The verdict."""
        self.wait_until_delivered()
        targets = {page: self.polls(page) + SETTLING_POLLS for page in self.scripts}
        eventually(lambda: all(self.polls(page) >= target for page, target in targets.items()),
                   what=f"{SETTLING_POLLS} more polls of every page")
        eventually(lambda: self.outbox() == 0, what="an empty outbox after the settling polls")
        return self.verdict()

    # ---------------------------------------------------------------- what the database says

    def sql(self, query: str, params: tuple[object, ...] = ()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as connection:
            return list(connection.execute(query, params).fetchall())

    def holders(self) -> dict[str, str | None]:
        """Each page's holder (the replica's name) while its lease runs; None when no one holds it."""
        rows = self.sql("SELECT l.provider, r.name FROM leases l JOIN replicas r ON r.id = l.holder"
                        " WHERE r.heartbeat_at > extract(epoch from clock_timestamp()) - %s", (self.lease,))
        held = dict(rows)
        return {page: held.get(page) for page in self.scripts}

    def shares(self) -> Counter[str | None]:
        """How many pages each replica holds (None: how many no one holds)."""
        return Counter(self.holders().values())

    def held_by(self, name: str) -> list[str]:
        return sorted(page for page, holder in self.holders().items() if holder == name)

    def outbox(self) -> int:
        return int(self.sql("SELECT count(*) FROM outbox")[0][0])

    def baseline(self) -> None:
        """Wait until every page was first read (its quiet state, which announces nothing)."""
        eventually(lambda: self.sql("SELECT count(DISTINCT provider) FROM documents")[0][0] == len(self.scripts),
                   within=START_TIMEOUT, what="a first read of every page")

    def claims(self, name: str) -> tuple[list[str], float]:
        """The update bodies of the deliveries `name` has claimed, and seconds until the last of
        those claims runs out (the database's clock)."""
        rows = self.sql("SELECT event::json -> 'update' ->> 'body', claim_until - extract(epoch from clock_timestamp())"
                        " FROM outbox WHERE split_part(claimed_by, '#', 1) = %s", (name,))
        return [body for body, _ in rows], max((left for _, left in rows), default=0.0)

    def lease_left(self, name: str) -> float:
        """Seconds until the last of `name`'s leases runs out (the database's clock)."""
        rows = self.sql("SELECT max(r.heartbeat_at) + %s - extract(epoch from clock_timestamp())"
                        " FROM leases l JOIN replicas r ON r.id = l.holder WHERE r.name = %s", (self.lease, name))
        return float(rows[0][0] or 0.0)


async def expire_leases(store: PostgresStore, holder: PostgresStore) -> None:
    """As if `holder` had stopped beating a minute ago: its leases have run out with its heartbeat."""
    async with store._transaction():
        await store._run("UPDATE replicas SET heartbeat_at = extract(epoch from clock_timestamp()) - 60"
                         " WHERE name = ?", (holder.replica,))
