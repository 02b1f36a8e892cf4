"""The delivery worker: order, retries, Retry-After, permanent failures — with the real webhook
notifier against a real local receiver. Waits are recorded instead of slept where the test is
about what was waited, not about time passing."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import threading
import time

import httpx
import pytest

from bot.deliver import DeliveryWorker
from bot.retry_after import UnexpectedAnswer
from bot.state import Store
from notifiers.console import DESTINATION as CONSOLE
from notifiers.webhook import DESTINATION as WEBHOOK
from tests.builders import RecordedSleep, update_event
from tests.eventually import eventually_async
from tests.fakes.webhook_receiver import Received, Reply, WebhookReceiver


class HeldReceiver(WebhookReceiver):
    """Takes each request at once but answers only after `release()`: a send held in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def _reply(self, request: Received) -> Reply:
        reply = super()._reply(request)
        self.released.wait(30)
        return reply


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
async def setup(tmp_path, receiver):
    store = await Store.open(tmp_path / "state.db")
    http = httpx.AsyncClient()
    settings = WEBHOOK.settings(url=f"{receiver.url}/hook", timeout=2)
    notifier = WEBHOOK.create("hooks", settings, http)
    sleep = RecordedSleep()
    worker = DeliveryWorker("hooks", notifier, store, sleep=sleep)
    yield store, worker, sleep
    await http.aclose()
    await store.close()


async def enqueue(store: Store, *numbers: int) -> None:
    await store.commit_poll("acme", [], [], [("hooks", update_event(n)) for n in numbers], changed=True)


def bodies(receiver: WebhookReceiver) -> list[str]:
    return [json.loads(r.body)["data"]["update"]["body"] for r in receiver.requests]


async def test_outage_is_retried_with_growing_backoff_and_drains_in_order(setup, receiver):
    store, worker, sleep = setup
    receiver.respond(503, times=3)
    await enqueue(store, 1, 2, 3)
    assert await worker.drain(asyncio.Event(), max_attempts=10) == 0
    assert bodies(receiver) == ["message 1"] * 4 + ["message 2", "message 3"]
    assert len(sleep.waits) == 3 and sleep.waits[0] < sleep.waits[1] < sleep.waits[2]
    assert 1 <= sleep.waits[0] <= 2 and 4 <= sleep.waits[2] <= 5


async def test_retry_after_is_waited_exactly(setup, receiver):
    store, worker, sleep = setup
    receiver.respond(429, headers={"Retry-After": "7"})
    await enqueue(store, 1)
    assert await worker.drain(asyncio.Event()) == 0
    assert sleep.waits == [7.0]


async def test_retry_after_is_really_waited(tmp_path, receiver):
    store = await Store.open(tmp_path / "state.db")
    async with httpx.AsyncClient() as http:
        notifier = WEBHOOK.create("hooks", WEBHOOK.settings(url=f"{receiver.url}/hook"), http)
        worker = DeliveryWorker("hooks", notifier, store)
        receiver.respond(429, headers={"Retry-After": "0.2"})
        await enqueue(store, 1)
        started = time.monotonic()
        assert await worker.drain(asyncio.Event()) == 0
        assert time.monotonic() - started >= 0.2
    await store.close()


async def test_rejected_message_is_dead_lettered_and_the_next_goes_on(setup, receiver):
    store, worker, _ = setup
    receiver.respond(422)
    await enqueue(store, 1, 2)
    assert await worker.drain(asyncio.Event()) == 0
    assert bodies(receiver) == ["message 1", "message 2"]
    [(event, error)] = await store.dead_letters("hooks")
    assert event.id == "evt_1" and "422" in error


async def test_gone_endpoint_disables_the_channel_and_keeps_the_backlog(setup, receiver, caplog):
    store, worker, _ = setup
    receiver.respond(410, times=10)
    await enqueue(store, 1, 2)
    await asyncio.wait_for(worker.run(asyncio.Event()), timeout=5)  # returns: the channel is disabled
    assert len(receiver.requests) == 1
    assert "410" in (await store.disabled_reason("hooks") or "")
    assert await store.pending_count("hooks") == 2
    assert sum("disabled" in r.getMessage() for r in caplog.records) == 1, "reported once"


async def test_still_failing_message_stays_pending_after_bounded_drain(setup, receiver):
    store, worker, _sleep = setup
    receiver.respond(500, times=10)
    await enqueue(store, 1, 2)
    assert await worker.drain(asyncio.Event(), max_attempts=3) == 2
    assert len(receiver.requests) == 3, "in order: message 2 waits behind message 1"
    assert (await store.next_delivery("hooks")).attempts == 3


