"""The Apprise channel, driving the real Apprise library against local endpoints: a fake ntfy
server (`ntfy://`) and a webhook receiver for Apprise's JSON plugin (`json://`)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import load_config
from bot.message import compose
from bot.model import ConfigError, Event, Incident, PermanentError, RetryableError, Update
from bot.retry_after import UnexpectedAnswer
from notifiers import DESTINATIONS
from notifiers.apprise_channel import BODY_MAX, DESTINATION, ZWSP, AppriseNotifier, AppriseSettings, body_of
from providers import FORMATS, PRESETS
from tests.bot_process import REPO
from tests.builders import component_event, incident_event
from tests.fakes.ntfy import FakeNtfy
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port
from tests.test_notifier_discord import engine_logging
from tests.world import World

HOSTILE = "@everyone @room <!channel> <@U123> **bold** <b>html</b> [click](https://evil.example) ops@example.com"
PASSWORD = "s3cret-pa55word"
PATH_TOKEN = "t0ken-in-the-path"


@pytest.fixture
def ntfy() -> Iterator[FakeNtfy]:
    with FakeNtfy() as fake:
        yield fake


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as fake:
        yield fake


def json_url(receiver: WebhookReceiver, path: str = "hook") -> str:
    """Apprise's JSON plugin posting to the receiver, with credentials to keep secret."""
    return f"json://statusbot:{PASSWORD}@{receiver.url.removeprefix('http://')}/{path}"


def notifier(*urls: str, timeout: float = 5.0) -> AppriseNotifier:
    return DESTINATION.create("alerts", AppriseSettings(urls=list(urls), timeout=timeout), None)  # type: ignore[return-value]


def posted(receiver: WebhookReceiver, n: int = 0) -> dict[str, Any]:
    return json.loads(receiver.requests[n].body)


def hostile_event() -> Event:
    incident = Incident(id="i1", title=f"Outage {HOSTILE}", status="investigating", impact="minor")
    update = Update(id="u1", status="investigating", body=f"Body {HOSTILE}")
    return Event(id="evt_hostile", type="incident.created", key="inc:i1", provider="acme", provider_title="Acme",
                 thread_key="acme:incident:i1", impact="minor", incident=incident, update=update)


# ---------------------------------------------------------------- the message


def test_the_body_is_plain_text_with_the_channels_mention_first() -> None:
    message = compose(incident_event("i1", "identified", impact="major", components=("api",)), "@oncall")
    message = message.model_copy(update={"components": ("API", "Website"), "url": "https://status.acme.test/i1"})
    assert body_of(message) == ("@oncall\nNew incident · Identified\n\ni1 update 1\n\nImpact: Major\n"
                                "Components: API, Website\nhttps://status.acme.test/i1")


def test_a_grouped_message_lists_its_other_changes() -> None:
    first = component_event("API", "operational", "major_outage")
    grouped = first.model_copy(update={"related": (component_event("Web", "operational", "partial_outage"),)})
    body = body_of(compose(grouped))
    assert body.splitlines()[-2:] == ["Also changed:", "Web: Operational → Partial outage"]


def test_a_megabyte_update_is_cut_to_the_body_limit_keeping_what_follows_it() -> None:
    event = incident_event("i1", "identified", impact="critical")
    event = event.model_copy(update={"update": event.update.model_copy(update={"body": "word " * 200_000})})  # type: ignore[union-attr]
    body = body_of(compose(event))
    assert len(body) <= BODY_MAX and body.endswith("Impact: Critical")


# ---------------------------------------------------------------- sending


async def test_a_message_arrives_at_ntfy_with_its_title_and_body(ntfy: FakeNtfy) -> None:
    await notifier(f"ntfy://{ntfy.address}/alerts").send(compose(incident_event("i1", "identified")), None)
    [published] = ntfy.requests
    assert (published.topic, published.title) == ("alerts", "Acme: Trouble i1")
    assert published.message == "New incident · Identified\n\ni1 update 1\n\nImpact: Minor"


