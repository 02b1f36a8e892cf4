"""Delivery: one worker per channel drains that channel's outbox in order.

The only retry layer of the program (client libraries' own retries are off). Stages, in order:
take the oldest row -> send (paced, retried with tenacity) -> record: delivered (row removed,
thread ref kept), dead (this message rejected for good), or channel disabled (credentials or
endpoint gone: the backlog stays for when the operator fixes it).

Outages (a RetryableError) are retried for as long as they last. An answer no destination should
give (UnexpectedAnswer), and a notifier's own crash, are not an outage: after
UnexpectedAnswer.max_attempts of them the message is given up, and the channel goes on.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
)
from tenacity.wait import wait_base, wait_exponential_jitter

from bot.clock import first_of
from bot.message import compose
from bot.metrics import Metrics
from bot.model import Event, Notifier, PermanentError, RetryableError, ThreadRef
from bot.retry_after import UnexpectedAnswer
from bot.store_base import DatabaseUnavailable, PendingDelivery, SqlStore

log = logging.getLogger("statusbot.deliver")

# A destination asking for more than this is probably confused; we try again after an hour.
MAX_RETRY_AFTER = 3600.0

Sleep = Callable[[float], Awaitable[None]]

OUTAGE_WAIT = 5.0  # seconds between tries while a shared database is out of reach


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    DEAD = "dead"  # this message was rejected for good
    DISABLED = "disabled"  # the channel is unusable
    PENDING = "pending"  # still failing; kept for later
    STOPPED = "stopped"  # shutdown interrupted the wait


class _Stopped(Exception):
    """Shutdown was requested while waiting to retry."""


class RetryAfterOrBackoff(wait_base):
    """Wait what the destination asked (Retry-After), else exponential backoff with jitter."""

    def __init__(self, max_backoff: float):
        self.backoff = wait_exponential_jitter(initial=1, max=max_backoff, jitter=1)

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        asked = getattr(error, "retry_after", None)
        if asked is None:
            return self.backoff(retry_state)
        return min(float(asked), MAX_RETRY_AFTER)


class DeliveryWorker:
    def __init__(self, channel: str, notifier: Notifier, store: SqlStore, max_backoff: float = 300.0,
                 sleep: Sleep = asyncio.sleep, mention: Callable[[Event], str | None] = lambda event: None,
                 metrics: Metrics | None = None, recheck: float | None = None):
        self.channel = channel
        self.recheck = recheck  # seconds between looks at a shared outbox; None: only when woken
        self.notifier = notifier
        self.mention = mention
        self.metrics = metrics or Metrics()
        self.store = store
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.wake = asyncio.Event()  # set when the poller has written rows for this channel
        self._last_send = 0.0
        self._unexpected = 0  # unexpected answers to the message being delivered

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set or the channel is disabled. Where replicas share the
        database, the outbox is looked at every `recheck` seconds too: rows another replica
        wrote, or claimed and then stopped, are not announced to this one."""
        await self._forget_old_disable()
        while not stop.is_set():
            self.wake.clear()
            try:
                delivery = await self.store.next_delivery(self.channel)
                if delivery is None:
                    self.metrics.outbox_depth.labels(self.channel).set(0)
                    await first_of(stop.wait(), self.wake.wait(), *self._recheck())
                    continue
                outcome = await self.deliver(delivery, stop)
                self.metrics.outbox_depth.labels(self.channel).set(await self.store.pending_count(self.channel))
            except DatabaseUnavailable:
                await self._wait_out_outage(stop)  # nothing is claimed until it ends
                continue
            if outcome is Outcome.DISABLED:
                return

    def _recheck(self) -> list[Awaitable[None]]:
        return [self.sleep(self.recheck)] if self.recheck else []

    async def drain(self, stop: asyncio.Event, max_attempts: int = 3) -> int:
        """Deliver the backlog once, trying each message at most `max_attempts` times.

        Returns how many messages are still pending afterwards (for `run --once`).
        """
        await self._forget_old_disable()
        while not stop.is_set():
            delivery = await self.store.next_delivery(self.channel)
            if delivery is None:
                break
            outcome = await self.deliver(delivery, stop, max_attempts)
            if outcome in (Outcome.DISABLED, Outcome.PENDING, Outcome.STOPPED):
                break  # in order: a message that is still failing blocks the ones after it
        return await self.store.pending_count(self.channel)

    async def deliver(self, delivery: PendingDelivery, stop: asyncio.Event, max_attempts: int | None = None) -> Outcome:
        outcome = await self._deliver(delivery, stop, max_attempts)
        if outcome is not Outcome.STOPPED:
            self.metrics.deliveries.labels(self.channel, outcome.value).inc()
        if outcome is Outcome.DELIVERED:
            self.metrics.delivery_latency.labels(self.channel).observe(max(time.time() - delivery.created_at, 0.0))
        return outcome

    async def _deliver(self, delivery: PendingDelivery, stop: asyncio.Event, max_attempts: int | None) -> Outcome:
        thread = await self.store.thread(self.channel, delivery.thread_key)
        self._unexpected = 0
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryableError),
            wait=RetryAfterOrBackoff(self.max_backoff),
            stop=stop_after_attempt(max_attempts) if max_attempts else stop_never,
            sleep=self._sleep_unless(stop),
            before_sleep=self._note_retry(delivery),
            reraise=True,
        )
        try:
            ref: ThreadRef | None = await retrying(self._send, delivery, thread)
        except _Stopped:
            return Outcome.STOPPED
        except RetryableError as exc:
            await self.store.mark_attempt(delivery, str(exc))
            log.warning("channel %s: still failing after %d attempts: %s", self.channel, max_attempts, exc)
            return Outcome.PENDING
        except PermanentError as exc:
            return await self._give_up(delivery, exc)
        await self._record_delivered(delivery, ref, stop)
        return Outcome.DELIVERED

    async def _record_delivered(self, delivery: PendingDelivery, ref: ThreadRef | None, stop: asyncio.Event) -> None:
        """Record a sent message, waiting out an outage of a shared database: unrecorded, its claim
        would lapse and another replica send it again."""
        while True:
            try:
                await self.store.mark_delivered(delivery, ref)
                return
            except DatabaseUnavailable:
                if stop.is_set():
                    raise
                await self._wait_out_outage(stop)

    async def _wait_out_outage(self, stop: asyncio.Event) -> None:
        """A pause before trying a shared database again (the replica's heartbeat reports the outage)."""
        await first_of(stop.wait(), self.sleep(self.recheck or OUTAGE_WAIT))

    async def _send(self, delivery: PendingDelivery, thread: ThreadRef | None) -> ThreadRef | None:
        pause = self._last_send + self.notifier.min_interval - time.monotonic()
        if pause > 0:
            await self.sleep(pause)
        try:
            return await self.notifier.send(compose(delivery.event, self.mention(delivery.event)), thread)
        except UnexpectedAnswer as exc:
            raise self._count_unexpected(exc) from None
        except (RetryableError, PermanentError):
            raise
        except Exception as exc:  # a bug in a notifier: tried again (it may pass), but not forever
            log.warning("channel %s: the notifier failed unexpectedly", self.channel, exc_info=True)
            raise self._count_unexpected(UnexpectedAnswer(f"unexpected {type(exc).__name__} while sending")) from None
        finally:
            self._last_send = time.monotonic()

    def _count_unexpected(self, exc: UnexpectedAnswer) -> UnexpectedAnswer | PermanentError:
        """`exc` to retry, or, at the last attempt it allows, the PermanentError that gives the message up."""
        self._unexpected += 1
        if self._unexpected < exc.max_attempts:
            return exc
        return PermanentError(f"{exc} (given up after {self._unexpected} unexpected failures)")

    async def _give_up(self, delivery: PendingDelivery, exc: PermanentError) -> Outcome:
        if exc.disable_channel:
            await self.store.set_disabled(self.channel, str(exc))
            backlog = await self.store.pending_count(self.channel)
            log.error("channel %s: disabled: %s (%d message(s) kept for when it is fixed)", self.channel, exc, backlog)
            return Outcome.DISABLED
        await self.store.mark_dead(delivery, str(exc))
        log.error("channel %s: gave up on %s %s: %s", self.channel, delivery.event.type, delivery.event.key, exc)
        return Outcome.DEAD

    async def _forget_old_disable(self) -> None:
        # A start tries a disabled channel again, since the operator may have fixed it; a still
        # broken one fails its first message and is disabled again: never a retry loop.
        reason = await self.store.disabled_reason(self.channel)
        if reason:
            log.warning("channel %s: was disabled (%s); trying it again", self.channel, reason)
            await self.store.set_disabled(self.channel, None)

    def _sleep_unless(self, stop: asyncio.Event) -> Sleep:
        async def sleep(seconds: float) -> None:
            await first_of(self.sleep(seconds), stop.wait())
            if stop.is_set():
                raise _Stopped

        return sleep

    def _note_retry(self, delivery: PendingDelivery) -> Callable[[RetryCallState], Awaitable[None]]:
        async def note(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            log.warning("channel %s: attempt %d failed: %s; retrying in %.1fs",
                        self.channel, state.attempt_number, error, wait)
            self.metrics.retries.labels(self.channel).inc()
            await self.store.mark_attempt(delivery, str(error))

        return note
