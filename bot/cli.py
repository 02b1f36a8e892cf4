"""Command line: `statusbot run | check | add | providers` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from bot import __version__, root
from bot.config import ChannelConfig, Config
from bot.config_env import DEFAULTS_SOURCE, open_secret_files
from bot.database import is_postgres
from bot.demo import DURATION, MAX_SPEED, run_demo
from bot.describe import describe
from bot.discovery import Discovery, discover
from bot.fetch import Fetcher
from bot.logs import REDACTOR, setup_logging
from bot.model import AUTO_KIND, ConfigError, DeliveryError, EnvChannel, FetchError, ParseError, Preset, StatusbotError
from bot.redaction import scrub
from bot.sample import find_channel, send_sample
from bot.status import render_status
from bot.store_base import DatabaseUnavailable, StateError
from bot.store_open import open_store
from bot.text import one_line
from bot.urls import http_url, redacted

log = logging.getLogger("statusbot")

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _dispatch(argv)
        finally:
            sys.stdout.flush()  # a reader that left (`statusbot check | head -1`) shows here
    except BrokenPipeError:
        # No traceback, and none from Python's own flush at exit: stdout goes nowhere from now.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


def _dispatch(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        return args.command(args)
    except ConfigError as exc:
        print(f"statusbot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StatusbotError as exc:
        log.error("%s", exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK


def _load(args: argparse.Namespace) -> Config:
    """The configuration, its secrets handed to the log masker before anything is logged."""
    config = root.load(args.config)
    REDACTOR.add(config.secrets)
    return config


def _warnings(config: Config) -> list[str]:
    """The configuration's warnings, and those about files that let others read its secrets."""
    config_file = None if config.source == DEFAULTS_SOURCE else Path(config.source)
    return [*config.warnings, *open_secret_files(config_file, config.literal_secrets, config.secrets)]


def _run(args: argparse.Namespace) -> int:
    config = _load(args)
    for warning in _warnings(config):
        log.warning("configuration: %s", warning)
    # asyncio's own loop: uvloop no longer pays with aiohttp (bench/README.md: -9% to +4% per poll).
    return asyncio.run(root.service(config).run(once=args.once))


def _check(args: argparse.Namespace) -> int:
    config = _load(args)
    print(describe(config))
    for warning in _warnings(config):
        print(f"warning: {warning}")
    print("configuration OK")
    return EXIT_OK


