"""`statusbot check` and the secrets of the configuration: values too short to be secrets, and
files holding secrets that group or others may read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.bot_process import BotProcess
from tests.fakes.status_page import PageScript, StatusPageServer

LITERAL_SECRET = "whsec_bGl0ZXJhbHNlY3JldGtleQ=="

PROVIDER = """
[[providers]]
name = "acme"
kind = "feed"
url = "https://status.example.com/feed.rss"
"""


def hook(name: str, secret: str) -> str:
    """A webhook channel; its URL, also a secret, comes from ${HOOK_URL} (set by `check`)."""
    return f'\n[[channels]]\nname = "{name}"\ntype = "webhook"\nurl = "${{HOOK_URL}}"\nsecret = "{secret}"\n'


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          env: dict[str, str] | None = None, *args: str) -> list[str]:
    """`statusbot check` in `tmp_path` (where .env is read from): its lines of output."""
    monkeypatch.chdir(tmp_path)
    for name, value in {"HOOK_URL": "https://hooks.example.com/in/h00k", **(env or {})}.items():
        monkeypatch.setenv(name, value)
    assert main(["check", *args]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out.splitlines()


def write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def warnings(lines: list[str]) -> list[str]:
    return [line.removeprefix("warning: ") for line in lines if line.startswith("warning: ")]


# ---------------------------------------------------------------- values too short to be secrets


def test_a_short_secret_is_hidden_and_named_as_no_secret(tmp_path, monkeypatch, capsys):
    text = """
[bot]
first_run = "${FIRST_RUN}"

