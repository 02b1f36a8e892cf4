"""Command line: `statusbot run | check | providers` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import compose
from bot.config import describe
from bot.logs import REDACTOR, setup_logging
from bot.model import ConfigError, DeliveryError, StatusbotError
from bot.sample import find_channel, send_sample

log = logging.getLogger("statusbot")

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    setup_logging(args.log_level)
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


def _run(args: argparse.Namespace) -> int:
    config = compose.load(args.config)
    REDACTOR.add(config.secrets)
    return asyncio.run(compose.service(config).run(once=args.once))


def _check(args: argparse.Namespace) -> int:
    config = compose.load(args.config)
    print(describe(config))
    print("configuration OK")
    return EXIT_OK


def _send_test(args: argparse.Namespace) -> int:
    config = compose.load(args.config)
    REDACTOR.add(config.secrets)
    channel = find_channel(config, args.channel)
    try:
        asyncio.run(send_sample(channel, compose.DESTINATIONS))
    except DeliveryError as exc:
        print(f"statusbot: sample message NOT delivered: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"sample message delivered to channel {channel.name} ({channel.type})")
    return EXIT_OK


def _providers(args: argparse.Namespace) -> int:
    rows = [(p.name, p.kind, p.url) for p in compose.PRESETS.values()]
    widths = [max(len(row[i]) for row in rows + [("name", "kind", "url")]) for i in range(2)]
    print(f"{'name':<{widths[0]}}  {'kind':<{widths[1]}}  url")
    for name, kind, url in rows:
        print(f"{name:<{widths[0]}}  {kind:<{widths[1]}}  {url}")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="statusbot", description="Relay public status pages into chat.")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        type=str.upper, help="log verbosity (default INFO)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="poll the status pages and deliver changes")
    run.add_argument("--config", help="TOML configuration file (default: $STATUSBOT_CONFIG, ./statusbot.toml)")
    run.add_argument("--once", action="store_true", help="poll every provider once, deliver, exit")
    run.set_defaults(command=_run)

    check = commands.add_parser("check", help="validate the configuration and print it, secrets redacted")
    check.add_argument("--config", help="TOML configuration file")
    check.set_defaults(command=_check)

    test = commands.add_parser("send-test", help="send a sample message to one channel, to check its set-up")
    test.add_argument("channel", help="the channel's name in the configuration")
    test.add_argument("--config", help="TOML configuration file")
    test.set_defaults(command=_send_test)

    listing = commands.add_parser("providers", help="list the catalog of preset status pages")
    listing.set_defaults(command=_providers)
    return parser


if __name__ == "__main__":
    sys.exit(main())
