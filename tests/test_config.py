"""bot.config: file discovery, .env, ${VAR} substitution, validation, defaults and redaction.

Stand-in formats, destinations and presets keep these tests independent of the real registries.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel, ConfigDict, HttpUrl, field_validator

from bot.config import BotSettings, Config, Impact, load_config
from bot.config_env import DEFAULTS_SOURCE, read_env
from bot.config_file import config_path
from bot.describe import describe
from bot.model import IMPACTS, ConfigError, Destination, EnvChannel, Format, Preset, Snapshot
from tests.bot_process import BotProcess
from tests.fakes.status_page import PageScript, StatusPageServer

# ---------------------------------------------------------------- stand-ins

SLACK_TOKEN = "xoxb-1111-2222-s3cr3tt0k3n"
SLACK_WEBHOOK = "https://hooks.slack.com/services/T000/B000/s3cr3tsl4ckh00k"
DISCORD_URL = "https://discord.com/api/webhooks/123456/d1sc0rdt0k3n"
HOOK_URL = "https://hooks.example.com/statusbot?key=h00kk3y"
HOOK_SECRET = "whsec_aG9va3NlY3JldGtleQ=="
SECRETS = (SLACK_TOKEN, SLACK_WEBHOOK, DISCORD_URL, HOOK_URL, HOOK_SECRET, "d1sc0rdt0k3n", "s3cr3t", "h00kk3y")
ENV = {
    "SLACK_BOT_TOKEN": SLACK_TOKEN,
    "SLACK_WEBHOOK_URL": SLACK_WEBHOOK,
    "DISCORD_WEBHOOK_URL": DISCORD_URL,
    "WEBHOOK_URL": HOOK_URL,
    "WEBHOOK_SECRET": HOOK_SECRET,
}


class ChatSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    token: str | None = None
    webhook_url: HttpUrl | None = None
    channel: str | None = None
    api_url: str | None = None


class DiscordSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    webhook_url: str

    @field_validator("webhook_url")
    @classmethod
    def _discord(cls, value: str) -> str:
        # Careless on purpose: the loader must keep this echo out of its messages.
        if not value.startswith("https://discord.com/api/webhooks/"):
            raise ValueError(f"{value} is not a Discord webhook URL")
        return value


class HookSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    url: HttpUrl
    secret: str | None = None


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _create(name, settings, client):
    raise AssertionError("the loader never builds notifiers")


def _parse(role: str, body: bytes, url: str) -> Snapshot:
    return Snapshot()


FORMATS = {kind: Format(kind, kind, kind, lambda url: [], _parse) for kind in ("statuspage", "incidentio", "feed")}
DESTINATIONS = {
    "console": Destination("console", ConsoleSettings, _create, from_env=(EnvChannel("console"),)),
    "slack": Destination("slack", ChatSettings, _create, ("token", "webhook_url"), from_env=(
        EnvChannel("slack", {"token": "SLACK_BOT_TOKEN", "channel": "SLACK_CHANNEL"}),
        EnvChannel("slack-webhook", {"webhook_url": "SLACK_WEBHOOK_URL"}),
    )),
    "discord": Destination("discord", DiscordSettings, _create, ("webhook_url",), from_env=(
        EnvChannel("discord", {"webhook_url": "DISCORD_WEBHOOK_URL"}),
    )),
    "webhook": Destination("webhook", HookSettings, _create, ("secret",), from_env=(
        EnvChannel("webhook", {"url": "WEBHOOK_URL", "secret": "WEBHOOK_SECRET"}, frozenset({"WEBHOOK_SECRET"})),
    )),
}
PRESETS = {
    "openai": Preset("openai", "OpenAI", "incidentio", "https://status.openai.com"),
    "github": Preset("github", "GitHub", "statuspage", "https://www.githubstatus.com"),
}

# The example of DESIGN.md, "Configuration".
EXAMPLE = """
[bot]
database = "statusbot.db"
interval = 60
first_run = "active"

[[providers]]
name = "openai"

[[providers]]
name = "acme"
kind = "statuspage"
url = "https://status.acme.com"
interval = 30
components = ["API", "Dashboard"]

[[channels]]
name = "ops-slack"
type = "slack"
token = "${SLACK_BOT_TOKEN}"
channel = "#incidents"
providers = ["openai", "acme"]
min_impact = "minor"
events = ["incident", "component", "maintenance"]

[[channels]]
name = "discord"
type = "discord"
webhook_url = "${DISCORD_WEBHOOK_URL}"

[[channels]]
name = "hooks"
type = "webhook"
url = "https://example.com/statusbot"
secret = "${WEBHOOK_SECRET}"

