"""The status board's data: each page's state and what is behind it (bot/board_provider.py), and the
whole board as read from a real store (bot/board.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import __version__
from bot.board import EVENTS_SHOWN, build_board
from bot.board_model import STATE_WORDS, STATES, Board, State
from bot.board_provider import LATEST_UPDATE_TEXT, board_provider
from bot.config import Config, ProviderConfig, load_config
from bot.model import Component, Incident, Snapshot, Update, Validators
from bot.noise.settings import NoiseSettings
from bot.noise.stage import NoiseStage
from bot.state import Store
from bot.store_base import DocumentState, ProviderRow, SqlStore
from notifiers import DESTINATIONS
from providers import FORMATS, PRESETS
from tests.builders import component_event, update_event

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
URL = "https://status.acme.test/api/v2/summary.json"


def component(cid: str, status: str, group: str | None = None) -> Component:
    return Component(id=cid, name=cid.upper(), status=status, group=group)


def incident(iid: str, status: str = "investigating", impact: str = "minor", kind: str = "incident",
             **fields: object) -> Incident:
    return Incident(id=iid, kind=kind, title=f"Trouble {iid}", status=status, impact=impact, **fields)  # type: ignore[arg-type]


def maintenance(mid: str, start: timedelta | None, end: timedelta | None = None, status: str = "scheduled") -> Incident:
    """A maintenance starting `start` from NOW (negative: in the past) and ending `end` from NOW."""
    return incident(mid, status, "maintenance", "maintenance", scheduled_for=None if start is None else NOW + start,
                    scheduled_until=None if end is None else NOW + end)


def page(*items: Component | Incident) -> Snapshot:
    return Snapshot(components={c.id: c for c in items if isinstance(c, Component)},
                    incidents={i.id: i for i in items if isinstance(i, Incident)})


def provider(name: str = "acme") -> ProviderConfig:
    return ProviderConfig(name, name.title(), "statuspage", f"https://status.{name}.test", 60)


def row(errors: int = 0, error: str | None = None) -> ProviderRow:
    return ProviderRow("acme", NOW.timestamp() - 60, NOW.timestamp() - 120, None, errors, error)


# ------------------------------------------------------------ a page's state


@pytest.mark.parametrize(("shown", "failing", "state"), [
    (page(), False, "operational"),
    (page(component("api", "operational"), incident("old", "resolved", "critical")), False, "operational"),
    (page(component("api", "major_outage"), component("web", "degraded_performance")), False, "outage"),
    (page(incident("i1", impact="critical")), False, "outage"),
    (page(component("api", "partial_outage")), False, "partial"),
    (page(incident("i1", impact="major")), False, "partial"),
    (page(component("api", "degraded_performance")), False, "degraded"),
    (page(incident("i1", impact="none")), False, "degraded"),
    (page(component("api", "wobbly")), False, "degraded"),  # a status no format names
    (page(component("api", "under_maintenance")), False, "maintenance"),
    (page(maintenance("m1", -HOUR, HOUR)), False, "maintenance"),
    (page(maintenance("m1", HOUR, 2 * HOUR)), False, "operational"),  # upcoming only
    (page(), True, "unreadable"),
    (page(maintenance("m1", -HOUR, HOUR)), True, "unreadable"),
    (page(component("api", "partial_outage")), True, "partial"),  # the last known state is worse
    (None, False, "unknown"),
    (None, True, "unknown"),  # every poll so far failed
])
def test_each_state_from_what_the_page_showed(shown: Snapshot | None, failing: bool, state: State):
    seen = board_provider(provider(), row(1 if failing else 0, "HTTP 503" if failing else None), shown,
                          "statuspage", "", NOW)
    assert (seen.state, seen.state_text) == (state, STATE_WORDS[state])


def test_a_failing_page_keeps_its_error_on_one_line_and_a_recovered_one_has_none():
    failing = board_provider(provider(), row(3, "HTTP 503\nforged  1m ago"), page(), "statuspage", "", NOW)
    assert (failing.state, failing.state_text, failing.consecutive_errors) == ("unreadable", "Cannot read the page", 3)
    assert failing.error == "HTTP 503 forged 1m ago"
    recovered = board_provider(provider(), row(0, None), page(), "statuspage", "", NOW)
    assert (recovered.state, recovered.error) == ("operational", None)
    assert recovered.last_poll_at == NOW - timedelta(seconds=60)
    assert recovered.last_success_at == NOW - timedelta(seconds=120)
    never = board_provider(provider(), None, None, "statuspage", "", NOW)
    assert (never.state, never.last_poll_at, never.last_success_at, never.error) == ("unknown", None, None, None)


def test_maintenances_in_progress_and_upcoming():
    shown = page(
        maintenance("later", 5 * HOUR, 6 * HOUR),
        maintenance("soon", HOUR, 2 * HOUR),
        maintenance("sometime", None),  # the page gave no time: last among the upcoming
        maintenance("early", 2 * HOUR, 3 * HOUR, status="in_progress"),  # its page says it began
        maintenance("running", -HOUR, HOUR),
        maintenance("checking", -3 * HOUR, -2 * HOUR, status="verifying"),
        maintenance("forgotten", -3 * HOUR, -2 * HOUR),  # its window ended, never completed
        maintenance("endless", -25 * HOUR),  # no end given, begun over a day ago, never completed
        maintenance("done", -HOUR, HOUR, status="completed"),
    )
    shown_now = board_provider(provider(), row(), shown, "statuspage", "", NOW)
    assert [m.id for m in shown_now.maintenances_in_progress] == ["checking", "running", "early"]
    assert [m.id for m in shown_now.maintenances_upcoming] == ["soon", "later", "sometime"]
    running = shown_now.maintenances_in_progress[1]
    assert (running.started_at, running.scheduled_until) == (NOW - HOUR, NOW + HOUR)
    assert shown_now.incidents == () and shown_now.state == "maintenance"


def test_incidents_most_recently_updated_first_with_their_latest_update():
    body = "We are investigating. " * 40
    shown = page(
        component("db", "operational"),
        incident("quiet", updated_at=NOW - 3 * HOUR, created_at=NOW - 5 * HOUR),
        incident("busy", impact="major", created_at=NOW - 2 * HOUR, url="https://status.acme.test/incidents/busy",
                 component_ids=("db",), updates=(
                     Update(id="u1", status="investigating", body="First", created_at=NOW - 2 * HOUR),
                     Update(id="u2", status="identified", body=body, created_at=NOW - 10 * timedelta(minutes=1)))),
        incident("linkless", updated_at=NOW - HOUR, url="javascript:alert(1)", component_names=("Web",)),
        incident("over", "resolved", updated_at=NOW),
    )
    shown_now = board_provider(provider(), row(), shown, "statuspage", "", NOW)
    assert [i.id for i in shown_now.incidents] == ["busy", "linkless", "quiet"]
    busy, linkless, quiet = shown_now.incidents
    assert (busy.url, busy.components, busy.started_at, busy.updated_at) == (
        "https://status.acme.test/incidents/busy", ("DB",), NOW - 2 * HOUR, NOW - timedelta(minutes=10))
    assert busy.latest_update is not None and busy.latest_update.status == "identified"
    assert len(busy.latest_update.body) <= LATEST_UPDATE_TEXT and body.startswith(busy.latest_update.body[:-1])
    assert (linkless.url, linkless.components, linkless.latest_update) == ("", ("Web",), None)
    assert quiet.started_at == NOW - 5 * HOUR and shown_now.state == "partial"


def test_components_worst_first():
    shown = page(component("web", "degraded_performance", "Front"), component("api", "major_outage"),
                 component("db", "partial_outage", "Data"), component("cdn", "under_maintenance", "Front"),
                 component("ok", "operational", "Front"))
    everything = board_provider(provider(), row(), shown, "statuspage", "", NOW)
    assert [(c.name, c.group, c.status) for c in everything.components] == [
        ("API", None, "major_outage"), ("DB", "Data", "partial_outage"), ("WEB", "Front", "degraded_performance"),
        ("CDN", "Front", "under_maintenance")]


def test_hostile_page_text_stays_data_and_lines_stay_lines():
    hostile = "<script>alert('x')</script> \"quoted\" & ' {{template}} ${VAR}"
    shown = page(
        Component(id="c\u202e1", name=f"{hostile}\nforged row", status="major_outage\r\nX", group="<b>g</b>"),
        Incident(id="i1", title=f"{hostile}\u200b\n| forged", status="investigating\u0007", impact="major",
                 updates=(Update(id="u1", status="identified", body=f"{hostile}\nline two\x1b[31m"),)),
    )
    shown_now = board_provider(provider(), row(), shown, "statuspage", "", NOW)
    [broken] = shown_now.components
    assert (broken.name, broken.group, broken.status) == (f"{hostile} forged row", "<b>g</b>", "major_outage X")
    [trouble] = shown_now.incidents
    assert (trouble.title, trouble.status) == (f"{hostile} | forged", "investigating")
    assert trouble.latest_update is not None and trouble.latest_update.body == f"{hostile}\nline two [31m"
    for line in (broken.name, broken.status, trouble.title, trouble.status, trouble.id):
        assert line.isprintable(), line


# ------------------------------------------------------------ the whole board from a store


def document(snapshot: Snapshot) -> DocumentState:
    return DocumentState(URL, Validators(None, None, "h"), snapshot)


def load(tmp_path: Path, toml: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "statusbot.toml"
    path.write_text(toml)
    return load_config(path, env or {}, FORMATS, DESTINATIONS, PRESETS)


PROVIDERS = "".join(f"""
[[providers]]
name = "{name}"
title = "{title}"
kind = "statuspage"
url = "https://status.{name}.test"
""" for name, title in (("acme", "Acme"), ("nova", "Nova"), ("bolt", "bolt"), ("zeta", "Zeta"), ("cole", "Cole")))
CHANNELS = """
[[channels]]
name = "log"
type = "console"

