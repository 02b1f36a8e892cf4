"""No token, secret or webhook URL ever reaches a log line, an error or `check` output."""

from __future__ import annotations

import logging

from bot.logs import MASK, RedactSecrets
from tests.bot_process import BotProcess
from tests.builders import one_page_config
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.status_page import PageScript, StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver

TOKEN = "T0KEN-abcdef123456"
SECRET = "s3cret-signing-key-9876"


def test_filter_masks_secrets_in_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "posting to %s failed", (f"https://h/{TOKEN}",), None)
    try:
        raise RuntimeError(f"boom {SECRET}")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactSecrets([TOKEN, SECRET]).filter(record)
    assert TOKEN not in record.getMessage() and MASK in record.getMessage()
    assert SECRET not in record.exc_text


def test_the_running_bot_never_prints_a_secret(tmp_path):
    script = PageScript("Acme")
    script.component("api", "API", "major_outage")
    script.open_incident("i1", "API down", "Investigating")
    with StatusPageServer() as pages, WebhookReceiver() as receiver:
        pages.publish("/acme", script)
        receiver.respond(401, body=f"bad token {TOKEN}".encode(), times=10)
        config = one_page_config(tmp_path, f"{pages.url}/acme", """
[[channels]]
name = "hooks"
type = "webhook"
url = "${HOOK_URL}"
secret = "${HOOK_SECRET}"
""")
        env = {"HOOK_URL": f"{receiver.url}/hook/{TOKEN}", "HOOK_SECRET": SECRET}
        run = BotProcess("--log-level", "DEBUG", "run", "--once", "--config", str(config), cwd=tmp_path, env=env)
        assert run.run() == 1
        check = BotProcess("check", "--config", str(config), cwd=tmp_path, env=env)
        assert check.run() == 0
    assert receiver.requests, "the webhook was tried"
    output = "".join(run.stdout + run.stderr + check.stdout + check.stderr)
    assert "channel hooks: disabled" in output
    assert TOKEN not in output and SECRET not in output and "/hook/" not in output


def test_a_bad_secret_url_is_named_but_not_echoed(tmp_path):
    config = tmp_path / "statusbot.toml"
    config.write_text(f"""
[[providers]]
name = "openai"

[[channels]]
name = "hooks"
type = "webhook"
url = "htp:/nowhere/{TOKEN}"
""")
    check = BotProcess("check", "--config", str(config), cwd=tmp_path)
    assert check.run() == 2
    [line] = check.stderr
    assert "channels[0] (hooks).url" in line and TOKEN not in line



def test_no_notifier_leaks_its_credentials(tmp_path):
    """Every chat destination failing, at DEBUG: the output names channels, never credentials."""
    script = PageScript("Acme")
    script.open_incident("i1", "API down", "Investigating")
    slack_token = f"xoxb-token-revoked-{TOKEN}"
    with StatusPageServer() as pages, FakeSlack() as slack, FakeDiscord() as discord:
        pages.publish("/acme", script)
        hook_url = slack.webhook_url("gone")
        discord_url = discord.webhook_url("gone")
        config = one_page_config(tmp_path, f"{pages.url}/acme", f"""
[[channels]]
name = "slack-bot"
type = "slack"
token = "${{SLACK_TOKEN}}"
channel = "#ops"
api_url = "{slack.api_url}"

[[channels]]
name = "slack-hook"
type = "slack"
webhook_url = "${{SLACK_HOOK}}"

[[channels]]
name = "discord"
type = "discord"
webhook_url = "${{DISCORD_HOOK}}"
""")
        env = {"SLACK_TOKEN": slack_token, "SLACK_HOOK": hook_url, "DISCORD_HOOK": discord_url}
        run = BotProcess("--log-level", "DEBUG", "run", "--once", "--config", str(config), cwd=tmp_path, env=env)
        assert run.run() == 1
        check = BotProcess("check", "--config", str(config), cwd=tmp_path, env=env)
        assert check.run() == 0
    output = "".join(run.stdout + run.stderr + check.stdout + check.stderr)
    for channel in ("slack-bot", "slack-hook", "discord"):
        assert f"channel {channel}: disabled" in output
    for secret in (slack_token, TOKEN, hook_url.split("/services/")[1], discord_url.split("/webhooks/")[1]):
        assert secret not in output