[[channels]]
name = "log"
type = "console"
"""

PROVIDER = '[[providers]]\nname = "github"\n'
CONSOLE = '[[channels]]\nname = "log"\ntype = "console"\n'


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None, destinations=DESTINATIONS) -> Config:
    path = tmp_path / "statusbot.toml"
    path.write_text(text)
    return load_config(path, ENV if env is None else env, FORMATS, destinations, PRESETS)


def defaults(env: dict[str, str], destinations=DESTINATIONS) -> Config:
    return load_config(None, env, FORMATS, destinations, PRESETS)


def one_line_error(call) -> str:
    with pytest.raises(ConfigError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    return message


def load_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    return one_line_error(lambda: load(tmp_path, text, env))


# ---------------------------------------------------------------- a valid file


def test_example_from_design(tmp_path):
    config = load(tmp_path, EXAMPLE)
    assert config.source == str(tmp_path / "statusbot.toml")
    assert config.bot == BotSettings()
    openai, acme = config.providers
    assert (openai.name, openai.title, openai.kind, openai.url, openai.interval) == (
        "openai", "OpenAI", "incidentio", "https://status.openai.com", 60.0
    )
    assert openai.components == ()
    assert (acme.title, acme.kind, acme.url, acme.interval, acme.components) == (
        "acme", "statuspage", "https://status.acme.com", 30.0, ("API", "Dashboard")
    )
    slack, discord, hooks, log = config.channels
    assert (slack.type, slack.providers, slack.min_impact) == ("slack", ("openai", "acme"), "minor")
    assert slack.settings == ChatSettings(token=SLACK_TOKEN, channel="#incidents")
    assert discord.settings == DiscordSettings(webhook_url=DISCORD_URL)
    assert str(hooks.settings.url) == "https://example.com/statusbot"
    assert (log.providers, log.min_impact, log.events, log.components, log.mention) == (
        (), "none", ("incident", "component", "maintenance"), (), None
    )
    assert config.secrets == {SLACK_TOKEN, DISCORD_URL, HOOK_SECRET}


def test_bot_settings_and_their_defaults(tmp_path):
    text = '[bot]\ndatabase = "/data/s.db"\ninterval = 0.5\nfirst_run = "none"\ntimeout = 5\nmax_body_bytes = 1000\n'
    config = load(tmp_path, text + PROVIDER + CONSOLE)
    assert config.bot == BotSettings(database="/data/s.db", interval=0.5, first_run="none", timeout=5, max_body_bytes=1000)
    assert config.providers[0].interval == 0.5
    assert BotSettings() == BotSettings(
        database="statusbot.db", interval=60, first_run="active", timeout=20, max_body_bytes=5_000_000
    )


def test_preset_overrides(tmp_path):
    text = """
[[providers]]
name = "github"
title = "GitHub (mirror)"
url = "http://127.0.0.1:8000/github/"
interval = 15
components = ["Actions"]
"""
    (github,) = load(tmp_path, text + CONSOLE).providers
    assert (github.title, github.kind, github.url, github.interval, github.components) == (
        "GitHub (mirror)", "statuspage", "http://127.0.0.1:8000/github/", 15.0, ("Actions",)
    )


def test_own_page_title_and_url_shapes(tmp_path):
    text = """
[[providers]]
name = "acme"
title = "Acme Cloud"
kind = "feed"
url = "https://acme.example/history.atom?lang=en"
"""
    (acme,) = load(tmp_path, text + CONSOLE).providers
    assert (acme.title, acme.kind, acme.url) == ("Acme Cloud", "feed", "https://acme.example/history.atom?lang=en")


def test_kind_makes_a_page_of_your_own_even_under_a_preset_name(tmp_path):
    text = '[[providers]]\nname = "github"\nkind = "feed"\nurl = "https://www.githubstatus.com/history.atom"\n'
    (github,) = load(tmp_path, text + CONSOLE).providers
    assert (github.title, github.kind, github.url) == ("github", "feed", "https://www.githubstatus.com/history.atom")


def test_channel_filters_and_mention(tmp_path):
    text = PROVIDER + """
[[channels]]
name = "pager"
type = "console"
providers = ["github"]
min_impact = "major"
events = ["incident"]
components = ["API"]
mention = "<!here>"
"""
    (pager,) = load(tmp_path, text).channels
    assert (pager.providers, pager.min_impact, pager.events, pager.components, pager.mention) == (
        ("github",), "major", ("incident",), ("API",), "<!here>"
    )
    assert pager.settings == ConsoleSettings()


def test_impact_levels_follow_the_model():
    assert get_args(Impact) == IMPACTS


# ---------------------------------------------------------------- ${VAR} substitution


def test_substitution_everywhere_and_every_value_it_puts_in_is_a_secret(tmp_path):
    text = """
[bot]
database = "${DATA}/statusbot.db"
interval = "${POLL}"

[[providers]]
name = "github"
url = "http://${HOST}/github"
components = ["${COMPONENT}", "Pages"]

