"""The command line as an operator uses it: exit statuses and what each command prints.

Most commands run in process (`statusbot`, below): what they print and return is the program's
logic. The program as a process (`python -m bot`: its version, its exit when a reader leaves)
is tested with a child process.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import __version__
from bot.cli import main
from tests.bot_process import REPO, BotProcess
from tests.builders import one_page_config
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.ports import free_port

TOKEN = "T0KEN-abcdef123456"


@dataclass
class Ran:
    code: int
    stdout: list[str]  # lines, each with its newline
    stderr: list[str]


@pytest.fixture
def statusbot(tmp_path, monkeypatch, capsys) -> Callable[..., Ran]:
    """Runs one command in process, in `tmp_path` (where .env is read from), with the environment
    given added to the test's own: its exit status and what it printed."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, env: dict[str, str] | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's usage errors
            code = int(exit.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out.splitlines(keepends=True), err.splitlines(keepends=True))

    return run


def test_providers_lists_the_catalog(statusbot):
    listing = statusbot("providers")
    assert listing.code == 0
    names = {line.split()[0] for line in listing.stdout[1:]}
    assert {"openai", "github", "cloudflare", "anthropic", "discord", "atlassian"} <= names


def test_check_on_built_in_defaults(tmp_path, statusbot):
    check = statusbot("check", env={"STATUSBOT_PROVIDERS": "github,openai"})
    assert check.code == 0
    out = "".join(check.stdout)
    assert "provider github" in out and "provider openai" in out and "channel console" in out
    assert not (tmp_path / "statusbot.db").exists(), "check writes nothing"


def test_unknown_command_is_a_usage_error(statusbot):
    assert statusbot("frobnicate").code == 2


def test_send_test_reaches_the_channel_or_says_why(tmp_path, statusbot):
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
        ok = statusbot("send-test", "hooks", "--config", str(config))
        assert ok.code == 0 and "delivered to channel hooks" in "".join(ok.stdout)
        receiver.respond(403)
        refused = statusbot("send-test", "hooks", "--config", str(config))
        assert refused.code == 1
        unknown = statusbot("send-test", "nope", "--config", str(config))
        assert unknown.code == 2
    assert len(receiver.requests) == 2
    assert "Test message from statusbot" in receiver.requests[0].body.decode()
    [line] = refused.stderr
    assert "NOT delivered" in line and "403" in line and TOKEN not in line
    assert f"no channel named 'nope'; configured: hooks; add a [[channels]] table with name = \"nope\" to {config}" \
        in "".join(unknown.stderr)


COMMANDS = ("run", "check", "status", "demo", "send-test", "providers", "migrate", "add")