@pytest.mark.parametrize(("status", "impact", "kind"), [
    ("investigating", "critical", "failure"), ("investigating", "minor", "warning"), ("resolved", "major", "success"),
])
async def test_the_notification_type_follows_impact_and_phase(receiver: WebhookReceiver, status: str, impact: str,
                                                             kind: str) -> None:
    await notifier(json_url(receiver)).send(compose(incident_event("i1", status, impact=impact, n=2)), None)
    assert posted(receiver)["type"] == kind


async def test_page_text_arrives_as_plain_text_that_mentions_nobody(receiver: WebhookReceiver, ntfy: FakeNtfy) -> None:
    # ntfy told to render Markdown: Apprise escapes our plain text for it.
    await notifier(json_url(receiver), f"ntfy://{ntfy.address}/alerts?format=markdown").send(compose(hostile_event()), None)
    body = posted(receiver)["message"]
    assert f"@{ZWSP}everyone @{ZWSP}room <{ZWSP}!channel> <{ZWSP}@{ZWSP}U123>" in body
    assert "**bold** <b>html</b> [click](https://evil.example) ops@example.com" in body, "as written, never rendered"
    [published] = ntfy.requests
    assert published.headers.get("x-markdown") == "yes"
    assert r"\*\*bold\*\*" in published.message and r"\[click\]\(https://evil\.example\)" in published.message


@pytest.mark.parametrize(("status", "error", "disabled"), [
    (500, RetryableError, False), (503, RetryableError, False), (429, RetryableError, False),
    (401, PermanentError, True), (403, PermanentError, True), (404, PermanentError, True), (410, PermanentError, True),
    (400, PermanentError, False),
])
async def test_an_answer_is_classified_as_for_every_destination(receiver: WebhookReceiver, status: int,
                                                               error: type[Exception], disabled: bool) -> None:
    receiver.respond(status)
    with pytest.raises(error) as raised:
        await notifier(json_url(receiver)).send(compose(incident_event("i1", "identified")), None)
    assert not isinstance(raised.value, UnexpectedAnswer)
    assert getattr(raised.value, "disable_channel", False) is disabled
    assert str(raised.value).startswith(f"apprise channel 'alerts': urls[0] (JSON): HTTP {status} ")


async def test_a_redirect_is_never_followed(receiver: WebhookReceiver) -> None:
    with WebhookReceiver() as elsewhere:
        receiver.respond(302, headers={"Location": f"{elsewhere.url}/collect"})
        with pytest.raises(UnexpectedAnswer, match=r"urls\[0\] \(JSON\): HTTP 302 Found: a redirect, not followed$"):
            await notifier(json_url(receiver)).send(compose(incident_event("i1", "identified")), None)
    assert elsewhere.requests == [], "Apprise follows redirects unless told not to"


async def test_ntfys_own_error_codes_are_read_as_their_http_status(ntfy: FakeNtfy) -> None:
    ntfy.respond(401)  # {"code": 40101, "http": 401, ...}
    with pytest.raises(PermanentError, match=r"urls\[0\] \(ntfy\): HTTP 401 Unauthorized: channel disabled"):
        await notifier(f"ntfy://{ntfy.address}/alerts").send(compose(incident_event("i1", "identified")), None)


async def test_a_refused_connection_is_an_outage() -> None:
    with pytest.raises(RetryableError, match=r"urls\[0\] \(JSON\): connection failed$") as raised:
        await notifier(f"json://127.0.0.1:{free_port()}/hook").send(compose(incident_event("i1", "identified")), None)
    assert not isinstance(raised.value, UnexpectedAnswer)


async def test_a_slow_endpoint_times_out_as_an_outage(receiver: WebhookReceiver) -> None:
    receiver.respond(200, delay=3)
    with pytest.raises(RetryableError, match=r"urls\[0\] \(JSON\): "):
        await notifier(json_url(receiver), timeout=0.3).send(compose(incident_event("i1", "identified")), None)


async def test_apprise_never_retries_whatever_the_url_says(receiver: WebhookReceiver) -> None:
    receiver.respond(500, times=5)
    with pytest.raises(RetryableError):
        await notifier(json_url(receiver) + "?retry=3&optional=yes").send(compose(incident_event("i1", "new")), None)
    assert len(receiver.requests) == 1, "our delivery worker is the one retry layer"