[[channels]]
name = "hooks"
type = "webhook"
url = "https://${HOOK_HOST}/in"
secret = "${WEBHOOK_SECRET}"
mention = "${EMPTY}"
"""
    env = {"DATA": "/var/lib", "POLL": "45", "HOST": "127.0.0.1:9000", "COMPONENT": "API",
           "HOOK_HOST": "hooks.example.com", "WEBHOOK_SECRET": HOOK_SECRET, "EMPTY": ""}
    config = load(tmp_path, text, env)
    assert (config.bot.database, config.bot.interval) == ("/var/lib/statusbot.db", 45.0)
    (github,) = config.providers
    assert (github.url, github.components) == ("http://127.0.0.1:9000/github", ("API", "Pages"))
    (hooks,) = config.channels
    assert str(hooks.settings.url) == "https://hooks.example.com/in"
    assert hooks.mention == ""
    assert config.secrets == {"/var/lib", "45", "127.0.0.1:9000", "API", "hooks.example.com", HOOK_SECRET}
    assert config.bot_secret_keys == {"database", "interval"}
    # The provider's interval is [bot]'s, from ${POLL}: as secret as that.
    assert (github.secret_keys, hooks.secret_keys) == ({"url", "components", "interval"}, {"url", "secret"})


def test_text_that_is_not_a_variable_stays(tmp_path):
    text = '[bot]\ndatabase = "$HOME/${ not a var }/$${x"\n' + PROVIDER + CONSOLE
    assert load(tmp_path, text, {}).bot.database == "$HOME/${ not a var }/$${x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (EXAMPLE, "channels[0] (ops-slack).token: environment variable SLACK_BOT_TOKEN is not set"),
        ('[bot]\ndatabase = "${DB}"\n' + PROVIDER + CONSOLE, "bot.database: environment variable DB is not set"),
        (
            '[[providers]]\nname = "github"\ncomponents = ["API", "${PART}"]\n' + CONSOLE,
            "providers[0] (github).components[1]: environment variable PART is not set",
        ),
    ],
)
def test_missing_variable_names_the_key(tmp_path, text, expected):
    env = {k: v for k, v in ENV.items() if k != "SLACK_BOT_TOKEN"}
    assert load_error(tmp_path, text, env) == expected


# ---------------------------------------------------------------- errors: one line naming the key

ERRORS = [
    # (id, toml, expected start of the message)
    ("unknown table", "[bots]\ninterval = 5\n" + PROVIDER + CONSOLE, "bots: unknown key; did you mean 'bot'?"),
    ("bot typo", "[bot]\nintervall = 5\n" + PROVIDER + CONSOLE, "bot.intervall: unknown key; did you mean 'interval'?"),
    ("bot not a table", "bot = 5\n" + PROVIDER + CONSOLE, "bot: expected a table"),
    ("providers not an array", '[providers]\nname = "github"\n' + CONSOLE, "providers: expected an array of tables"),
    ("provider not a table", 'providers = ["github"]\n' + CONSOLE, "providers[0]: expected a table"),
    ("no providers", CONSOLE, "providers: none configured"),
    ("no channels", PROVIDER, "channels: none configured"),
    ("provider typo", PROVIDER + "intervl = 5\n" + CONSOLE, "providers[0] (github).intervl: unknown key; did you mean 'interval'?"),
    ("provider key far from any", PROVIDER + "colour = 5\n" + CONSOLE, "providers[0] (github).colour: unknown key; valid keys: components, interval, kind, name, title, url"),
    ("channel typo", PROVIDER + CONSOLE + 'min_impcat = "major"\n', "channels[0] (log).min_impcat: unknown key; did you mean 'min_impact'?"),
    (
        "destination key typo",
        PROVIDER + '[[channels]]\nname = "d"\ntype = "discord"\nwebhook = "${DISCORD_WEBHOOK_URL}"\n',
        "channels[0] (d).webhook: unknown key; did you mean 'webhook_url'?",
    ),
    (
        "another destination's key",
        PROVIDER + CONSOLE + 'token = "${SLACK_BOT_TOKEN}"\n',
        "channels[0] (log).token: unknown key; valid keys: components, digest_at, digest_every, events, group, hold,"
        " hold_incidents_below, mention, mention_min_impact, min_impact, mode, name, providers, quiet_drop_resolved,"
        " quiet_hours, quiet_min_impact, remind_every, timezone, type",
    ),
    (
        "unknown kind",
        '[[providers]]\nname = "acme"\nkind = "statuspag"\nurl = "https://status.acme.com"\n' + CONSOLE,
        "providers[0] (acme).kind: unknown kind 'statuspag'; did you mean 'statuspage'? known: auto, feed, incidentio, statuspage",
    ),
    (
        "unknown preset",
        '[[providers]]\nname = "githib"\n' + CONSOLE,
        "providers[0] (githib).name: unknown preset 'githib'; did you mean 'github'? known: github, openai",
    ),
    (
        "neither preset nor kind and url",
        '[[providers]]\nname = "acme"\n' + CONSOLE,
        "providers[0] (acme).name: unknown preset 'acme'; known: github, openai (or set url for a page of your own)",
    ),
    ("kind without url", '[[providers]]\nname = "acme"\nkind = "statuspage"\n' + CONSOLE, "providers[0] (acme).url: missing;"),
    ("no name", '[[providers]]\nkind = "statuspage"\nurl = "https://status.acme.com"\n' + CONSOLE, "providers[0].name: required key is missing"),
    ("empty name", '[[providers]]\nname = " "\n' + CONSOLE, "providers[0] ( ).name: String should have at least 1 character"),
    (
        "unknown channel type",
        PROVIDER + '[[channels]]\nname = "x"\ntype = "slak"\n',
        "channels[0] (x).type: unknown channel type 'slak'; did you mean 'slack'? known: console, discord, slack, webhook",
    ),
    ("no channel type", PROVIDER + '[[channels]]\nname = "x"\n', "channels[0] (x).type: missing; known types: console, discord, slack, webhook"),
    ("channel type not a string", PROVIDER + '[[channels]]\nname = "x"\ntype = ["console"]\n', "channels[0] (x).type: must be a string"),
    ("bot interval zero", "[bot]\ninterval = 0\n" + PROVIDER + CONSOLE, "bot.interval: Input should be greater than 0"),
    ("bot interval negative", "[bot]\ninterval = -5\n" + PROVIDER + CONSOLE, "bot.interval: Input should be greater than 0"),
    ("bot interval infinite", "[bot]\ninterval = inf\n" + PROVIDER + CONSOLE, "bot.interval: Input should be a finite number"),
    ("bot timeout zero", "[bot]\ntimeout = 0\n" + PROVIDER + CONSOLE, "bot.timeout: Input should be greater than 0"),
    ("bot max_body_bytes zero", "[bot]\nmax_body_bytes = 0\n" + PROVIDER + CONSOLE, "bot.max_body_bytes: Input should be greater than 0"),
    ("provider interval zero", PROVIDER + "interval = 0\n" + CONSOLE, "providers[0] (github).interval: Input should be greater than 0"),
    ("interval as a word", '[bot]\ninterval = "fast"\n' + PROVIDER + CONSOLE, "bot.interval: Input should be a valid number"),
    ("interval as a boolean", "[bot]\ninterval = true\n" + PROVIDER + CONSOLE, "bot.interval: must be a number, not a boolean"),
    ("database as a number", "[bot]\ndatabase = 5\n" + PROVIDER + CONSOLE, "bot.database: Input should be a valid string"),
    ("components as a string", PROVIDER + 'components = "API"\n' + CONSOLE, "providers[0] (github).components: Input should be a valid tuple"),
    ("component not a string", PROVIDER + 'components = ["API", 3]\n' + CONSOLE, "providers[0] (github).components[1]: Input should be a valid string"),
    ("first_run", '[bot]\nfirst_run = "some"\n' + PROVIDER + CONSOLE, "bot.first_run: Input should be 'active', 'all' or 'none'"),
    ("min_impact", PROVIDER + CONSOLE + 'min_impact = "high"\n', "channels[0] (log).min_impact: Input should be 'none', 'minor', 'major' or 'critical'"),
    ("events value", PROVIDER + CONSOLE + 'events = ["incident", "incidents"]\n', "channels[0] (log).events[1]: Input should be 'incident', 'component' or 'maintenance'"),
    ("events empty", PROVIDER + CONSOLE + "events = []\n", "channels[0] (log).events: Tuple should have at least 1 item"),
    ("mention type", PROVIDER + CONSOLE + "mention = 1\n", "channels[0] (log).mention: Input should be a valid string"),
    ("duplicate provider", PROVIDER + PROVIDER + CONSOLE, "providers[1] (github).name: duplicate provider name 'github' (also providers[0] (github))"),
    ("duplicate channel", PROVIDER + CONSOLE + CONSOLE, "channels[1] (log).name: duplicate channel name 'log' (also channels[0] (log))"),
    (
        "channel names an unknown provider",
        PROVIDER + CONSOLE + 'providers = ["github", "gthub"]\n',
        "channels[0] (log).providers[1]: unknown provider 'gthub'; did you mean 'github'? known: github",
    ),
    ("destination setting missing", PROVIDER + '[[channels]]\nname = "hooks"\ntype = "webhook"\n', "channels[0] (hooks).url: required key is missing"),
    (
        "destination rejects a url",
        PROVIDER + '[[channels]]\nname = "hooks"\ntype = "webhook"\nurl = "example.com/h00kk3y"\n',
        "channels[0] (hooks).url: Input should be a valid URL",
    ),
    (
        "destination validator message",
        PROVIDER + '[[channels]]\nname = "d"\ntype = "discord"\nwebhook_url = "https://discord.example/api/webhooks/1/d1sc0rdt0k3n"\n',
        "channels[0] (d).webhook_url: *** is not a Discord webhook URL",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error_names_the_key(tmp_path, text, expected):
    assert load_error(tmp_path, text).startswith(expected)


BAD_URLS = [
    "status.acme.com",
    "ftp://status.acme.com",
    "https://",
    "https:///path",
    "http://status.acme.com:99999",
    "https://status acme.com",
    "http://[::1",
    "",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_malformed_provider_url(tmp_path, url):
    text = f'[[providers]]\nname = "acme"\nkind = "statuspage"\nurl = "{url}?token=s3cr3t"\n' + CONSOLE
    message = load_error(tmp_path, text)
    assert message == "providers[0] (acme).url: not a valid http(s) URL with a host"


def test_malformed_preset_url_override(tmp_path):
    message = load_error(tmp_path, PROVIDER + 'url = "www.githubstatus.com"\n' + CONSOLE)
    assert message == "providers[0] (github).url: not a valid http(s) URL with a host"


def test_invalid_toml_says_the_line(tmp_path):
    message = load_error(tmp_path, PROVIDER + CONSOLE + "mention = \n")
    assert message.startswith(f"{tmp_path / 'statusbot.toml'}: invalid TOML: ")
    assert "line 6" in message


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "statusbot.toml"
    path.write_bytes(b'[bot]\ndatabase = "\xff"\n')
    message = one_line_error(lambda: load_config(path, {}, FORMATS, DESTINATIONS, PRESETS))
    assert message.startswith(f"{path}: not UTF-8 text")


def test_unreadable_file(tmp_path):
    message = one_line_error(lambda: load_config(tmp_path, {}, FORMATS, DESTINATIONS, PRESETS))
    assert message.startswith(f"{tmp_path}: cannot read: ")


# ---------------------------------------------------------------- no secret in any error

LEAKY = [
    PROVIDER + '[[channels]]\nname = "d"\ntype = "discord"\nwebhook_url = "${LEAKY_URL}"\n',
    PROVIDER + '[[channels]]\nname = "d"\ntype = "discord"\nwebhook_url = "https://evil.example/api/webhooks/1/d1sc0rdt0k3n"\n',
    PROVIDER + '[[channels]]\nname = "s"\ntype = "slack"\nwebhook_url = "x${SLACK_WEBHOOK_URL}"\n',
    PROVIDER + '[[channels]]\nname = "s"\ntype = "slack"\ntoken = "${SLACK_BOT_TOKEN}"\nmin_impact = "${SLACK_BOT_TOKEN}"\n',
    PROVIDER + '[[channels]]\nname = "s"\ntype = "slack"\ntoken = "${SLACK_BOT_TOKEN}"\nproviders = ["${SLACK_BOT_TOKEN}"]\n',
    PROVIDER + '[[channels]]\nname = "s"\ntype = "${SLACK_BOT_TOKEN}"\n',
    PROVIDER + '[[channels]]\nname = "${SLACK_BOT_TOKEN}"\ntype = "console"\n' + '[[channels]]\nname = "${SLACK_BOT_TOKEN}"\ntype = "console"\n',
    PROVIDER + '[[channels]]\nname = "h"\ntype = "webhook"\nurl = "${WEBHOOK_URL}"\nsecret = 5\n',
    PROVIDER + '[[channels]]\nname = "h"\ntype = "webhook"\nurl = "${WEBHOOK_URL}"\nsecret = "${WEBHOOK_SECRET}"\nextra = 1\n',
    PROVIDER + '[[channels]]\nname = "h"\ntype = "webhook"\nurl = "ftp://hooks.example.com/h00kk3y"\n',
    '[[providers]]\nname = "acme"\nkind = "feed"\nurl = "htp://feeds.example/s3cr3t"\n' + CONSOLE,
]


@pytest.mark.parametrize("text", LEAKY)
def test_errors_never_show_secrets_or_urls(tmp_path, text):
    env = {**ENV, "LEAKY_URL": "https://evil.example/api/webhooks/1/d1sc0rdt0k3n"}
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, env)
    # The whole traceback, as a crash report would print it, not only the message.
    shown = "".join(traceback.format_exception(info.value))
    assert "\n" not in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None
    for secret in (*SECRETS, "evil.example", "feeds.example", "://"):
        assert secret not in shown


def test_default_channel_errors_never_show_secrets():
    message = one_line_error(lambda: defaults({"DISCORD_WEBHOOK_URL": "https://evil.example/d1sc0rdt0k3n"}))
    assert message == "DISCORD_WEBHOOK_URL: *** is not a Discord webhook URL"


# ---------------------------------------------------------------- built-in defaults


def test_defaults_without_environment():
    config = defaults({})
    assert config.source == DEFAULTS_SOURCE
    assert config.bot == BotSettings()
    assert [(p.name, p.title, p.kind, p.url, p.interval) for p in config.providers] == [
        ("openai", "OpenAI", "incidentio", "https://status.openai.com", 60.0)
    ]
    assert [(c.name, c.type) for c in config.channels] == [("console", "console")]
    assert config.secrets == frozenset()


def test_defaults_from_environment():
    env = {
        **ENV,
        "SLACK_CHANNEL": "#ops",
        "STATUSBOT_PROVIDERS": " openai, github,,openai ",
        "STATUSBOT_DATABASE": "/data/bot.db",
        "STATUSBOT_INTERVAL": "30",
        "STATUSBOT_FIRST_RUN": "all",
    }
    config = defaults(env)
    assert config.bot == BotSettings(database="/data/bot.db", interval=30, first_run="all")
    assert [(p.name, p.interval) for p in config.providers] == [("openai", 30.0), ("github", 30.0)]
    assert [(c.name, c.type) for c in config.channels] == [
        ("console", "console"), ("slack", "slack"), ("slack-webhook", "slack"), ("discord", "discord"), ("webhook", "webhook"),
    ]
    _, slack, slack_hook, discord, hook = config.channels
    assert slack.settings == ChatSettings(token=SLACK_TOKEN, channel="#ops")
    assert str(slack_hook.settings.webhook_url) == SLACK_WEBHOOK
    assert discord.settings.webhook_url == DISCORD_URL
    assert (str(hook.settings.url), hook.settings.secret) == (HOOK_URL, HOOK_SECRET)
    assert config.secrets >= {SLACK_TOKEN, "#ops", SLACK_WEBHOOK, DISCORD_URL, HOOK_URL, HOOK_SECRET}


def test_defaults_only_for_registered_destinations_and_set_variables():
    registered = {k: v for k, v in DESTINATIONS.items() if k in ("console", "webhook")}
    env = {**ENV, "WEBHOOK_SECRET": "", "SLACK_CHANNEL": "#ops"}
    config = defaults(env, registered)
    assert [c.name for c in config.channels] == ["console", "webhook"]
    assert config.channels[1].settings.secret is None


def test_empty_variables_count_as_unset():
    config = defaults({"STATUSBOT_PROVIDERS": "", "STATUSBOT_INTERVAL": "", "DISCORD_WEBHOOK_URL": ""})
    assert [p.name for p in config.providers] == ["openai"]
    assert config.bot.interval == 60
    assert [c.name for c in config.channels] == ["console"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"STATUSBOT_PROVIDERS": "openai,zoom"}, "STATUSBOT_PROVIDERS: unknown preset 'zoom'; known: github, openai"),
        ({"STATUSBOT_PROVIDERS": "githb"}, "STATUSBOT_PROVIDERS: unknown preset 'githb'; did you mean 'github'?"),
        ({"STATUSBOT_INTERVAL": "fast"}, "STATUSBOT_INTERVAL: Input should be a valid number"),
        ({"STATUSBOT_INTERVAL": "0"}, "STATUSBOT_INTERVAL: Input should be greater than 0"),
        ({"STATUSBOT_FIRST_RUN": "every"}, "STATUSBOT_FIRST_RUN: Input should be 'active', 'all' or 'none'"),
        ({"SLACK_BOT_TOKEN": SLACK_TOKEN}, "SLACK_CHANNEL: not set (needed with SLACK_BOT_TOKEN)"),
        ({"SLACK_WEBHOOK_URL": "not a url"}, "SLACK_WEBHOOK_URL: Input should be a valid URL"),
        ({"WEBHOOK_URL": "ftp://x/h00kk3y"}, "WEBHOOK_URL: URL scheme should be 'http' or 'https'"),
    ],
)
def test_default_errors_name_the_variable(env, expected):
    assert one_line_error(lambda: defaults(env)).startswith(expected)


# ---------------------------------------------------------------- finding the file and the environment


def test_config_path_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("cli.toml", "env.toml"):
        (tmp_path / name).write_text("")
    env = {"STATUSBOT_CONFIG": "env.toml"}
    assert config_path(None, {}) is None
    (tmp_path / "statusbot.toml").write_text("")
    assert config_path(None, {}) == Path("statusbot.toml")
    assert config_path(None, env) == Path("env.toml")
    assert config_path("cli.toml", env) == Path("cli.toml")
    assert config_path(None, {"STATUSBOT_CONFIG": ""}) == Path("statusbot.toml")


@pytest.mark.parametrize(
    ("cli", "env", "expected"),
    [
        ("missing.toml", {}, "--config: file not found: missing.toml"),
        ("missing.toml", {"STATUSBOT_CONFIG": "statusbot.toml"}, "--config: file not found: missing.toml"),
        (None, {"STATUSBOT_CONFIG": "gone.toml"}, "STATUSBOT_CONFIG: file not found: gone.toml"),
        (".", {}, "--config: not a file: ."),
    ],
)
def test_named_file_must_exist(tmp_path, monkeypatch, cli, env, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "statusbot.toml").write_text("")
    assert one_line_error(lambda: config_path(cli, env)) == expected


def test_read_env_overlays_the_environment_on_dotenv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SB_FILE_ONLY=from-file\nSB_BOTH=from-file\nSB_NO_VALUE\n# comment\n")
    monkeypatch.setenv("SB_BOTH", "from-env")
    monkeypatch.delenv("SB_FILE_ONLY", raising=False)
    env = read_env()
    assert env["SB_FILE_ONLY"] == "from-file"
    assert env["SB_BOTH"] == "from-env"
    assert "SB_NO_VALUE" not in env


def test_read_env_without_dotenv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SB_ONLY_ENV", "1")
    assert read_env()["SB_ONLY_ENV"] == "1"
    assert read_env(tmp_path / "absent.env")["SB_ONLY_ENV"] == "1"


def test_dotenv_values_feed_substitution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={SLACK_TOKEN}\n")
    text = PROVIDER + '[[channels]]\nname = "s"\ntype = "slack"\ntoken = "${SLACK_BOT_TOKEN}"\n'
    config = load(tmp_path, text, read_env())
    assert config.channels[0].settings.token == SLACK_TOKEN
    assert SLACK_TOKEN in config.secrets


# ---------------------------------------------------------------- describe


def test_describe_redacts_secrets(tmp_path):
    text = EXAMPLE + """