def test_every_command_has_a_description(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    listing = capsys.readouterr().out
    for command in COMMANDS:
        assert f"    {command} " in listing
        with pytest.raises(SystemExit):
            main([command, "--help"])
        usage, description, *_ = capsys.readouterr().out.split("\n\n")
        assert usage.startswith(f"usage: statusbot {command}")
        assert len(description.split()) >= 10 and not description.startswith("options:"), command


def test_version_is_the_package_version_and_has_a_changelog_entry():
    version = BotProcess("--version", cwd=REPO)
    assert version.run() == 0 and version.stdout == [f"statusbot {__version__}\n"]
    assert importlib.metadata.version("statusbot") == __version__
    assert f"\n## [{__version__}] - " in (REPO / "CHANGELOG.md").read_text()


@pytest.fixture
def unreachable(tmp_path) -> Path:
    """A configuration whose one page is on a closed local port: every poll fails at once."""
    return one_page_config(tmp_path, f"http://127.0.0.1:{free_port()}/acme")


@pytest.mark.parametrize("args", [
    ("--log-format", "json", "run", "--once"),
    ("run", "--once", "--log-format", "json"),
    ("--log-format", "text", "run", "--log-format", "json", "--once"),  # the last one given wins
])
def test_global_options_go_before_or_after_the_command(unreachable, statusbot, args):
    bot = statusbot(*args, "--config", str(unreachable))
    assert bot.code == 1, "the page is unreachable"
    records = [json.loads(line) for line in bot.stderr]
    assert any(r["level"] == "ERROR" and "provider acme" in r["message"] for r in records)


@pytest.mark.parametrize("speed", ["0", "-1", "nan", "inf", "11", "fast"])
def test_demo_refuses_a_speed_it_cannot_play(speed, capsys):
    with pytest.raises(SystemExit) as done:
        main(["demo", "--speed", speed])
    assert done.value.code == 2
    assert "argument --speed" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "codes"), [
    (("check",), {1}), (("providers", "--notes"), {1}), (("status",), {1}),
    (("--help",), {0, 1}),  # 0 where argparse itself ignores a failed write of its help (3.11.7 does, 3.11.2 not)
])
def test_a_reader_that_leaves_early_gets_no_traceback(unreachable, args, codes):
    here = unreachable.parent
    if args == ("status",):  # a database to report on
        main(["run", "--once", "--config", str(unreachable)])
    read, write = os.pipe()
    os.close(read)  # the reader left before the first line, as `| head -0` would
    with os.fdopen(write, "wb") as stdout:
        done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=here, env=BotProcess(cwd=here).env,
                              stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.stderr == "" and done.returncode in codes


def test_send_test_to_a_missing_channel_says_what_would_add_it(statusbot):
    unset = {"SLACK_BOT_TOKEN": "", "SLACK_CHANNEL": "", "SLACK_WEBHOOK_URL": "", "DISCORD_WEBHOOK_URL": "",
             "TEAMS_WEBHOOK_URL": "", "GOOGLECHAT_WEBHOOK_URL": "", "MATTERMOST_WEBHOOK_URL": "",
             "WEBHOOK_URL": "", "WEBHOOK_SECRET": "", "STATUSBOT_CONFIG": ""}
    slack = statusbot("send-test", "slack", env=unset)
    assert slack.code == 2
    [line] = slack.stderr
    assert "no channel named 'slack'; configured: console" in line
    assert "set SLACK_BOT_TOKEN + SLACK_CHANNEL (in the environment or .env)" in line
    other = statusbot("send-test", "pager", env=unset)
    assert other.code == 2
    [line] = other.stderr
    assert ("the environment adds these channels: slack with SLACK_BOT_TOKEN + SLACK_CHANNEL, slack-webhook with "
            "SLACK_WEBHOOK_URL, discord with DISCORD_WEBHOOK_URL, teams with TEAMS_WEBHOOK_URL, googlechat with "
            "GOOGLECHAT_WEBHOOK_URL, mattermost with MATTERMOST_WEBHOOK_URL, webhook with WEBHOOK_URL "
            "(+ WEBHOOK_SECRET)") in line


def test_the_environment_adds_teams_google_chat_and_mattermost_channels(statusbot):
    env = {"STATUSBOT_CONFIG": "", "SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": "", "DISCORD_WEBHOOK_URL": "",
           "WEBHOOK_URL": "",
           "TEAMS_WEBHOOK_URL": "https://prod.example.com/workflows/0a1b/triggers/manual/paths/invoke?sv=1.0&sig=s1gs1g",
           "GOOGLECHAT_WEBHOOK_URL": "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k3yk3y&token=t0kt0k",
           "MATTERMOST_WEBHOOK_URL": "https://mattermost.example.com/hooks/h00kh00k"}
    check = statusbot("check", env=env)
    assert check.code == 0
    output = "".join(check.stdout + check.stderr)
    for name in ("teams", "googlechat", "mattermost"):
        assert f"channel {name}: type={name}" in output
    assert not any(secret in output for secret in ("s1gs1g", "k3yk3y", "t0kt0k", "h00kh00k"))