async def test_a_retry_goes_only_to_the_urls_that_failed(receiver: WebhookReceiver) -> None:
    # The other URL is Apprise's form plugin: ntfy's paces its requests 5.5 s apart, which this
    # test would spend waiting.
    with WebhookReceiver() as form:
        channel = notifier(json_url(receiver), f"form://{form.url.removeprefix('http://')}/alerts")
        message = compose(incident_event("i1", "identified"))
        receiver.respond(503)
        with pytest.raises(RetryableError, match=r"^apprise channel 'alerts': urls\[0\] \(JSON\): HTTP 503 [^;]*$"):
            await channel.send(message, None)
        assert await channel.send(message, None) is None
        assert (len(receiver.requests), len(form.requests)) == (2, 1), "the form URL had it: not sent twice"
        await channel.send(compose(incident_event("i1", "resolved", n=2)), None)
        assert (len(receiver.requests), len(form.requests)) == (3, 2), "the next message goes to both"


async def test_an_unusable_url_disables_the_channel_even_while_another_is_down(receiver: WebhookReceiver,
                                                                               ntfy: FakeNtfy) -> None:
    receiver.respond(500)
    ntfy.respond(403)
    with pytest.raises(PermanentError) as raised:
        await notifier(json_url(receiver), f"ntfy://{ntfy.address}/alerts").send(compose(incident_event("i1", "x")), None)
    assert raised.value.disable_channel
    assert str(raised.value) == ("apprise channel 'alerts': urls[0] (JSON): HTTP 500 Internal Server Error; "
                                 "urls[1] (ntfy): HTTP 403 Forbidden: channel disabled")


