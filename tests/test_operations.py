"""Running statusbot as a service: /healthz and /metrics, `status`, JSON logs, the demo."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from bot.config import BotSettings, Config, ProviderConfig
from bot.demo import MAX_SPEED
from bot.status import render_status
from tests.bot_process import BotProcess
from tests.eventually import eventually
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.filesystem import read_only
from tests.ports import free_port
from tests.world import World


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def world(tmp_path):
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        yield World(tmp_path, pages, receiver)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_and_metrics_while_an_incident_flows(world):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    world.acme.open_incident("i1", "API errors", "Investigating")
    world.publish()
    config = world.config()
    config.write_text(config.read_text().replace("[bot]\n", f'[bot]\nhttp = "127.0.0.1:{port}"\n', 1))
    with BotProcess("run", "--config", str(config), cwd=world.tmp) as bot:
        bot.wait_for_output("serving /healthz")
        world.expect(1)
        world.acme.update("i1", "resolved", "Fixed")
        world.publish()
        world.expect(2)
        world.wait_for_polls(3)  # a few unchanged polls
        assert get(f"{base}/healthz") == (200, "ok\n")
        status, text = get(f"{base}/metrics")
        assert status == 200
        assert metric(text, "statusbot_events_total", type="incident.resolved") == 1
        assert metric(text, "statusbot_deliveries_total", channel="hooks", outcome="delivered") == 2
        assert metric(text, "statusbot_polls_total", provider="acme", result="not_modified") > 0
        assert metric(text, "statusbot_polls_total", provider="acme", result="changed") >= 1
        assert metric(text, "statusbot_outbox_depth", channel="hooks") == 0
        assert "statusbot_poll_duration_seconds_bucket" in text and "statusbot_delivery_latency_seconds_count" in text
        # /healthz reuses a healthy result for 5 s and a failure for 1 s.
        with read_only(world.tmp):
            status, reason = eventually(lambda: (answer := get(f"{base}/healthz"))[0] == 503 and answer,
                                        what="/healthz failing on a read-only database")
            assert "not writable" in reason
        eventually(lambda: get(f"{base}/healthz")[0] == 200, what="/healthz healthy again")
        assert bot.stop() == 0


def test_status_shows_providers_and_channels(world):
    world.acme.open_incident("i1", "API errors", "Investigating")
    world.acme.component("api", "API", "partial_outage")
    world.publish()
    world.receiver.respond(503, headers={"Retry-After": "0.1"}, times=100)  # retried soon, in vain
    once = BotProcess("run", "--once", "--config", str(world.config()), cwd=world.tmp)
    assert once.run() == 1, "the webhook is down: messages kept for later"
    status = BotProcess("status", "--config", str(world.config()), cwd=world.tmp)
    assert status.run() == 0
    out = "".join(status.stdout)
    acme = next(line for line in out.splitlines() if line.startswith("acme "))
    assert "1 open incident, partial_outage" in acme
    hooks = next(line for line in out.splitlines() if line.startswith("hooks "))
    assert hooks.split()[1:3] == ["webhook", "2"], "two messages wait"


async def test_status_tells_a_failing_page_from_one_never_polled(store):
    await store.record_poll("acme", "HTTP 503")
    config = Config(
        bot=BotSettings(database=str(store.path)),
        providers=tuple(ProviderConfig(name, name.title(), "statuspage", f"http://127.0.0.1:9/{name}", 60)
                        for name in ("acme", "nova")),
        channels=(), source="test",
    )
    two_hours_on = time.time() + 2 * 3600
    lines = (await render_status(config, store, clock=lambda: two_hours_on)).splitlines()
    acme = next(line for line in lines if line.startswith("acme "))
    nova = next(line for line in lines if line.startswith("nova "))
    # Neither page was ever read: the one polled in vain says when and why.
    assert acme.split() == ["acme", "2h", "ago", "never", "never", "Not", "read", "yet", "1", "(HTTP", "503)"]
    assert nova.split() == ["nova", "never", "never", "never", "Not", "read", "yet", "0"]


def test_status_before_any_run_says_so(tmp_path):
    status = BotProcess("status", cwd=tmp_path)
    assert status.run() == 1 and "has not run here yet" in "".join(status.stderr)


def test_json_logs_are_one_object_per_line(world):
    world.pages.serve("/acme/api/v2/summary.json", b"down", status=500)
    bot = BotProcess("--log-format", "json", "run", "--once", "--config", str(world.config()), cwd=world.tmp)
    assert bot.run() == 1
    records = [json.loads(line) for line in bot.stderr]
    assert any(r["level"] == "ERROR" and "provider acme" in r["message"] for r in records)
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_demo_plays_a_whole_incident(tmp_path):
    demo = BotProcess("demo", "--speed", str(MAX_SPEED), cwd=tmp_path)  # the fastest still shows every step
    assert demo.run(timeout=60) == 0
    lines = [line for line in demo.stdout if " | Provider=Demo Cloud" in line]
    statuses = [line.split("Status=")[1].split(" |")[0] for line in lines]
    assert statuses == ["degraded_performance", "investigating", "identified", "monitoring", "operational",
                        "resolved"]
