"""The command line as an operator uses it: exit statuses and what each command prints."""

from __future__ import annotations

from tests.bot_process import BotProcess
from tests.fakes.webhook_receiver import WebhookReceiver

TOKEN = "T0KEN-abcdef123456"


def test_providers_lists_the_catalog(tmp_path):
    listing = BotProcess("providers", cwd=tmp_path)
    assert listing.run() == 0
    names = {line.split()[0] for line in listing.stdout[1:]}
    assert {"openai", "github", "cloudflare", "anthropic", "discord", "atlassian"} <= names


def test_check_on_built_in_defaults(tmp_path):
    check = BotProcess("check", cwd=tmp_path, env={"STATUSBOT_PROVIDERS": "github,openai"})
    assert check.run() == 0
    out = "".join(check.stdout)
    assert "provider github" in out and "provider openai" in out and "channel console" in out
    assert not (tmp_path / "statusbot.db").exists(), "check writes nothing"


def test_unknown_command_is_a_usage_error(tmp_path):
    assert BotProcess("frobnicate", cwd=tmp_path).run() == 2


def test_send_test_reaches_the_channel_or_says_why(tmp_path):
    config = tmp_path / "statusbot.toml"
    with WebhookReceiver() as receiver:
        config.write_text(f"""
[[providers]]
name = "openai"

[[channels]]
name = "hooks"
type = "webhook"
url = "{receiver.url}/hook/{TOKEN}"
""")
        ok = BotProcess("send-test", "hooks", "--config", str(config), cwd=tmp_path)
        assert ok.run() == 0 and "delivered to channel hooks" in "".join(ok.stdout)
        receiver.respond(403)
        refused = BotProcess("send-test", "hooks", "--config", str(config), cwd=tmp_path)
        assert refused.run() == 1
        unknown = BotProcess("send-test", "nope", "--config", str(config), cwd=tmp_path)
        assert unknown.run() == 2
    assert len(receiver.requests) == 2
    assert "Test message from statusbot" in receiver.requests[0].body.decode()
    [line] = refused.stderr
    assert "NOT delivered" in line and "403" in line and TOKEN not in line
    assert "no channel named 'nope'" in "".join(unknown.stderr)