[[channels]]
name = "hooks"
type = "webhook"
url = "https://hooks.example/in"

[[channels]]
name = "alerts"
type = "webhook"
url = "https://alerts.example/in"
hold = "5m"

[[channels]]
name = "audit"
type = "webhook"
url = "https://audit.example/in"
"""


async def test_the_board_from_the_store(any_store: SqlStore, tmp_path: Path):
    config = load(tmp_path, PROVIDERS + CHANNELS)
    await any_store.commit_poll("acme", [document(page(component("api", "major_outage")))], [],
                                [("hooks", update_event(1)), ("hooks", update_event(2))], True,
                                events=[update_event(1), update_event(2)])
    await any_store.commit_poll("zeta", [document(page(incident("i1", impact="major")))], [], [], True)
    await any_store.commit_poll("bolt", [document(page(incident("i1", impact="major")))], [], [], True)
    await any_store.commit_poll("cole", [document(page())], [], [], True)
    await any_store.record_poll("cole", "HTTP 503")
    await any_store.record_poll("nova", "connection refused")  # never read
    await any_store.commit_poll("gone", [document(page(component("api", "major_outage")))], [], [], True)
    await any_store.set_disabled("audit", "the webhook answered 410")
    delivery = await any_store.next_delivery("hooks")
    assert delivery is not None
    await any_store.mark_dead(delivery, "HTTP 400")

    board = await build_board(config, any_store, NOW.timestamp())
    assert Board.model_validate_json(board.model_dump_json()) == board  # the API's JSON reads back whole
    assert (board.generated_at, board.version) == (NOW, __version__)
    # Worst first, then by title (whatever its case); "gone" is no longer configured.
    assert [(p.name, p.state) for p in board.providers] == [
        ("acme", "outage"), ("bolt", "partial"), ("zeta", "partial"), ("cole", "unreadable"), ("nova", "unknown")]
    cole, nova = board.providers[3:]
    assert (cole.error, cole.consecutive_errors, nova.error, nova.last_success_at) == (
        "HTTP 503", 1, "connection refused", None)
    assert cole.last_success_at is not None and cole.last_poll_at is not None
    assert cole.last_poll_at >= cole.last_success_at
    assert board.providers[0].url == "https://status.acme.test" and board.providers[0].kind == "statuspage"
    assert [(c.name, c.state, c.backlog, c.given_up, c.disabled_reason) for c in board.channels] == [
        ("audit", "disabled", 0, 0, "the webhook answered 410"), ("hooks", "backlog", 1, 1, None),
        ("alerts", "ok", 0, 0, None), ("log", "ok", 0, 0, None)]
    assert board.counts.model_dump() == {
        "providers": 5, "by_state": {state: {"outage": 1, "partial": 2, "unreadable": 1, "unknown": 1}.get(state, 0)
                                     for state in STATES},
        "channels": 4, "channels_disabled": 1, "backlog": 1}
    assert [e.id for e in board.events] == ["evt_2", "evt_1"]
    assert all(p.state_text == STATE_WORDS[p.state] for p in board.providers)


async def test_the_channels_figures_are_those_of_statusbot_status(any_store: SqlStore, tmp_path: Path):
    config = load(tmp_path, PROVIDERS + CHANNELS)
    stage = NoiseStage({"alerts": NoiseSettings(hold=300.0)}, lambda: NOW.timestamp())
    await any_store.commit_poll("acme", [], [], [("alerts", component_event("api", "operational", "major_outage"))],
                                True, noise=stage)
    await any_store.commit_poll("acme", [], [], [("hooks", update_event(1))], True)
    delivered = await any_store.next_delivery("hooks")
    assert delivered is not None
    await any_store.mark_delivered(delivered, None)

    board = await build_board(config, any_store, NOW.timestamp())
    channels = {channel.name: channel for channel in board.channels}
    assert (channels["alerts"].held, channels["alerts"].deferred, channels["alerts"].state) == (1, 0, "ok")
    assert channels["hooks"].delivered == 1 and channels["hooks"].last_delivery_at is not None


async def test_the_board_shows_the_newest_events(store: Store, tmp_path: Path):
    await store.commit_poll("acme", [], [], [], True, events=[update_event(n) for n in range(EVENTS_SHOWN + 20)])
    board = await build_board(load(tmp_path, PROVIDERS + CHANNELS), store, NOW.timestamp())
    assert len(board.events) == EVENTS_SHOWN and board.events[0].id == f"evt_{EVENTS_SHOWN + 19}"


async def test_no_secret_reaches_the_board(tmp_path: Path):
    secret = "s3cr3t-page-t0ken-9f8e"
    config = load(tmp_path, """