async def test_no_url_or_credential_reaches_an_error_or_a_log(receiver: WebhookReceiver,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    url = json_url(receiver, PATH_TOKEN)
    settings = AppriseSettings(urls=[url])
    assert PASSWORD not in repr(settings)
    errors = []
    with engine_logging(), caplog.at_level(logging.DEBUG):
        for status in (500, 401):
            receiver.respond(status)
            with pytest.raises(RetryableError if status == 500 else PermanentError) as raised:
                await notifier(url).send(compose(incident_event("i1", "identified")), None)
            errors.append(str(raised.value))
        with pytest.raises(RetryableError) as refused:
            await notifier(f"json://statusbot:{PASSWORD}@127.0.0.1:{free_port()}/{PATH_TOKEN}").send(
                compose(incident_event("i1", "identified")), None)
        errors.append(str(refused.value))
    # What reaches the bot's log handlers (on the root logger). Apprise's own lines never do: its
    # logger does not propagate (pytest 9.2 captures non-propagating loggers too, so they are
    # told apart here by name).
    assert logging.getLogger("apprise").propagate is False
    ours = [record for record in caplog.records if record.name.partition(".")[0] != "apprise"]
    seen = "\n".join([*errors, *(caplog.handler.format(record) for record in ours)])
    assert PASSWORD not in seen and PATH_TOKEN not in seen and "127.0.0.1" not in seen


# ---------------------------------------------------------------- configuration


def load(tmp_path: Path, channel: str) -> Any:
    path = tmp_path / "statusbot.toml"
    path.write_text(f'[[providers]]\nname = "github"\n\n[[channels]]\nname = "alerts"\ntype = "apprise"\n{channel}')
    return load_config(path, {}, FORMATS, DESTINATIONS, PRESETS)


@pytest.mark.parametrize(("urls", "error"), [
    (f'["ntfys://ntfy.sh/alerts", "nosuchservice://{PASSWORD}@host/x"]',
     "channels[0] (alerts).urls[1]: Apprise cannot use this URL: an unknown service or a malformed URL"),
    (f'["tgram://{PASSWORD}"]', "channels[0] (alerts).urls[0]: Apprise cannot use this URL: an unknown service"),
    (f'["{PASSWORD}"]', "channels[0] (alerts).urls[0]: must be an Apprise URL such as ntfys://ntfy.sh/TOPIC"),
    ("[]", "channels[0] (alerts).urls: must list at least one Apprise URL"),
])
def test_a_url_apprise_cannot_use_is_one_line_naming_it(tmp_path: Path, urls: str, error: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, f"urls = {urls}\n")
    assert str(raised.value).startswith(error) and "\n" not in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_the_urls_are_secrets(tmp_path: Path) -> None:
    config = load(tmp_path, f'urls = ["json://u:{PASSWORD}@127.0.0.1:9/x"]\ntimeout = 3\n')
    [channel] = config.channels
    assert channel.secret_keys == {"urls"} and channel.settings.timeout == 3


def test_without_apprise_installed_the_channel_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "statusbot.toml").write_text(
        '[[providers]]\nname = "github"\n\n[[channels]]\nname = "alerts"\ntype = "apprise"\nurls = ["ntfys://ntfy.sh/x"]\n')
    script = (
        "import sys; sys.modules['apprise'] = None\n"  # what a bot without the extra sees
        "from pathlib import Path\n"
        "from bot.config import load_config\n"
        "from bot.model import ConfigError\n"
        "from notifiers import DESTINATIONS\n"
        "from providers import FORMATS, PRESETS\n"
        "try:\n"
        "    load_config(Path('statusbot.toml'), {}, FORMATS, DESTINATIONS, PRESETS)\n"
        "except ConfigError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(REPO)})
    assert done.stdout == ("channels[0] (alerts): type \"apprise\" needs the apprise extra: "
                           "pip install 'statusbot[apprise]'\n"), done.stderr


def test_a_bot_without_apprise_channels_never_imports_it() -> None:
    script = "import bot.cli, notifiers, sys; print('apprise' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(REPO)})
    assert done.stdout == "False\n", done.stderr


# ---------------------------------------------------------------- the bot process


def apprise_channel(hook: WebhookReceiver) -> str:
    return f"""
[[channels]]
name = "ops-apprise"
type = "apprise"
urls = ["{json_url(hook)}"]
mention = "@oncall"
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, WebhookReceiver]]:
    with StatusPageServer() as pages, WebhookReceiver() as receiver, WebhookReceiver() as hook:
        yield World(tmp_path, pages, receiver), hook


def test_one_incidents_life_through_the_bot(world: tuple[World, WebhookReceiver]) -> None:
    w, hook = world
    w.acme.open_incident("live", f"API errors {HOSTILE}", "Investigating errors", impact="critical")
    w.publish()
    with w.bot(channels=apprise_channel(hook)) as bot:
        w.expect(1)
        for status, body in (("identified", "Cause found"), ("resolved", "All clear")):
            w.acme.update("live", status, body)
            w.publish()
            w.expect(len(w.receiver.requests) + 1)
        hook.wait_for(3, timeout=30)
        assert bot.stop() == 0
    sent = [posted(hook, n) for n in range(3)]
    assert [s["type"] for s in sent] == ["failure", "failure", "success"]
    assert sent[0]["message"].startswith("@oncall\nNew incident · Investigating"), "critical: the channel's mention"
    assert sent[2]["message"].startswith("Resolved · Resolved\n\nAll clear")
    assert f"@{ZWSP}everyone" in sent[0]["title"]
    assert not any(PASSWORD in line for line in bot.stderr + bot.stdout)


def test_send_test_and_check(world: tuple[World, WebhookReceiver], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    # In process, as tests/test_cli.py runs the commands' logic.
    w, hook = world
    config = w.config(extra=apprise_channel(hook))
    monkeypatch.chdir(tmp_path)
    assert main(["send-test", "ops-apprise", "--config", str(config)]) == 0
    assert "delivered to channel ops-apprise (apprise)" in capsys.readouterr().out
    assert "Test message from statusbot" in json.dumps(posted(hook))
    assert main(["check", "--config", str(config)]) == 0
    output = "".join(capsys.readouterr())
    assert "ops-apprise" in output and "apprise" in output
    assert PASSWORD not in output and "json://" not in output