async def test_shutdown_interrupts_a_retry_wait(tmp_path, receiver):
    store = await Store.open(tmp_path / "state.db")
    async with httpx.AsyncClient() as http:
        notifier = WEBHOOK.create("hooks", WEBHOOK.settings(url=f"{receiver.url}/hook"), http)
        worker = DeliveryWorker("hooks", notifier, store)
        receiver.respond(429, headers={"Retry-After": "60"})
        await enqueue(store, 1)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        await asyncio.to_thread(receiver.wait_for, 1)
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        assert await store.pending_count("hooks") == 1, "kept for the next start"
    await store.close()


async def test_a_worker_wakes_when_rows_arrive(setup, receiver):
    store, worker, _ = setup
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.1)
    await enqueue(store, 1)
    worker.wake.set()
    await asyncio.to_thread(receiver.wait_for, 1)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert bodies(receiver) == ["message 1"]



async def test_a_message_leaves_the_outbox_only_after_the_destination_accepted_it(store):
    with HeldReceiver() as held:
        async with httpx.AsyncClient() as http:
            notifier = WEBHOOK.create("hooks", WEBHOOK.settings(url=f"{held.url}/hook"), http)
            worker = DeliveryWorker("hooks", notifier, store)
            await enqueue(store, 1)
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run(stop))
            await asyncio.to_thread(held.wait_for, 1)
            assert await store.pending_count("hooks") == 1, "in flight: a crash now must resend it"
            held.released.set()
            await eventually_async(lambda: _delivered_all(store))
            stop.set()
            await asyncio.wait_for(task, timeout=5)


async def _delivered_all(store: Store) -> bool:
    return await store.pending_count("hooks") == 0


# ---------------------------------------------------------------- unexpected answers: a few tries, then a dead letter


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_redirect_is_tried_three_times_then_given_up_and_the_channel_goes_on(setup, receiver, caplog):
    store, worker, sleep = setup
    with WebhookReceiver() as elsewhere:
        receiver.respond(307, headers={"Location": f"{elsewhere.url}/hook"}, times=UnexpectedAnswer.max_attempts)
        await enqueue(store, 1, 2)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))  # run retries outages forever: this must end anyway
        await eventually_async(lambda: _delivered_all(store))
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        assert elsewhere.requests == [], "never followed"
    assert bodies(receiver) == ["message 1"] * 3 + ["message 2"]
    assert len(sleep.waits) == 2
    reason = ("webhook channel 'hooks': HTTP 307 Temporary Redirect with no body: a redirect, not followed "
              "(given up after 3 unexpected failures)")
    [(event, error)] = await store.dead_letters("hooks")
    assert (event.id, error) == ("evt_1", reason)
    assert errors_logged(caplog) == [f"channel hooks: gave up on incident.updated upd:i1:u1: {reason}"]
    assert await store.disabled_reason("hooks") is None


async def test_outages_do_not_count_towards_the_unexpected_answers(setup, receiver):
    store, worker, _ = setup
    receiver.respond(503, times=5)
    receiver.respond(302, headers={"Location": "/elsewhere"}, times=UnexpectedAnswer.max_attempts - 1)
    receiver.respond(503)
    await enqueue(store, 1)
    assert await worker.drain(asyncio.Event(), max_attempts=20) == 0
    assert bodies(receiver) == ["message 1"] * 9
    assert await store.dead_letters("hooks") == []


class BrokenStdout(io.StringIO):
    """A stdout whose writes fail in a way no notifier expects."""

    def write(self, text: str) -> int:
        raise RuntimeError("broken stream")


async def test_a_notifier_that_crashes_is_tried_three_times_then_given_up(store, caplog, monkeypatch):
    monkeypatch.setattr(sys, "stdout", BrokenStdout())
    sleep = RecordedSleep()
    worker = DeliveryWorker("console", CONSOLE.create("console", CONSOLE.settings(), None), store, sleep=sleep)
    await store.commit_poll("acme", [], [], [("console", update_event(1))], changed=True)
    assert await worker.drain(asyncio.Event(), max_attempts=10) == 0
    assert len(sleep.waits) == 2
    reason = "unexpected RuntimeError while sending (given up after 3 unexpected failures)"
    assert [error for _, error in await store.dead_letters("console")] == [reason]
    assert errors_logged(caplog) == [f"channel console: gave up on incident.updated upd:i1:u1: {reason}"]
    tracebacks = [r for r in caplog.records if r.levelno == logging.WARNING and r.exc_info]
    assert len(tracebacks) == 3 and all("RuntimeError: broken stream" in r.exc_text for r in tracebacks)
