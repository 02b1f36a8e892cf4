"""A webhook channel's `template`: the body for any JSON API, rendered in Jinja2's sandbox.

Rendered and POSTed to the local receiver by the real notifier (signed over the rendered body),
hostile page text kept inert inside the JSON, sandbox escapes and broken templates refused when
the configuration is read (one line naming the key), a template that fails for one event giving
up that message only, the bounds on time and size, and the installed bot delivering an
incident's life through a templated channel.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.message import compose
from bot.model import PermanentError
from notifiers._template import MAX_RENDER_SECONDS, MAX_RENDERED_BYTES
from notifiers._template_samples import COMPONENT_CHANGED, DIGEST, GROUP, INCIDENT_CREATED, SAMPLE_NOW
from notifiers.webhook import MAX_BODY_BYTES, WebhookNotifier, WebhookSettings, template_variables
from tests.bot_process import BotProcess
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver, verify_standard_webhook
from tests.world import SECRET, World

# A generic chat API: a text line, the colour, and the whole event for the curious.
CHAT = """{
  "text": "{{ message.label }}: {{ message.headline }}",
  "body": {{ message.text | tojson }},
  "colour": "{{ message.colour }}",
  "link": {{ message.url | tojson }},
  "event": {{ event | tojson }}
}"""
HOSTILE = 'He said "hi", \\ then </script><b>x</b>\n", "channel": "#general", "x": "'


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def templated(url: str, http: httpx.AsyncClient, template: str, **settings: object) -> WebhookNotifier:
    return WebhookNotifier("hooks", WebhookSettings.model_validate({"url": url, "template": template, **settings}), http)


def problem(template: str) -> str:
    """Why the settings refuse `template` (the loader prefixes the key)."""
    with pytest.raises(ValidationError) as caught:
        WebhookSettings.model_validate({"url": "https://hooks.example.com/in", "template": template})
    (error,) = caught.value.errors()
    assert error["loc"] == ("template",)
    return str(error["ctx"]["error"])


# ---------------------------------------------------------------- sent


async def test_the_rendered_body_is_posted_and_signed(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer t0k3n-for-the-api"}
    notifier = templated(f"{receiver.url}/api", http, CHAT, secret=SECRET, headers=headers)
    await notifier.send(compose(INCIDENT_CREATED, mention="@oncall"), None)
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook(SECRET, request.headers, request.body)
    assert request.headers["webhook-id"] == INCIDENT_CREATED.id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer t0k3n-for-the-api"
    body = json.loads(request.body)
    assert request.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()  # minified
    assert body["text"] == "New incident: Example: Elevated errors on the API"
    assert body["body"] == INCIDENT_CREATED.update.body  # type: ignore[union-attr]
    assert (body["colour"], body["link"]) == ("#E8912D", INCIDENT_CREATED.url)
    assert body["event"]["type"] == "incident.created" and body["event"]["incident"]["components"] == ["API", "Website"]


def test_the_variables_of_each_kind_of_delivery() -> None:
    template = '{"e": {{ event | tojson }}, "m": {{ message | tojson }} }'
    assert WebhookSettings(url="https://hooks.example.com/in", template=template).template == template
    incident = template_variables(compose(INCIDENT_CREATED, mention="@oncall"), SAMPLE_NOW)
    assert incident["message"] == {
        "label": "New incident", "title": "Elevated errors on the API",
        "headline": "Example: Elevated errors on the API", "phase": "Investigating",
        "current_phase": "Investigating", "text": INCIDENT_CREATED.update.body,  # type: ignore[union-attr]
        "impact": "major", "colour": "#E8912D", "url": INCIDENT_CREATED.url, "components": ["API", "Website"],
        "changes": [], "age": "", "mention": "@oncall", "final": False,
    }
    assert incident["event"]["type"] == "incident.created" and incident["event"]["timestamp"] == "2026-02-24T08:41:00Z"
    assert incident["event"]["update"]["status"] == "investigating"
    component = template_variables(compose(COMPONENT_CHANGED), SAMPLE_NOW)
    assert component["message"]["text"] == "Operational → Partial outage" and component["message"]["mention"] == ""
    assert component["event"]["incident"] is None and component["event"]["component"]["name"] == "API"
    digest = template_variables(compose(DIGEST), SAMPLE_NOW)
    assert digest["event"]["type"] == "digest" and digest["event"]["count"] == 2
    assert [e["type"] for e in digest["event"]["events"]] == ["incident.created", "component.status"]
    assert digest["message"]["title"] == "Digest: 1 incident, 1 component change"
    group = template_variables(compose(GROUP), SAMPLE_NOW)
    assert group["event"]["type"] == "group" and group["message"]["changes"] == ["API: Operational → Partial outage"]


async def test_hostile_page_text_stays_a_string(receiver: WebhookReceiver, http: httpx.AsyncClient) -> None:
    incident = INCIDENT_CREATED.incident.model_copy(update={"title": HOSTILE})  # type: ignore[union-attr]
    update = INCIDENT_CREATED.update.model_copy(update={"body": HOSTILE})  # type: ignore[union-attr]
    event = INCIDENT_CREATED.model_copy(update={"incident": incident, "update": update, "url": "javascript:alert(1)"})
    # Inside quotes, written JSON-escaped; through tojson, a whole value: neither can add a key.
    template = '{"quoted": "{{ message.title }} / {{ message.text }}", "value": {{ message.text | tojson }}, ' \
               '"link": "{{ message.url }}"}'
    await templated(receiver.url, http, template).send(compose(event), None)
    (request,) = receiver.wait_for(1)
    body = json.loads(request.body)
    text = compose(event).text
    assert body == {"quoted": f"{compose(event).title} / {text}", "value": text, "link": ""}
    assert "</script>" in body["value"] and '"' in body["value"] and "\n" in body["value"]


# ---------------------------------------------------------------- refused when the configuration is read


@pytest.mark.parametrize("template,expected", [
    ('{"a": {{ "".__class__.__mro__ }} }', "line 1: access to attribute '__class__' of 'str' object is unsafe."),
    ('{"a": {{ cycler.__init__.__globals__ }} }', "line 1: access to attribute '__init__' of 'type' object is unsafe."),
    ('{"a": {{ lipsum.__globals__ }} }', "line 1: access to attribute '__globals__' of 'function' object is unsafe."),
    ('{"a": {{ message.components.append(1) }} }', "line 1: access to attribute 'append' of 'list' object is unsafe."),
    ('{"a": {{ 2 ** 8 }} }', "line 1: the power operator ** is not available in a template"),
    ('{"text": "{{ message.text | safe }}"}', "the rendered body is not JSON: Expecting ',' delimiter at its line 1, "
                                               "column 33"),
    ('{"text": {{ message.text }} }', "the rendered body is not JSON: Expecting value at its line 1, column 10"),
    ('{"text": {{ message.titel | tojson }} }', "line 1: 'dict object' has no attribute 'titel'"),
    ('{\n"a": {{ mesage.text }} }', "line 2: 'mesage' is undefined"),
    ('{"a": 1, "a": 2}', "the rendered body is not JSON: the key 'a' appears twice in one object"),
    ('{"a": NaN}', "the rendered body is not JSON: NaN is not a JSON number"),
])
def test_a_template_that_fails_for_the_sample_incident(template: str, expected: str) -> None:
    assert problem(template) == f"for a sample incident.created delivery: {expected}"


def test_each_kind_of_delivery_is_tried() -> None:
    assert problem('{"title": {{ event.incident.title | tojson }} }') == \
        "for a sample component.status delivery: line 1: 'None' has no attribute 'title'"
    guarded = '{"title": {% if event.component %}{{ event.component.name | tojson }}' \
              '{% else %}{{ event.incident.title | tojson }}{% endif %} }'
    assert problem(guarded) == "for a sample digest delivery: line 1: 'dict object' has no attribute 'component'"


def test_a_template_that_does_not_compile() -> None:
    assert problem('{"a": {{ message.text | tojson }\n}') == "line 1: unexpected '}'"
    assert problem('{% for x in message.components %}\n{"a": 1}') == \
        "line 1: Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. " \
        "The innermost block that needs to be closed is 'for'."


def test_runaway_templates_are_stopped() -> None:
    started = time.monotonic()
    nested = '{"a": {% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}1}'
    assert problem(nested) == f"for a sample incident.created delivery: took over {MAX_RENDER_SECONDS:g} s to render"
    assert time.monotonic() - started < MAX_RENDER_SECONDS + 1
    assert problem('{"a": "{{ "x" * 2000000 }}"}') == \
        "for a sample incident.created delivery: line 1: a repetition over 1,000,000 items"
    assert problem('{"a": "{% for i in range(100000) %}{{ message.title }}{% endfor %}"}') == \
        "for a sample incident.created delivery: renders over 1,000,000 characters"


@pytest.mark.parametrize("headers,expected", [
    ({"Content-Type": "text/plain"}, "'Content-Type' is set by statusbot itself"),
    ({"webhook-signature": "v1,x"}, "'webhook-signature' is set by statusbot itself"),
    ({"Bad Name": "x"}, "'Bad Name' is not a header name"),
    ({"Authorization": "Bearer s3cr3t\r\nX-Evil: 1"}, "the value of 'Authorization' must be printable ASCII, "
                                                       "at most 4096 characters"),
])
def test_headers_statusbot_writes_or_cannot_send_are_refused(headers: dict[str, str], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookSettings.model_validate({"url": "https://hooks.example.com/in", "headers": headers})
    assert str(caught.value.errors()[0]["ctx"]["error"]) == expected
    assert "s3cr3t" not in str(caught.value)


def config_file(tmp_path: Path, channel: str) -> Path:
    path = tmp_path / "statusbot.toml"
    path.write_text('[[providers]]\nname = "acme"\nkind = "feed"\nurl = "https://status.example.com/feed.rss"\n\n'
                    '[[channels]]\nname = "log"\ntype = "console"\n\n' + channel)
    return path


def test_check_names_the_key_and_shows_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = config_file(tmp_path, '[[channels]]\nname = "api"\ntype = "webhook"\nurl = "https://hooks.example.com/k3y"\n'
                                "template = '''\n{\"a\": {{ ''.__class__ }} }\n'''\n")
    assert main(["check", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == ("statusbot: configuration error: channels[1] (api).template: for a sample incident.created "
                   "delivery: line 1: access to attribute '__class__' of 'str' object is unsafe.\n")
    good = config_file(tmp_path, '[[channels]]\nname = "api"\ntype = "webhook"\nurl = "https://hooks.example.com/k3y"\n'
                                 'headers = { Authorization = "Bearer t0k3n-of-the-api" }\n'
                                 f"template = '''\n{CHAT}\n'''\n")
    assert main(["check", "--config", str(good)]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("channel api:")]
    assert " headers=*** " in line and line.endswith(f" template=7 lines, {len(CHAT) + 1} characters")
    assert "t0k3n" not in out and "k3y" not in out


# ---------------------------------------------------------------- at send time


async def test_a_template_that_fails_for_one_event_gives_up_that_message(
    receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    # Renders for the samples; for a 16 KB update it loops 2.5e8 times, or writes 480 KB.
    slow = '{"a": {% for c in message.text %}{% for d in message.text %}{% endfor %}{% endfor %}1}'
    large = '[{% for i in range(30) %}{{ message.text | tojson }},{% endfor %}1]'
    long_update = INCIDENT_CREATED.update.model_copy(update={"body": "x" * 20_000})  # type: ignore[union-attr]
    event = INCIDENT_CREATED.model_copy(update={"update": long_update})
    text = json.dumps(template_variables(compose(event), SAMPLE_NOW)["message"]["text"], ensure_ascii=False).encode()
    assert len(text) == MAX_BODY_BYTES + 2  # as capped for the default body, quotes besides
    for template, expected in [
        (slow, f"took over {MAX_RENDER_SECONDS:g} s to render"),
        (large, f"the rendered body is {30 * (len(text) + 1) + 3:,} bytes, over the {MAX_RENDERED_BYTES:,}-byte limit"),
    ]:
        notifier = templated(receiver.url, http, template)
        with pytest.raises(PermanentError) as caught:
            await notifier.send(compose(event), None)
        assert str(caught.value) == f"webhook channel 'hooks': template: {expected}"
        assert not caught.value.disable_channel
        await notifier.send(compose(INCIDENT_CREATED), None)  # the next message goes out
    assert len(receiver.wait_for(2)) == 2


# ---------------------------------------------------------------- the installed bot


TEMPLATED = """
[[channels]]
name = "chat"
type = "webhook"
url = "{url}/chat"
secret = "{secret}"
template = '''
{{"text": "{{{{ message.label }}}}: {{{{ message.headline }}}} ({{{{ message.phase }}}})",
 "body": {{{{ message.text | tojson }}}}, "thread": {{{{ event.thread_key | tojson }}}}}}
'''
"""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        yield World(tmp_path, pages, receiver)


def test_an_incident_s_life_through_a_templated_channel(world: World) -> None:
    world.acme.open_incident("i1", "API errors", 'Errors on "/v1" </script>', components=("api",))
    world.publish()
    channels = TEMPLATED.format(url=world.receiver.url, secret=SECRET)
    with world.bot(channels=channels) as bot:
        world.expect(2)  # the default webhook and the templated one
        world.acme.update("i1", "identified", "A bad deploy")
        world.publish()
        world.expect(4)
        world.acme.update("i1", "resolved", "Fixed")
        world.publish()
        world.expect(6)
        world.settle()
        assert bot.stop() == 0
    chat = [request for request in world.receiver.requests if request.path == "/chat"]
    for request in chat:
        assert verify_standard_webhook(SECRET, request.headers, request.body)
    assert [json.loads(request.body) for request in chat] == [
        {"text": "New incident: Acme: API errors (Investigating)", "body": 'Errors on "/v1" </script>',
         "thread": "acme:incident:i1"},
        {"text": "Status change: Acme: API errors (Identified)", "body": "A bad deploy", "thread": "acme:incident:i1"},
        {"text": "Resolved: Acme: API errors (Resolved)", "body": "Fixed", "thread": "acme:incident:i1"},
    ]


def test_statusbot_check_of_a_bad_template_exits_2_with_one_line(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[[channels]]\nname = "chat"\ntype = "webhook"\nurl = "https://hooks.example.com/s3cr3t"\n'
                                 "template = '''\n{\"text\": {{ message.text }} }\n'''\n")
    check = BotProcess("check", "--config", str(path), cwd=tmp_path)
    assert check.run() == 2
    assert check.stdout == []
    assert check.stderr == ["statusbot: configuration error: channels[1] (chat).template: for a sample "
                            "incident.created delivery: the rendered body is not JSON: Expecting value at its "
                            "line 1, column 10\n"]
