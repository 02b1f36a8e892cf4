"""The running service: pollers and delivery workers over one store, and a clean shutdown."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from bot.activity import report_activity
from bot.autodetect import AutoPlatform
from bot.budget import ChangeBudget
from bot.clock import Clock, LoopClock
from bot.config import Config, ProviderConfig
from bot.deliver import DeliveryWorker
from bot.fetch import Fetcher
from bot.logs import name_replica
from bot.metrics import Metrics
from bot.model import AUTO_KIND, Destination, FetchError, Format, Limits, Notifier, ParseError, StatusbotError
from bot.noise.stage import NoiseStage
from bot.noise.worker import NoiseWorker
from bot.plan import PollTarget
from bot.poll import PollResult, ProviderPoller
from bot.route import mention_for
from bot.schedule import PollScheduler
from bot.store_base import DatabaseUnavailable, SqlStore, StateError
from bot.store_open import open_store

if TYPE_CHECKING:
    from bot.board_model import Board
    from bot.endpoint import Endpoint
    from bot.replicas import ReplicaKeeper

log = logging.getLogger("statusbot")

# How long a shutdown waits for in-flight polls and sends before it cancels them.
SHUTDOWN_GRACE = 15.0
# Polls in progress at once: each holds its page's documents in memory while it runs.
POLLS_IN_FLIGHT = 64
CHANGES_IN_FLIGHT = 4  # of those, how many may parse and commit a changed page at once
# Unchanged polls write nothing; when each provider was last polled is saved this often.
POLL_TIMES_EVERY = 30.0


class Service:
    def __init__(self, config: Config, formats: Mapping[str, Format], destinations: Mapping[str, Destination],
                 http: httpx.AsyncClient, clock: Clock | None = None):
        """`http` is the client notifiers share; the service closes it when it ends. `clock` times
        the polls and the periodic lines (the event loop's by default)."""
        self.config = config
        self.formats = formats
        self.destinations = destinations
        self.http = http
        self.clock = clock or LoopClock()
        self.stop = asyncio.Event()
        self.metrics = Metrics()
        self._tasks: list[asyncio.Task] = []
        self._store: SqlStore | None = None

    async def run(self, once: bool = False) -> int:
        """Run until stopped (or one round with `once`); the exit status."""
        store = self._store = await open_store(self.config.bot, self.config.secrets)
        if store.replica is not None:  # a shared database: every sample and line says which replica
            self.metrics = Metrics(replica=store.replica)
            name_replica(store.replica)
        fetcher = Fetcher(self.config.bot.timeout, self.config.bot.max_body_bytes, self._connections())
        http = self.http
        endpoint = self._endpoint(self.config.bot.http, store) if self.config.bot.http else None
        notifiers: dict[str, Notifier] = {}
        joined, beating = None, asyncio.Event()
        try:
            joined = await self._join(store, beating)
            recheck = joined[0].beat if joined is not None else None
            for channel in self.config.channels:
                notifiers[channel.name] = self.destinations[channel.type].create(channel.name, channel.settings, http)
            workers = {
                channel.name: DeliveryWorker(channel.name, notifiers[channel.name], store, metrics=self.metrics,
                                             mention=functools.partial(mention_for, channel), recheck=recheck)
                for channel in self.config.channels
            }
            # Parsing holds several times a body's size: the changed pages parsed at once bring at most
            # one largest body's worth (a page of larger documents parses alone).
            changes = ChangeBudget(CHANGES_IN_FLIGHT, self.config.bot.max_body_bytes)
            noise = NoiseWorker(store, NoiseStage({c.name: c.noise for c in self.config.channels}, self.clock.time),
                                self.clock, functools.partial(_wake, workers), self.metrics)
            pollers = [self._poller(p, fetcher, store, noise, changes) for p in self.config.providers]
            await self._warn_orphans(store)
            self._handle_signals()
            if once:
                return await self._run_once(pollers, noise, workers)
            if endpoint is not None:
                await endpoint.start()
            return await self._run_forever(pollers, noise, workers, recheck)
        finally:
            if joined is not None:  # heartbeats went on until the last send was recorded
                keeper, heartbeat = joined
                beating.set()
                await heartbeat
                await keeper.leave()
            if endpoint is not None:
                await endpoint.stop()
            for notifier in notifiers.values():
                await notifier.aclose()
            await http.aclose()
            await fetcher.aclose()
            await store.close()

    async def _join(self, store: SqlStore, stop: asyncio.Event) -> tuple[ReplicaKeeper, asyncio.Task[None]] | None:
        """Where replicas share the database: join them, take a first share of the pages and beat
        until `stop` (the keeper and its heartbeat's task). A heartbeat that fails outright stops
        the service."""
        if store.replica is None:  # SQLite: a database of one bot
            return None
        # Replicas need psycopg (the postgres extra): loaded only when the database is PostgreSQL.
        from bot.replicas import ReplicaKeeper, beat_for
        from bot.state_pg import PostgresStore

        assert isinstance(store, PostgresStore)
        keeper = ReplicaKeeper(store, [p.name for p in self.config.providers], self.clock,
                               beat_for([p.interval for p in self.config.providers]))
        await keeper.start()
        heartbeat = asyncio.create_task(keeper.run(stop), name="heartbeat")
        heartbeat.add_done_callback(self._stop_unless_ok)
        self._tasks.append(heartbeat)
        return keeper, heartbeat

    def _stop_unless_ok(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._report_failures({task}, set())
            self.stop.set()

    def _endpoint(self, address: str, store: SqlStore) -> Endpoint:
        """The HTTP endpoint, whose server (aiohttp, about 10 MB resident) is loaded only when configured;
        its board reads the database, so with replicas it shows every page, whoever polls it."""
        from bot.board import build_board
        from bot.endpoint import Endpoint

        async def board() -> Board:
            return await build_board(self.config, store, time.time())

        return Endpoint(address, self.metrics, self.health, board=board, token=self.config.bot.http_token)

    async def health(self) -> str | None:
        """None while polls, deliveries and the database all work; else what does not."""
        if self.stop.is_set():
            return "stopping"
        for task in self._tasks:
            if task.done() and (task.get_name().startswith("poll") or task.exception() is not None):
                return f"{task.get_name()} has stopped"
        if self._store is None:
            return "starting"
        # Not wait_for: a statement stuck on an unresponsive server may take long to cancel, and
        # the answer is due now; the probe finishes (or fails) on its own.
        probe = asyncio.ensure_future(self._store.probe_write())
        done, _ = await asyncio.wait({probe}, timeout=5)
        if not done:
            probe.add_done_callback(_ignore_outcome)
            return f"database {self._store.path} did not take a write within 5s"
        try:
            probe.result()
        except StatusbotError as exc:  # the database refused the write, or cannot be reached
            return str(exc)
        return None

    def _connections(self) -> int:
        """Enough connections for every document of every poll in flight: a fetch never queues
        for one behind another poll (queueing costs CPU, and the deadline starts only after it)."""
        def documents(provider: ProviderConfig) -> int:
            # A page of kind "auto" may turn out to be of any format.
            kinds = self.formats.values() if provider.kind == AUTO_KIND else [self.formats[provider.kind]]
            return max(len(fmt.documents(provider.url)) for fmt in kinds)

        most = max(map(documents, self.config.providers), default=1)
        return POLLS_IN_FLIGHT * most

    def _poller(self, provider, fetcher: Fetcher, store: SqlStore, noise: NoiseWorker,
                changes: ChangeBudget) -> ProviderPoller:
        settings = self.config.bot
        limits = Limits(settings.max_incidents, settings.max_components, settings.max_updates)
        target = PollTarget(provider.name, provider.title, provider.url, provider.interval, provider.components,
                            secrets=self.config.secrets, limits=limits, max_events_per_poll=settings.max_events_per_poll)
        auto = provider.kind == AUTO_KIND
        return ProviderPoller(
            target, None if auto else self.formats[provider.kind], fetcher, store, self.config.channels,
            self.config.bot.first_run, noise.on_outbox, metrics=self.metrics, changes=changes, noise=noise,
            platform=AutoPlatform(target, self.formats, fetcher, store, follows=auto),
        )

    async def _run_once(self, pollers: list[ProviderPoller], noise: NoiseWorker,
                        workers: dict[str, DeliveryWorker]) -> int:
        in_flight = asyncio.Semaphore(POLLS_IN_FLIGHT)

        async def bounded(poller: ProviderPoller) -> PollResult:
            async with in_flight:
                return await poller.poll_once()

        held = [poller for poller in pollers if poller.store.holds(poller.target.name)]  # others: other replicas'
        results = await asyncio.gather(*(bounded(p) for p in held), return_exceptions=True)
        failed = 0
        for poller, result in zip(held, results):
            if isinstance(result, StateError):
                raise result
            if isinstance(result, (FetchError, ParseError)):
                failed += 1
                log.error("provider %s: %s", poller.target.name, result)
                await poller.store.record_poll(poller.target.name, str(result))
            elif isinstance(result, Exception):
                failed += 1
                log.error("provider %s: unexpected error", poller.target.name, exc_info=result)
        await self._save_poll_times_now(pollers)
        await noise.release()  # what fell due while the bot was down (a hold, quiet hours, a digest)
        pending = 0
        for worker in workers.values():
            pending += await worker.drain(self.stop)
        if pending:
            log.warning("%d message(s) not delivered yet; they are kept and sent by the next run", pending)
        return 1 if failed or pending else 0

    async def _run_forever(self, pollers: list[ProviderPoller], noise: NoiseWorker,
                           workers: dict[str, DeliveryWorker], recheck: float | None) -> int:
        assert self._store is not None
        log.info(
            "watching %d provider(s), delivering to %d channel(s); database %s",
            len(pollers), len(workers), self._store.path,
        )
        scheduler = PollScheduler(pollers, self.stop, POLLS_IN_FLIGHT, self.clock, holds=self._store.holds,
                                  recheck=recheck)
        tasks = [asyncio.create_task(scheduler.run(), name="polls")]
        tasks += [asyncio.create_task(w.run(self.stop), name=f"deliver {w.channel}") for w in workers.values()]
        tasks.append(asyncio.create_task(noise.run(self.stop), name="noise control"))
        tasks.append(asyncio.create_task(self._save_poll_times(pollers), name="save poll times"))
        tasks.append(asyncio.create_task(report_activity(self.metrics, len(pollers), self.clock, self.stop),
                                         name="activity summary"))
        self._tasks += tasks
        stopping = asyncio.create_task(self.stop.wait())
        status = 0
        pending: set[asyncio.Task[Any]] = set(tasks)
        reported: set[str] = set()
        while not self.stop.is_set():
            done, pending = await asyncio.wait(pending | {stopping}, return_when=asyncio.FIRST_COMPLETED)
            pending.discard(stopping)
            if self._report_failures(done - {stopping}, reported):
                status = 1
                self.stop.set()
        log.info("stopping: finishing in-flight polls and deliveries")
        if pending:
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            # A poll that was writing when the service stopped may fail too: report it, once.
            if self._report_failures(pending, reported):
                status = 1
        return status

    async def _save_poll_times(self, pollers: list[ProviderPoller]) -> None:
        """Every POLL_TIMES_EVERY seconds and at the end, one batched write for `statusbot status`."""
        stopped = False
        while not stopped:
            stopped = await self.clock.wait(self.stop, POLL_TIMES_EVERY)
            await self._save_poll_times_now(pollers)

    async def _save_poll_times_now(self, pollers: list[ProviderPoller]) -> None:
        assert self._store is not None
        try:
            await self._store.record_poll_times(
                [(p.target.name, p.last_poll_at) for p in pollers if p.last_poll_at is not None]
            )
        except DatabaseUnavailable:
            pass  # saved at the next turn; the heartbeat reports the outage

    def _report_failures(self, tasks: set[asyncio.Task], reported: set[str]) -> bool:
        """Log each task that failed; whether any did. All tasks share one database, so the
        same database error met by several of them is one line."""
        failed = False
        for task in tasks:
            if task.cancelled() or task.exception() is None:
                continue
            failed = True
            error = task.exception()
            if not isinstance(error, StateError):
                log.error("%s crashed", task.get_name(), exc_info=error)
            elif str(error) not in reported:
                reported.add(str(error))
                log.error("%s", error)
        return failed

    async def _warn_orphans(self, store: SqlStore) -> None:
        known = {channel.name for channel in self.config.channels}
        for channel in sorted(await store.pending_channels() - known):
            count = await store.pending_count(channel)
            log.warning("%d message(s) wait for channel %s, which is no longer configured", count, channel)

    def _handle_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)


def _ignore_outcome(task: asyncio.Future[None]) -> None:
    """Retrieve a late health probe's outcome, so that its error is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()


def _wake(workers: Mapping[str, DeliveryWorker], channels: set[str]) -> None:
    """Tell the delivery workers of `channels` that their outbox has new rows."""
    for name in channels:
        if name in workers:
            workers[name].wake.set()