[[providers]]
name = "inpath"
kind = "statuspage"
url = "https://status.acme.test/${PAGE_TOKEN}"

[[providers]]
name = "inquery"
kind = "feed"
url = "https://feeds.acme.test/history.rss?token=${PAGE_TOKEN}"
""" + CHANNELS, env={"PAGE_TOKEN": secret})
    store = await Store.open(tmp_path / "state.db", hidden=config.secrets)
    try:
        await store.record_poll("inpath", f"HTTP 503 from https://status.acme.test/{secret}/api/v2/summary.json")
        await store.commit_poll("inquery", [document(page(incident("i1")))], [], [], True)
        board = await build_board(config, store, NOW.timestamp())
    finally:
        await store.close()
    urls = {p.name: p.url for p in board.providers}
    assert urls == {"inpath": "", "inquery": "https://feeds.acme.test/history.rss"}
    assert secret not in json.dumps(board.model_dump(mode="json"))
    assert [p.error for p in board.providers if p.name == "inpath"] == [
        "HTTP 503 from https://status.acme.test/***/api/v2/summary.json"]


async def test_a_detected_platform_is_shown_for_a_page_of_kind_auto(store: Store, tmp_path: Path):
    config = load(tmp_path, '[[providers]]\nname = "acme"\nurl = "https://status.acme.test"\n'
                            '[[providers]]\nname = "moved"\nurl = "https://status.moved.test"\n' + CHANNELS)
    await store.record_platform("acme", "https://status.acme.test", "instatus", None, keep=[])
    await store.record_platform("moved", "https://old.moved.test", "cachet", None, keep=[])  # another address
    board = await build_board(config, store, NOW.timestamp())
    assert {p.name: p.kind for p in board.providers} == {"acme": "instatus", "moved": "auto"}


async def test_only_the_providers_components_count_and_only_what_is_wrong_is_kept(any_store: SqlStore, tmp_path: Path):
    config = load(tmp_path, """