[[providers]]
name = "acme"
kind = "feed"
url = "https://status.example.com/feed.rss?token=${FEED_TOKEN}"
""" + hook("hooks", "${HOOK_SECRET}") + hook("literal", "q5")
    config = write(tmp_path / "statusbot.toml", text, 0o600)
    env = {"FIRST_RUN": "all", "FEED_TOKEN": "x7z", "HOOK_SECRET": "k9"}
    lines = check(tmp_path, monkeypatch, capsys, env, "--config", str(config))
    shown = "\n".join(lines)
    assert "first_run=*** " in shown
    assert " url=https://status.example.com/*** " in shown
    assert shown.count(" secret=***") == 2
    for value in ("x7z", "k9", "q5"):
        assert value not in shown
    assert warnings(lines) == [
        f"{key}: the value is under 4 characters, too short to be a secret; logs do not mask it"
        for key in ("bot.first_run", "providers[0] (acme).url", "channels[0] (hooks).secret",
                    "channels[1] (literal).secret")
    ]


def test_a_short_secret_of_the_built_in_defaults_is_named_by_its_variable(tmp_path, monkeypatch, capsys):
    env = {"WEBHOOK_URL": "https://hooks.example.com/in", "WEBHOOK_SECRET": "abc"}
    lines = check(tmp_path, monkeypatch, capsys, env)
    assert " secret=***" in "\n".join(lines)
    assert warnings(lines) == ["WEBHOOK_SECRET: the value is under 4 characters, too short to be a secret; "
                               "logs do not mask it"]


# ---------------------------------------------------------------- files that let others read a secret


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o604, True), (0o600, False)])
def test_a_configuration_file_with_a_literal_secret_open_to_others(tmp_path, monkeypatch, capsys, mode, warned):
    config = write(tmp_path / "statusbot.toml", PROVIDER + hook("hooks", LITERAL_SECRET), mode)
    found = warnings(check(tmp_path, monkeypatch, capsys, None, "--config", str(config)))
    expected = (f"{config}: holds a secret (channels[0] (hooks).secret) and is open to group or others "
                f"(mode {mode:04o}): chmod 600 {config}")
    assert found == ([expected] if warned else [])


def test_a_configuration_file_of_variables_only_may_be_world_readable(tmp_path, monkeypatch, capsys):
    config = write(tmp_path / "statusbot.toml", PROVIDER + hook("hooks", "${HOOK_SECRET}"), 0o644)
    env = {"HOOK_SECRET": LITERAL_SECRET}
    assert warnings(check(tmp_path, monkeypatch, capsys, env, "--config", str(config))) == []


@pytest.mark.parametrize(("environment", "mode", "warned"), [
    ({}, 0o644, True),
    ({}, 0o600, False),
    ({"HOOK_SECRET": "whsec_ZnJvbXRoZWVudmlyb25tZW50"}, 0o644, False),  # the environment wins: .env's is unused
])
def test_a_dotenv_file_supplying_a_secret_open_to_others(tmp_path, monkeypatch, capsys, environment, mode, warned):
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    config = write(tmp_path / "statusbot.toml", PROVIDER + hook("hooks", "${HOOK_SECRET}"), 0o644)
    write(tmp_path / ".env", f"HOOK_SECRET={LITERAL_SECRET}\nUNUSED=x\n", mode)
    found = warnings(check(tmp_path, monkeypatch, capsys, environment, "--config", str(config)))
    expected = f".env: holds secrets (HOOK_SECRET) and is open to group or others (mode {mode:04o}): chmod 600 .env"
    assert found == ([expected] if warned else [])


def test_a_dotenv_file_of_the_built_in_defaults(tmp_path, monkeypatch, capsys):
    """Without a file the environment's channel variables are secrets; [bot] variables are not."""
    for name in ("WEBHOOK_URL", "STATUSBOT_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    write(tmp_path / ".env", "STATUSBOT_DATABASE=bot.db\n", 0o644)
    assert warnings(check(tmp_path, monkeypatch, capsys)) == []
    write(tmp_path / ".env", "STATUSBOT_DATABASE=bot.db\nWEBHOOK_URL=https://hooks.example.com/in/t0k3n\n", 0o644)
    assert warnings(check(tmp_path, monkeypatch, capsys)) == [
        ".env: holds secrets (WEBHOOK_URL) and is open to group or others (mode 0644): chmod 600 .env"
    ]


def test_run_logs_the_same_warning_when_it_starts(tmp_path):
    script = PageScript("Acme")
    with StatusPageServer() as pages:
        pages.publish("/acme", script)
        text = (f'[bot]\ndatabase = "{tmp_path / "state.db"}"\n'
                f'[[providers]]\nname = "acme"\nkind = "statuspage"\nurl = "{pages.url}/acme"\n'
                '[[channels]]\nname = "slack"\ntype = "slack"\ntoken = "xoxb-l1teral-t0ken"\nchannel = "#ops"\n'
                f'api_url = "{pages.url}/slack/"\nevents = ["incident"]\n')
        config = write(tmp_path / "statusbot.toml", text, 0o644)
        run = BotProcess("run", "--once", "--config", str(config), cwd=tmp_path)
        assert run.run() == 0
    logged = "".join(run.stderr)
    assert (f"WARNING | configuration: {config}: holds a secret (channels[0] (slack).token) and is open to group "
            f"or others (mode 0644): chmod 600 {config}") in logged
    assert "xoxb-l1teral-t0ken" not in logged


def test_the_pasted_document_warning_does_not_quote_a_url_from_a_variable(tmp_path, monkeypatch, capsys):
    text = ('[[providers]]\nname = "acme"\nkind = "statuspage"\n'
            'url = "https://status.example.com/${PAGE}/api/v2/summary.json"\n' + hook("hooks", "${HOOK_URL}"))
    config = write(tmp_path / "statusbot.toml", text, 0o600)
    found = warnings(check(tmp_path, monkeypatch, capsys, {"PAGE": "p4g3-t0ken"}, "--config", str(config)))
    assert found == ["providers[0] (acme).url: ends in /api/v2/summary.json, which kind statuspage adds itself; "
                     "reading https://status.example.com/***: write that instead"]