[[channels]]
name = "slack-hook"
type = "slack"
webhook_url = "${SLACK_WEBHOOK_URL}"
api_url = "http://127.0.0.1:9000/api/"
"""
    shown = describe(load(tmp_path, text))
    lines = shown.splitlines()
    assert lines[0] == f"source: {tmp_path / 'statusbot.toml'}"
    assert lines[1] == "database: statusbot.db"
    assert "provider acme: title=acme kind=statuspage url=https://status.acme.com interval=30s components=API,Dashboard" in lines
    assert (
        "channel ops-slack: type=slack providers=openai,acme min_impact=minor events=incident,component,maintenance"
        " components=all mention=- token=*** channel=#incidents" in lines
    )
    assert any(line.startswith("channel discord: ") and line.endswith(" webhook_url=https://discord.com/***") for line in lines)
    assert any(line.endswith(" url=https://example.com/statusbot secret=***") for line in lines)
    assert any(line.endswith(" webhook_url=https://hooks.slack.com/*** api_url=http://127.0.0.1:9000/api/") for line in lines)
    for secret in SECRETS:
        assert secret not in shown


def test_describe_defaults_redacts_every_value_from_the_environment():
    shown = describe(defaults({**ENV, "SLACK_CHANNEL": "#ops-private"}))
    assert shown.splitlines()[:3] == [
        "source: built-in defaults",
        "database: statusbot.db",
        "bot: interval=60s first_run=active timeout=20s max_body_bytes=5000000 lock_timeout=10s http=off http_token=unset max_events_per_poll=25 max_incidents=500 max_components=1000 max_updates=100",
    ]
    assert "url=https://hooks.example.com/*** secret=***" in shown
    for secret in (*SECRETS, "#ops-private"):
        assert secret not in shown


def test_describe_hides_a_secret_host(tmp_path):
    text = PROVIDER + '[[channels]]\nname = "h"\ntype = "webhook"\nurl = "https://${HOOK_HOST}/in"\n'
    shown = describe(load(tmp_path, text, {"HOOK_HOST": "internal-h00k-host"}))
    assert "url=***" in shown
    assert "internal-h00k-host" not in shown


def test_describe_hides_a_short_secret_only_where_it_was_given(tmp_path):
    """A value too short to search for is hidden under its own key, not wherever it appears."""
    text = PROVIDER + '[[channels]]\nname = "ops-slack"\ntype = "slack"\ntoken = "${SLACK_BOT_TOKEN}"\nchannel = "${C}"\n'
    config = load(tmp_path, text, {"SLACK_BOT_TOKEN": SLACK_TOKEN, "C": "ops"})
    assert "ops" in config.secrets
    shown = describe(config)
    assert "channel ops-slack: " in shown and " channel=*** " in f"{shown} "


# ---------------------------------------------------------------- settings that do nothing are warned about


def test_a_complete_configuration_has_no_warnings(tmp_path):
    assert defaults({**ENV, "SLACK_CHANNEL": "#ops"}).warnings == ()
    assert load(tmp_path, PROVIDER + CONSOLE, env={}).warnings == ()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLACK_CHANNEL": "#ops"}, "SLACK_CHANNEL: ignored: the channel slack is added only when SLACK_BOT_TOKEN is set"),
        ({"WEBHOOK_SECRET": HOOK_SECRET}, "WEBHOOK_SECRET: ignored: the channel webhook is added only when WEBHOOK_URL is set"),
    ],
)
def test_a_destination_variable_without_the_one_that_adds_the_channel(env, expected):
    config = defaults({**env, "SLACK_BOT_TOKEN": "", "WEBHOOK_URL": ""})
    assert config.warnings == (expected,)
    assert [c.name for c in config.channels] == ["console"]


def test_variables_only_the_defaults_read_are_ignored_beside_a_file(tmp_path):
    env = {**ENV, "STATUSBOT_PROVIDERS": "openai", "DISCORD_WEBHOOK_URL": "", "SLACK_CHANNEL": "#ops",
           "STATUSBOT_DATABASE": "/data/statusbot.db"}  # as the Docker image sets it: no warning
    config = load(tmp_path, EXAMPLE.replace("${DISCORD_WEBHOOK_URL}", DISCORD_URL), env)
    # The example names SLACK_BOT_TOKEN and WEBHOOK_SECRET; an empty variable is unset.
    assert config.warnings == tuple(
        f"{var}: ignored: a configuration file is used, and it does not name ${{{var}}}"
        for var in ("STATUSBOT_PROVIDERS", "SLACK_CHANNEL", "SLACK_WEBHOOK_URL", "WEBHOOK_URL")
    )
    assert not any(secret in warning for warning in config.warnings for secret in SECRETS)


def test_a_mention_level_without_a_mention(tmp_path):
    text = PROVIDER + CONSOLE + 'mention_min_impact = "minor"\n'
    assert load(tmp_path, text, env={}).warnings == (
        "channels[0] (log).mention_min_impact: ignored: the channel sets no mention",
    )
    assert load(tmp_path, text + 'mention = "<!here>"\n', env={}).warnings == ()


# ---------------------------------------------------------------- a pasted document URL, with the real formats


def load_page(tmp_path: Path, kind: str, url: str) -> Config:
    from providers import FORMATS as REAL_FORMATS

    path = tmp_path / "statusbot.toml"
    path.write_text(f'[[providers]]\nname = "acme"\nkind = "{kind}"\nurl = "{url}"\n' + CONSOLE)
    return load_config(path, {}, REAL_FORMATS, DESTINATIONS, PRESETS)


@pytest.mark.parametrize(
    ("kind", "url", "base", "document"),
    [
        ("statuspage", "https://status.acme.com/api/v2/summary.json", "https://status.acme.com", "/api/v2/summary.json"),
        ("statuspage", "https://status.acme.com/api/v2/incidents.json/", "https://status.acme.com", "/api/v2/incidents.json"),
        ("incidentio", "https://status.acme.com/api/v2/summary.json", "https://status.acme.com", "/api/v2/summary.json"),
        ("slack", "https://slack-status.com/api/v2.0.0/current", "https://slack-status.com", "/api/v2.0.0/current"),
        ("gcp", "https://status.cloud.google.com/incidents.json", "https://status.cloud.google.com", "/incidents.json"),
        ("statuspage", "http://127.0.0.1:8000/acme/api/v2/summary.json?x=1", "http://127.0.0.1:8000/acme", "/api/v2/summary.json"),
    ],
)
def test_a_pasted_document_url_is_read_as_its_page(tmp_path, kind, url, base, document):
    config = load_page(tmp_path, kind, url)
    assert config.providers[0].url == base
    assert config.warnings == (
        f"providers[0] (acme).url: ends in {document}, which kind {kind} adds itself; reading {base}: write that instead",
    )


def test_the_warning_about_a_pasted_url_shows_no_password(tmp_path):
    config = load_page(tmp_path, "statuspage", "https://bot:pa55word@status.acme.com/api/v2/summary.json")
    assert config.providers[0].url == "https://bot:pa55word@status.acme.com"
    assert "pa55word" not in config.warnings[0] and "reading https://status.acme.com:" in config.warnings[0]


@pytest.mark.parametrize(
    ("kind", "url", "expected"),
    [
        ("gcp", "https://status.acme.com/api/v2/summary.json",
         "ends in /api/v2/summary.json, a document of kind incidentio or statuspage, not gcp"),
        ("feed", "https://status.acme.com/api/v2/incidents.json",
         "ends in /api/v2/incidents.json, a document of kind incidentio or statuspage, not feed"),
        ("statuspage", "https://status.cloud.google.com/incidents.json",
         "ends in /incidents.json, a document of kind gcp, not statuspage"),
    ],
)
def test_a_document_of_another_kind_is_rejected_with_the_fix(tmp_path, kind, url, expected):
    message = one_line_error(lambda: load_page(tmp_path, kind, url))
    assert message.startswith(f"providers[0] (acme).url: {expected}: ")
    assert message.endswith("set that kind, and url to the page's base URL (without the document's path)")


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("statuspage", "https://status.acme.com"),
        ("statuspage", "http://127.0.0.1:8000/acme/"),
        ("feed", "https://www.githubstatus.com/history.atom"),
        ("gcp", "https://status.cloud.google.com"),
    ],
)
def test_a_base_url_is_kept_as_written(tmp_path, kind, url):
    config = load_page(tmp_path, kind, url)
    assert (config.providers[0].url, config.warnings) == (url, ())


def test_check_prints_and_run_logs_the_warnings(tmp_path):
    script = PageScript("Acme")
    script.open_incident("i1", "API down", "Investigating")
    with StatusPageServer() as pages:
        pages.publish("/acme", script)
        config = tmp_path / "statusbot.toml"
        config.write_text(f"""