[[providers]]
name = "front"
kind = "statuspage"
url = "https://status.acme.test"
components = ["Front"]

[[providers]]
name = "all"
kind = "statuspage"
url = "https://status.acme.test"
""" + CHANNELS)
    whole = page(component("web", "degraded_performance", "Front"), component("api", "major_outage"),
                 component("cdn", "operational", "Front"), incident("on-api", impact="critical", component_ids=("api",)),
                 incident("on-cdn", impact="major", component_ids=("cdn",)), incident("anywhere"),
                 incident("over", "resolved", "critical"))
    for name in ("front", "all"):
        await any_store.commit_poll(name, [document(whole)], [], [], True)
    # By name or group, as the bot announces them; an incident counts if it touches them or names none.
    standing = await any_store.current_pages({"front": ("Front",), "all": ()})
    assert (set(standing["front"].components), set(standing["front"].incidents)) == ({"web"}, {"on-cdn", "anywhere"})
    assert (set(standing["all"].components), set(standing["all"].incidents)) == (
        {"web", "api"}, {"on-api", "on-cdn", "anywhere"})
    board = {p.name: p for p in (await build_board(config, any_store, NOW.timestamp())).providers}
    assert board["front"].state == "partial" and [c.name for c in board["front"].components] == ["WEB"]
    assert board["all"].state == "outage" and [c.name for c in board["all"].components] == ["API", "WEB"]
