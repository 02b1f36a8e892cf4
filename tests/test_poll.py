"""One provider's poller, in process, against a real local page and a real database file."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import pytest

from bot.budget import ChangeBudget
from bot.fetch import Fetcher
from bot.model import DEFAULT_LIMITS, FetchError, Limits, ParseError
from bot.plan import PollTarget
from bot.poll import PollOutcome, ProviderPoller
from bot.state import Store
from providers import FORMATS
from providers.statuspage import HISTORY_EVERY
from tests.fakes.status_page import PageScript, StatusPageServer


@dataclass(frozen=True)
class Channel:
    name: str = "hooks"
    providers: tuple[str, ...] = ()
    min_impact: str = "none"
    events: tuple[str, ...] = ("incident", "component", "maintenance")
    components: tuple[str, ...] = ()


class Rig:
    def __init__(self, pages: StatusPageServer, store: Store, fetcher: Fetcher, flavour: str = "statuspage",
                 changes: ChangeBudget | None = None, limits: Limits = DEFAULT_LIMITS):
        self.pages = pages
        self.store = store
        self.script = PageScript("Acme", flavour=flavour)
        self.script.component("api", "API")
        self.woken: list[set[str]] = []
        target = PollTarget("acme", "Acme", f"{pages.url}/acme", interval=10.0, components=(), limits=limits)
        kind = "statuspage" if flavour == "statuspage" else "incidentio"
        self.poller = ProviderPoller(target, FORMATS[kind], fetcher, store, [Channel()], "active", self.woken.append,
                                     changes=changes)

    def publish(self) -> None:
        self.pages.publish("/acme", self.script)

    async def poll(self) -> list[tuple[str, str]]:
        """Poll once; the (type, key) of what reached the outbox."""
        await self.poller.poll_once()
        queued = []
        while (row := await self.store.next_delivery("hooks")) is not None:
            queued.append((row.event.type, row.event.key))
            await self.store.mark_delivered(row, None)
        return queued


@pytest.fixture
async def fetcher():
    fetcher = Fetcher(timeout=5)
    yield fetcher
    await fetcher.aclose()


@pytest.fixture
def rig(pages, store, fetcher):
    rig = Rig(pages, store, fetcher)
    rig.publish()
    return rig


async def test_first_sight_then_only_changes(rig):
    rig.script.open_incident("i1", "API errors", "Investigating")
    rig.publish()
    assert await rig.poll() == [("incident.created", "inc:i1")]
    assert rig.woken == [{"hooks"}]
    assert await rig.poll() == []
    assert dict(rig.pages.not_modified) == {"/acme/api/v2/summary.json": 1}, "only the summary, and it was 304"
    uid = rig.script.update("i1", "identified", "Found it")
    rig.publish()
    assert await rig.poll() == [("incident.status", f"upd:i1:{uid}")]


async def test_an_edited_update_is_announced_once(rig):
    rig.script.open_incident("i1", "API errors", "Investigating")
    uid = rig.script.update("i1", "resolved", "Resolved. A root cause will follow.")
    rig.publish()
    await rig.poll()
    rig.script.edit_update("i1", uid, "Resolved. Root cause: an expired certificate.")
    rig.publish()
    events = [event for _ in range(HISTORY_EVERY) for event in await rig.poll()]
    assert [t for t, _ in events] == ["incident.edited"]
    rig.script.component("api", "API")  # another change on the page, same edit still in place
    rig.publish()
    assert await rig.poll() == []


async def test_deleted_and_reentering_incidents_are_not_news(rig):
    rig.script.open_incident("i1", "Posted in error", "Test")
    rig.script.open_incident("i2", "API errors", "Investigating")
    rig.publish()
    await rig.poll()
    removed = rig.script.incidents.pop("i1")
    rig.publish()
    assert await rig.poll() == []
    rig.script.incidents["i1"] = removed  # back in the window, unchanged
    rig.publish()
    assert await rig.poll() == []


async def test_state_survives_a_new_poller_on_the_same_database(rig, tmp_path):
    rig.script.open_incident("i1", "API errors", "Investigating")
    rig.publish()
    await rig.poll()
    fresh = Rig(rig.pages, rig.store, rig.poller.fetcher)
    assert await fresh.poll() == []
    assert rig.pages.not_modified["/acme/api/v2/summary.json"] == 1, "validators were persisted"


async def test_incidentio_page_is_not_reparsed_when_unchanged(pages, store, fetcher):
    rig = Rig(pages, store, fetcher, flavour="incidentio")
    rig.script.open_incident("01J0000000000000000000000A", "Chat slow", "")
    rig.publish()
    assert [t for t, _ in await rig.poll()] == ["incident.created"]
    result = await rig.poller.poll_once()
    assert not result.changed and sum(pages.not_modified.values()) == 0
    # incident.io sometimes leaves components out: no news, and no news when they return.
    pages.serve("/acme/api/v2/summary.json", {"page": {"id": "p", "name": "Acme"}, "components": []}, etag=False)
    assert await rig.poll() == []
    rig.publish()
    assert await rig.poll() == []


async def test_a_failing_page_is_counted_recorded_and_recovers(rig, caplog):
    rig.pages.serve("/acme/api/v2/summary.json", b"down", status=503)
    with pytest.raises(FetchError):
        await rig.poller.poll_once()
    outcomes = [await rig.poller.poll() for _ in range(3)]
    assert [o.failures for o in outcomes] == [1, 2, 3]
    assert all(str(o.error).startswith("HTTP 503") for o in outcomes)
    rig.pages.serve("/acme/api/v2/summary.json", b"slow down", status=429, headers={"Retry-After": "3000"})
    assert (await rig.poller.poll()).retry_after == 3000.0
    last_error = {row.name: row.last_error for row in await rig.store.provider_rows()}["acme"]
    assert last_error and last_error.startswith("HTTP 429"), "`statusbot status` shows why"
    rig.publish()
    with caplog.at_level(logging.INFO, logger="statusbot.poll"):
        assert await rig.poller.poll() == PollOutcome()
    assert rig.poller.consecutive_errors == 0
    assert "provider acme: recovered after 4 failed polls" in caplog.messages


async def test_a_page_that_is_not_json_is_a_parse_error_and_changes_nothing(rig):
    await rig.poll()
    rig.pages.serve("/acme/api/v2/summary.json", b"<!doctype html><p>maintenance</p>")
    with pytest.raises(ParseError, match="HTML"):
        await rig.poller.poll_once()
    rig.publish()
    assert await rig.poll() == []


async def test_a_maintenance_is_announced_once_through_to_completion(rig):
    await rig.poll()
    rig.script.schedule_maintenance("m1", "Database upgrade", "Scheduled for Sunday night")
    rig.publish()
    assert await rig.poll() == [("maintenance.created", "inc:m1")]
    assert await rig.poll() == [], "an upcoming maintenance is announced once"
    for status in ("in_progress", "verifying", "completed"):
        rig.script.update("m1", status, f"Now {status}")
        rig.publish()
        events = await rig.poll()
        assert [t for t, _ in events] == ["maintenance.completed" if status == "completed" else "maintenance.status"]
    assert not rig.script.summary()["scheduled_maintenances"], "gone from summary.json once completed"
    assert await rig.poll() == []


async def test_a_channel_can_leave_maintenances_out(pages, store, fetcher):
    rig = Rig(pages, store, fetcher)
    rig.poller.channels = [Channel(events=("incident", "component"))]
    rig.publish()
    await rig.poll()
    rig.script.schedule_maintenance("m1", "Database upgrade", "Sunday")
    rig.script.open_incident("i1", "API errors", "Investigating")
    rig.publish()
    assert [t for t, _ in await rig.poll()] == ["incident.created"]


async def test_history_is_read_when_the_summary_moves_and_now_and_then_otherwise(rig):
    rig.script.open_incident("i1", "API errors", "Investigating")
    uid = rig.script.update("i1", "resolved", "Resolved; a root cause will follow")
    rig.publish()
    await rig.poll()
    incidents = "/acme/api/v2/incidents.json"
    read_before = rig.pages.hits[incidents]
    # A root cause written into a resolved incident changes incidents.json only.
    rig.script.edit_update("i1", uid, "Resolved. Root cause: an expired certificate")
    rig.publish()
    found = []
    for _ in range(HISTORY_EVERY):
        found += await rig.poll()
    assert [t for t, _ in found] == ["incident.edited"]
    assert rig.pages.hits[incidents] - read_before == 1, "read once in HISTORY_EVERY polls"
    # A change of the summary reads the history at once, in the same poll.
    rig.script.open_incident("i2", "Web errors", "Investigating")
    rig.publish()
    before = rig.pages.hits[incidents]
    assert [t for t, _ in await rig.poll()] == ["incident.created"]
    assert rig.pages.hits[incidents] == before + 1


async def test_pages_read_their_history_at_phases_of_their_own(pages, store, fetcher):
    """Ten thousand pages started together must not all read incidents.json in the same poll."""
    names = [f"page{i}" for i in range(20)]
    script = PageScript("Acme")
    script.component("api", "API")
    pollers, woken = [], []
    for name in names:
        pages.publish(f"/{name}", script)
        target = PollTarget(name, name, f"{pages.url}/{name}", interval=10.0, components=())
        poller = ProviderPoller(target, FORMATS["statuspage"], fetcher, store, [Channel()], "active", woken.append)
        pollers.append(poller)
    for poller in pollers:
        await poller.poll_once()  # the first poll reads every document
    readers_per_round = []
    for _ in range(HISTORY_EVERY):
        before = {name: pages.hits[f"/{name}/api/v2/incidents.json"] for name in names}
        for poller in pollers:
            await poller.poll_once()
        readers_per_round.append(sum(pages.hits[f"/{name}/api/v2/incidents.json"] > before[name] for name in names))
    assert sum(readers_per_round) == len(names), "each page reads its history once in HISTORY_EVERY polls"
    assert max(readers_per_round) <= len(names) // 2, f"spread over the polls, not together: {readers_per_round}"


class WatchedBudget(ChangeBudget):
    """A budget that tells when someone asks for room, and for how many bytes."""

    def __init__(self, pages: int, body_bytes: int):
        super().__init__(pages, body_bytes)
        self.asked = asyncio.Event()
        self.sizes: list[int] = []

    def hold(self, size: int) -> AbstractAsyncContextManager[None]:
        self.asked.set()
        self.sizes.append(size)
        return super().hold(size)


async def test_a_changed_page_waits_for_room_in_the_shared_budget_and_an_unchanged_one_does_not(pages, store, fetcher):
    """Parsing and committing a changed page is bounded across pollers, by its bodies' bytes; a
    304 never queues for it."""
    changes = WatchedBudget(pages=4, body_bytes=1_000_000)
    rig = Rig(pages, store, fetcher, changes=changes)
    rig.publish()
    await rig.poll()
    documents = (rig.script.summary(), rig.script.incidents_document(), rig.script.maintenances_document())
    assert changes.sizes == [sum(len(json.dumps(document).encode()) for document in documents)], "every body"
    async with changes.hold(changes.body_bytes):  # another poller is parsing a page as large as the budget
        changes.asked.clear()
        assert (await asyncio.wait_for(rig.poller.poll_once(), 5)).result == "not_modified"
        assert not changes.asked.is_set(), "an unchanged page never asks for room"
        rig.script.open_incident("i1", "API errors", "Investigating")
        rig.publish()
        poll = asyncio.create_task(rig.poller.poll_once())
        await asyncio.wait_for(changes.asked.wait(), 5)
        assert not poll.done(), "the changed page waits for room, which is taken"
    assert (await asyncio.wait_for(poll, 5)).changed


async def test_a_page_without_its_history_works_from_its_summary(rig, caplog):
    """A Statuspage page that serves only summary.json: no poll fails; the operator is told once
    per missing document what is lost; a resolution is seen when the incident leaves the summary."""
    history = ("/acme/api/v2/incidents.json", "/acme/api/v2/scheduled-maintenances.json")

    def publish_summary_only() -> None:
        rig.publish()
        rig.pages.withdraw(*history)

    rig.script.open_incident("i1", "API errors", "Investigating")
    publish_summary_only()
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"):
        assert await rig.poll() == [("incident.created", "inc:i1")]
        for _ in range(30):
            assert await rig.poll() == []
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert len(warnings) == 2, warnings
    assert "incidents.json answers HTTP 404, so the page is read from summary.json alone" in warnings[0]
    assert "scheduled-maintenances.json answers HTTP 404" in warnings[1]
    assert rig.pages.hits[history[0]] > 2, "still asked now and then: it may appear"
    uid = rig.script.update("i1", "identified", "Found it")
    publish_summary_only()
    assert await rig.poll() == [("incident.status", f"upd:i1:{uid}")]
    rig.script.update("i1", "resolved", "Fixed")
    publish_summary_only()
    assert await rig.poll() == [("incident.resolved", "phase:i1:resolved")]
    # The history is served again: what ended meanwhile is not news again.
    rig.publish()
    with caplog.at_level(logging.INFO, logger="statusbot.poll"):
        assert [event for _ in range(30) for event in await rig.poll()] == []
    assert "provider acme: incidents.json is served again" in caplog.messages


async def test_a_missing_summary_still_fails_the_poll(rig):
    await rig.poll()
    rig.pages.withdraw("/acme/api/v2/summary.json")
    with pytest.raises(FetchError, match="HTTP 404"):
        await rig.poller.poll_once()


async def test_a_component_name_the_page_lacks_is_warned_of_once_with_the_closest(pages, store, fetcher, caplog):
    rig = Rig(pages, store, fetcher)
    rig.script.component("web", "Website")
    rig.publish()
    target = rig.poller.target
    rig.poller = ProviderPoller(
        PollTarget(target.name, target.title, target.url, target.interval, ("api", "Web site", "Billing")),
        FORMATS["statuspage"], fetcher, store, [Channel()], "active", rig.woken.append,
    )
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"):
        await rig.poll()
        rig.script.component("api", "API", "major_outage")
        rig.publish()
        await rig.poll()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert "no component 'Web site'" in warnings[0] and "closest: 'Website'" in warnings[0]
    assert "no component 'Billing'" in warnings[1] and "closest" not in warnings[1]


async def test_the_first_good_poll_of_a_run_is_told(rig, caplog):
    with caplog.at_level(logging.INFO, logger="statusbot.poll"):
        await rig.poll()
        await rig.poll()
    assert caplog.messages.count("provider acme: first poll of this run succeeded") == 1


async def test_a_missing_history_is_told_again_by_the_next_run(rig, caplog):
    rig.publish()
    rig.pages.withdraw("/acme/api/v2/incidents.json")
    await rig.poll()
    caplog.clear()
    restarted = Rig(rig.pages, rig.store, rig.poller.fetcher)
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"):
        for _ in range(HISTORY_EVERY):
            await restarted.poll()
    assert len([m for m in caplog.messages if "incidents.json answers HTTP 404" in m]) == 1


async def test_each_poll_is_counted_by_its_result(rig):
    """The metrics an operator graphs: one count per poll and result, one duration per poll."""
    rig.script.open_incident("i1", "API errors", "Investigating")
    rig.publish()
    await rig.poll()
    for _ in range(HISTORY_EVERY):  # one of these reads the history too: still all 304
        assert (await rig.poller.poll_once()).result == "not_modified"
    rig.pages.serve("/acme/api/v2/summary.json", b"", status=500)
    with pytest.raises(FetchError):
        await rig.poller.poll_once()
    registry = rig.poller.metrics.registry
    counts = {result: registry.get_sample_value("statusbot_polls_total", {"provider": "acme", "result": result})
              for result in ("changed", "not_modified", "error")}
    assert counts == {"changed": 1, "not_modified": HISTORY_EVERY, "error": 1}
    assert registry.get_sample_value("statusbot_poll_duration_seconds_count", {"kind": "statuspage"}) == HISTORY_EVERY + 2


async def test_what_the_limits_cut_is_told_once_a_run_per_document(pages, store, fetcher, caplog):
    rig = Rig(pages, store, fetcher, limits=Limits(incidents=2, components=1, updates=3))
    rig.script.component("web", "Website")
    for number in range(3):
        rig.script.open_incident(f"i{number}", f"Incident {number}", "Investigating")
    with caplog.at_level(logging.WARNING, logger="statusbot.poll"):
        rig.publish()
        await rig.poll()
        for step in range(4):  # each poll changes, and is cut again
            rig.script.update("i2", "identified", f"Step {step}")
            rig.publish()
            assert (await rig.poller.poll_once()).changed
    warnings = sorted(record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)
    assert warnings == [
        "provider acme: incidents.json lists 3 incidents; reading the newest 2 ([bot] max_incidents)",
        "provider acme: incidents.json lists an incident with 4 updates; reading the newest 3 of each "
        "([bot] max_updates)",
        "provider acme: summary.json lists 2 components; reading the first 1 ([bot] max_components)",
        "provider acme: summary.json lists 3 incidents; reading the newest 2 ([bot] max_incidents)",
        "provider acme: summary.json lists an incident with 4 updates; reading the newest 3 of each "
        "([bot] max_updates)",
    ]
    stored = await store.documents("acme", [document.url for document in rig.poller.documents])
    assert all(len(document.snapshot.incidents) <= 2 for document in stored.values())