[bot]
database = "{tmp_path / 'state.db'}"
first_run = "all"

[[providers]]
name = "acme"
kind = "statuspage"
url = "{pages.url}/acme/api/v2/summary.json"
""" + CONSOLE)
        check = BotProcess("check", "--config", str(config), cwd=tmp_path)
        assert check.run() == 0
        run = BotProcess("run", "--once", "--config", str(config), cwd=tmp_path)
        assert run.run() == 0
    warning = (f"providers[0] (acme).url: ends in /api/v2/summary.json, which kind statuspage adds itself; "
               f"reading {pages.url}/acme: write that instead")
    assert check.stdout[-2:] == [f"warning: {warning}\n", "configuration OK\n"]
    assert f"provider acme: title=acme kind=statuspage url={pages.url}/acme " in "".join(check.stdout)
    assert any(f"| WARNING | configuration: {warning}" in line for line in run.stderr)
    assert any("API down" in line for line in run.stdout), "the page was read at its base URL"


# ---------------------------------------------------------------- [bot] http_token

HTTP_TOKEN = "board-token-0123456789abcdef"


def test_an_http_token_is_a_secret_from_a_file_or_the_environment(tmp_path):
    from_file = load(tmp_path, f'[bot]\nhttp = "127.0.0.1:9108"\nhttp_token = "{HTTP_TOKEN}"\n' + PROVIDER + CONSOLE, {})
    from_env = defaults({"STATUSBOT_HTTP": "127.0.0.1:9108", "STATUSBOT_HTTP_TOKEN": HTTP_TOKEN})
    for config in (from_file, from_env):
        assert config.bot.http_token == HTTP_TOKEN
        assert HTTP_TOKEN in config.secrets
        assert HTTP_TOKEN not in describe(config)
        assert " http_token=*** " in describe(config)
        assert not config.warnings


@pytest.mark.parametrize("token", ["too-short-token", "has a space in it, long", "quote\"and-long-enough", "é" * 20])
def test_a_weak_or_malformed_http_token_is_one_line_naming_the_key_without_the_value(tmp_path, token):
    error = load_error(tmp_path, f'[bot]\nhttp = "127.0.0.1:9108"\nhttp_token = {json.dumps(token)}\n' + PROVIDER + CONSOLE, {})
    assert error.startswith("bot.http_token: must be at least 16 characters")
    assert token not in error


def test_an_http_token_without_an_endpoint_is_a_warning_naming_the_key(tmp_path):
    config = load(tmp_path, f'[bot]\nhttp_token = "{HTTP_TOKEN}"\n' + PROVIDER + CONSOLE, {})
    assert config.warnings == ("bot.http_token: ignored: [bot] http is not set, so nothing is served",)
    env = defaults({"STATUSBOT_HTTP_TOKEN": HTTP_TOKEN})
    assert env.warnings == ("STATUSBOT_HTTP_TOKEN: ignored: [bot] http is not set, so nothing is served",)