def _send_test(args: argparse.Namespace) -> int:
    config = _load(args)
    channel = _find_channel(config, args.channel)
    try:
        asyncio.run(send_sample(channel, root.DESTINATIONS, root.delivery_client()))
    except DeliveryError as exc:
        print(f"statusbot: sample message NOT delivered: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"sample message delivered to channel {channel.name} ({channel.type})")
    return EXIT_OK


def _find_channel(config: Config, name: str) -> ChannelConfig:
    try:
        return find_channel(config, name)
    except ConfigError as exc:
        raise ConfigError(f"{exc}; {_how_to_add(config, name)}") from None


def _how_to_add(config: Config, name: str) -> str:
    """What to set to get channel `name`: the environment's variables when the configuration is the
    built-in defaults (as each destination declares them), else a table in the file."""
    if config.source != DEFAULTS_SOURCE:
        return f'add a [[channels]] table with name = "{name}" to {config.source}'
    from_env = {spec.name: spec for d in root.DESTINATIONS.values() for spec in d.from_env if spec.trigger}
    if name in from_env:
        return f"to add it, set {_variables(from_env[name])} (in the environment or .env)"
    offered = ", ".join(f"{spec.name} with {_variables(spec)}" for spec in from_env.values())
    return f"the environment adds these channels: {offered}; any other needs a configuration file"


def _variables(spec: EnvChannel) -> str:
    """'SLACK_BOT_TOKEN + SLACK_CHANNEL', 'WEBHOOK_URL (+ WEBHOOK_SECRET)'."""
    required = [var for var in spec.variables.values() if var not in spec.optional]
    optional = [f"(+ {var})" for var in spec.variables.values() if var in spec.optional]
    return " ".join([" + ".join(required), *optional])


_NOTE_MARK = "*"  # after a preset's name in `statusbot providers`: the preset has a note


def _status(args: argparse.Namespace) -> int:
    config = _load(args)
    database = config.bot.database
    # Opening a SQLite file that is not there would create it: say instead that nothing ran here.
    if not is_postgres(database) and not Path(database).exists():
        print(f"statusbot: no database at {database}: statusbot has not run here yet", file=sys.stderr)
        return EXIT_ERROR

    async def report() -> str:
        store = await open_store(config.bot, config.secrets)
        try:
            return await render_status(config, store)
        finally:
            await store.close()

    try:
        text = asyncio.run(report())
    except (DatabaseUnavailable, StateError) as exc:
        # The store names the database without its password; the masking is a second guard.
        print(f"statusbot: {scrub(str(exc), config.secrets)}", file=sys.stderr)
        return EXIT_ERROR
    # Stored errors are kept without secrets; a database from an older statusbot may hold some.
    print(scrub(text, config.secrets))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    print(f"statusbot demo: a local status page plays one incident in about {DURATION / args.speed:.0f} seconds;")
    print("the real pipeline (fetch, detect, SQLite outbox, delivery) prints each change below.", flush=True)
    return asyncio.run(run_demo(root.service, root.DESTINATIONS, args.speed))


def _providers(args: argparse.Namespace) -> int:
    texts = [text for text in (args.text, args.search) if text]
    presets = _matching_presets(root.PRESETS.values(), args.kind, texts)
    if not presets:
        print("no preset matches")
        return EXIT_OK
    print("\n".join(_preset_table(presets, args.notes, args.sources)))
    return EXIT_OK


def _matching_presets(presets: Iterable[Preset], kind: str | None, texts: Sequence[str]) -> list[Preset]:
    """The presets of `kind` (any kind when None) whose name, title or URL contains every text,
    ignoring case; by name."""
    wanted = [text.casefold() for text in texts]

    def matches(preset: Preset) -> bool:
        haystack = f"{preset.name}\n{preset.title}\n{preset.url}".casefold()
        return (kind is None or preset.kind == kind) and all(text in haystack for text in wanted)

    return sorted(filter(matches, presets), key=lambda preset: preset.name)


def _preset_table(presets: Sequence[Preset], notes: bool, sources: bool) -> list[str]:
    """name, kind, how it was confirmed and URL, one preset a line; its note and its evidence's
    source, when asked for, on the lines below it."""
    names = [preset.name + (f" {_NOTE_MARK}" if preset.note else "") for preset in presets]
    confirmed = [_confirmed(preset) for preset in presets]
    name_width = max(len(name) for name in [*names, "name"])
    kind_width = max(len(kind) for kind in [*(preset.kind for preset in presets), "kind"])
    by_width = max(len(by) for by in [*confirmed, _CONFIRMED])
    lines = [f"{'name':<{name_width}}  {'kind':<{kind_width}}  {_CONFIRMED:<{by_width}}  url"]
    for name, by, preset in zip(names, confirmed, presets, strict=True):
        lines.append(f"{name:<{name_width}}  {preset.kind:<{kind_width}}  {by:<{by_width}}  {preset.url}")
        if notes and preset.note:
            lines.append(f"{'':<{name_width}}  note: {preset.note}")
        if sources and preset.evidence is not None:
            lines.append(f"{'':<{name_width}}  source: {preset.evidence.source}")
    if any(preset.note for preset in presets):
        hint = "" if notes else ": --notes shows it"
        lines.append(f"{_NOTE_MARK} has a note (a platform or address to check, or a caveat){hint}")
    return lines


_CONFIRMED = "confirmed"  # the column saying how each preset's platform and address were confirmed


def _confirmed(preset: Preset) -> str:
    """capture, config, customers or docs; "detect" for a page detected at its first poll; "-" unconfirmed."""
    if preset.evidence is not None:
        return preset.evidence.by
    return "detect" if preset.kind == AUTO_KIND else "-"


# ---------------------------------------------------------------- add


def _add(args: argparse.Namespace) -> int:
    address = args.url.strip()
    if "://" not in address:  # a bare host, as status pages are written: https is the default
        address = f"https://{address}"
    if http_url(address) is None:
        print(f"statusbot: not a valid http(s) URL: {_typed(args.url)}", file=sys.stderr)
        return EXIT_CONFIG
    name = args.name.strip() if args.name is not None else page_name(address)
    if not name:
        print("statusbot: --name is empty", file=sys.stderr)
        return EXIT_CONFIG

    async def detect() -> Discovery:
        fetcher = Fetcher()
        try:
            return await discover(address, fetcher, root.FORMATS)
        finally:
            await fetcher.aclose()

    try:
        found = asyncio.run(detect())
    except FetchError as exc:
        print(f"statusbot: cannot reach the page: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ParseError as exc:
        print(f"statusbot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"# detected: {found.account}")
    preset = _preset_of(found.kind, found.url, root.PRESETS)
    if preset is not None:
        print(f'# the catalog\'s preset "{preset.name}" is this page: name = "{preset.name}" alone is enough')
    print("[[providers]]")
    for key, value in (("name", name), ("kind", found.kind), ("url", found.url)):
        print(f"{key} = {json.dumps(value)}")  # a JSON string is a TOML basic string
    return EXIT_OK


def _preset_of(kind: str, url: str, presets: Mapping[str, Preset]) -> Preset | None:
    """The catalog's preset of the page of `kind` at `url`, if it has one."""
    return next((p for p in presets.values() if (p.kind, p.url.rstrip("/")) == (kind, url.rstrip("/"))), None)


# Host labels that name no service: "status.acme.com" is acme's, "www.stripestatus.com" stripe's.
_GENERIC_LABELS = frozenset({"www", "status", "statuspage", "app"})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})  # status.acme.co.uk


def page_name(address: str) -> str:
    """A provider name for the page at `address`, from its host: "status.acme.com" -> "acme".
    A local address (an IP, localhost) is named by its path's last segment, else "status"."""
    parts = http_url(address)
    host = (parts.hostname or "") if parts else ""
    try:
        ipaddress.ip_address(host)
        local = True
    except ValueError:
        local = host == "localhost"
    if local:
        word = (parts.path.rstrip("/").rsplit("/", 1)[-1] if parts else "")
    else:
        labels = [label for label in host.split(".") if label not in _GENERIC_LABELS][:-1]  # no TLD
        while len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
            labels.pop()
        word = labels[-1].removesuffix("status").removesuffix("-") if labels else ""
    return re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-") or "status"


def _typed(text: str) -> str:
    """What was typed, fit for one line and without a password or query values when it parses."""
    shown = redacted(text)
    return shown if shown != "(not a valid URL)" else repr(one_line(text)[:200])


def _migrate(args: argparse.Namespace) -> int:
    from bot.migrate import copied, migrate_configured  # loads psycopg: the postgres extra, only for this command

    config = _load(args)
    counts = asyncio.run(migrate_configured(args.source, config))
    print(copied(args.source, config.bot.database, counts))
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statusbot", parents=[_global_options(after_command=False)],
        description="Relay public status pages into chat: every incident, update and component change, once.",
        epilog="--log-format and --log-level go before or after the command. Exit status: 0 ok, "
               "2 configuration error, 1 anything else. `statusbot COMMAND --help` describes a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    after = _global_options(after_command=True)

    def command(name: str, summary: str, description: str, handler: Callable[[argparse.Namespace], int],
                config: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=description, parents=[after])
        if config:
            sub.add_argument("--config", metavar="FILE",
                             help="TOML configuration file (default: $STATUSBOT_CONFIG, else ./statusbot.toml, "
                                  "else the built-in defaults and the environment)")
        sub.set_defaults(command=handler)
        return sub

    run = command(
        "run", "poll the status pages and deliver changes",
        "Poll every configured status page and deliver each change to its channels, until Ctrl-C or "
        "SIGTERM, which let in-flight deliveries finish.", _run)
    run.add_argument("--once", action="store_true",
                     help="poll every page once, deliver, exit (status 1 if a page failed or messages wait)")
    command("check", "validate the configuration and print it, secrets redacted",
            "Validate the configuration and print which pages are watched and where their changes go, "
            "with secrets redacted. Writes nothing.", _check)
    command("status", "providers and channels as the database knows them",
            "Print what the database knows: per provider, its last poll and change, what is wrong there "
            "now and its failures in a row; per channel, its backlog, deliveries and state. Safe to run "
            "beside a running bot.", _status)
    demo = command(
        "demo", "watch a scripted incident on a local page, no network needed",
        "Play one scripted incident on a local status page (127.0.0.1) through the real pipeline and "
        f"print each change, in about {DURATION:.0f} seconds. Uses no network, configuration or state of yours.",
        _demo, config=False)
    demo.add_argument("--speed", type=_speed, default=1.0, metavar="N",
                      help=f"play the script N times faster (more than 0, at most {MAX_SPEED:g}; default 1)")
    test = command("send-test", "send a sample message to one channel, to check its set-up",
                   "Send a sample message to one configured channel, to check its credentials and set-up. "
                   "`statusbot check` lists the channels.", _send_test)
    test.add_argument("channel", metavar="CHANNEL", help="the channel's name in the configuration")
    move = command(
        "migrate", "copy a SQLite state into the PostgreSQL database configured",
        "Copy the state of a bot that ran on SQLite (seen events, page snapshots, undelivered messages, "
        "threads, dead letters, what noise control keeps back) into the PostgreSQL database that [bot] "
        "database names, so that its replicas announce nothing again. Stop the old bot first. Refuses a "
        "database that already holds a bot's state; writes all of it or nothing.", _migrate)
    move.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE",
                      help="the SQLite database of the bot being moved (its [bot] database, e.g. statusbot.db)")

    kinds = sorted([*root.FORMATS, AUTO_KIND])
    listing = command(
        "providers", "list the catalog of preset status pages",
        f"List the preset status pages and how each was confirmed (a public capture of its documents, "
        f"public configuration, the platform's customer list, the service's docs; detect: its platform "
        f"is detected at the first poll); a {_NOTE_MARK} after a name marks a preset with a note.",
        _providers, config=False)
    listing.add_argument("text", nargs="?", metavar="TEXT",
                         help="only presets whose name, title or URL contains TEXT (any case)")
    listing.add_argument("--search", metavar="TEXT", help="the same as TEXT; with both, a preset must match both")
    listing.add_argument("--kind", choices=kinds, metavar="KIND",
                         help=f"only presets of this kind: {', '.join(kinds)}")
    listing.add_argument("--notes", action="store_true", help="also print each preset's note")
    listing.add_argument("--sources", action="store_true",
                         help="also print where each preset's platform and address were confirmed")
    add = command(
        "add", "detect a status page's platform and print its [[providers]] table",
        "Detect which platform the status page at URL runs on (Statuspage, incident.io, Instatus, "
        "Better Stack, status.io, Cachet, an RSS or Atom feed, ...) and print the [[providers]] "
        "table to paste into the configuration. Exit status 1 when the platform is unknown or the "
        "page cannot be reached, 2 when URL is not a valid http(s) URL.", _add, config=False)
    add.add_argument("url", metavar="URL", help="the status page's address, e.g. https://status.acme.com")
    add.add_argument("--name", metavar="NAME", help="the provider's name (default: from the host, e.g. acme)")
    return parser


def _global_options(after_command: bool) -> argparse.ArgumentParser:
    """--log-format and --log-level. After the command they default to nothing, so that a command's
    parser does not overwrite what was given before it."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--log-format", choices=["text", "json"],
                         default=argparse.SUPPRESS if after_command else "text",
                         help="diagnostics on stderr as human lines (default) or one JSON object per line")
    options.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper,
                         default=argparse.SUPPRESS if after_command else "INFO",
                         help="log verbosity (default INFO)")
    return options


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < speed <= MAX_SPEED:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_SPEED:g}, not {text}")
    return speed


if __name__ == "__main__":
    sys.exit(main())
