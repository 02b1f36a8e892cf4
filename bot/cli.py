"""Command line: `statusbot run | check | providers` (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot import root
from bot.describe import describe
from bot.logs import REDACTOR, setup_logging
from bot.model import ConfigError, DeliveryError, Preset, StatusbotError
from bot.sample import find_channel, send_sample
from bot.state import Store
from bot.status import render_status

log = logging.getLogger("statusbot")

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
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


def _run(args: argparse.Namespace) -> int:
    config = root.load(args.config)
    REDACTOR.add(config.secrets)
    for warning in config.warnings:
        log.warning("configuration: %s", warning)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(root.service(config).run(once=args.once))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (everywhere but Windows): the HTTP client wakes
    the loop from its own thread for every response (SQLite too, for every query), and uvloop's
    wake-ups are cheaper than asyncio's: 15% less CPU per poll (bench/README.md). None: asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _check(args: argparse.Namespace) -> int:
    config = root.load(args.config)
    print(describe(config))
    for warning in config.warnings:
        print(f"warning: {warning}")
    print("configuration OK")
    return EXIT_OK


def _send_test(args: argparse.Namespace) -> int:
    config = root.load(args.config)
    REDACTOR.add(config.secrets)
    channel = find_channel(config, args.channel)
    try:
        asyncio.run(send_sample(channel, root.DESTINATIONS, root.delivery_client()))
    except DeliveryError as exc:
        print(f"statusbot: sample message NOT delivered: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"sample message delivered to channel {channel.name} ({channel.type})")
    return EXIT_OK


_NOTE_MARK = "*"  # after a preset's name in `statusbot providers`: the preset has a note


def _status(args: argparse.Namespace) -> int:
    config = root.load(args.config)
    if not Path(config.bot.database).exists():
        print(f"statusbot: no database at {config.bot.database}: statusbot has not run here yet", file=sys.stderr)
        return EXIT_ERROR

    async def report() -> str:
        store = await Store.open(config.bot.database)
        try:
            return await render_status(config, store)
        finally:
            await store.close()

    print(asyncio.run(report()))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo  # its page server is aiohttp's: loaded for the demo only

    print("statusbot demo: a local status page plays one incident for about 20 seconds; the real")
    print("pipeline (fetch, detect, SQLite outbox, delivery) prints each change below.", flush=True)
    return asyncio.run(run_demo(root.service, root.DESTINATIONS, args.speed))


def _providers(args: argparse.Namespace) -> int:
    texts = [text for text in (args.text, args.search) if text]
    presets = _matching_presets(root.PRESETS.values(), args.kind, texts)
    if not presets:
        print("no preset matches")
        return EXIT_OK
    print("\n".join(_preset_table(presets, args.notes)))
    return EXIT_OK


def _matching_presets(presets: Iterable[Preset], kind: str | None, texts: Sequence[str]) -> list[Preset]:
    """The presets of `kind` (any kind when None) whose name, title or URL contains every text,
    ignoring case; by name."""
    wanted = [text.casefold() for text in texts]

    def matches(preset: Preset) -> bool:
        haystack = f"{preset.name}\n{preset.title}\n{preset.url}".casefold()
        return (kind is None or preset.kind == kind) and all(text in haystack for text in wanted)

    return sorted(filter(matches, presets), key=lambda preset: preset.name)


def _preset_table(presets: Sequence[Preset], notes: bool) -> list[str]:
    """name, kind and URL, one preset a line; a note, when asked for, on the line below its preset."""
    names = [preset.name + (f" {_NOTE_MARK}" if preset.note else "") for preset in presets]
    name_width = max(len(name) for name in [*names, "name"])
    kind_width = max(len(kind) for kind in [*(preset.kind for preset in presets), "kind"])
    lines = [f"{'name':<{name_width}}  {'kind':<{kind_width}}  url"]
    for name, preset in zip(names, presets, strict=True):
        lines.append(f"{name:<{name_width}}  {preset.kind:<{kind_width}}  {preset.url}")
        if notes and preset.note:
            lines.append(f"{'':<{name_width}}  note: {preset.note}")
    if any(preset.note for preset in presets):
        hint = "" if notes else ": --notes shows it"
        lines.append(f"{_NOTE_MARK} has a note (a platform or address to check, or a caveat){hint}")
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="statusbot", description="Relay public status pages into chat.")
    parser.add_argument("--log-format", default="text", choices=["text", "json"],
                        help="diagnostics on stderr as human lines (default) or one JSON object per line")
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

    status = commands.add_parser("status", help="providers and channels as the database knows them")
    status.add_argument("--config", help="TOML configuration file")
    status.set_defaults(command=_status)

    demo = commands.add_parser("demo", help="watch a scripted incident on a local page, no network needed")
    demo.add_argument("--speed", type=float, default=1.0, help="play the script this many times faster")
    demo.set_defaults(command=_demo)

    test = commands.add_parser("send-test", help="send a sample message to one channel, to check its set-up")
    test.add_argument("channel", help="the channel's name in the configuration")
    test.add_argument("--config", help="TOML configuration file")
    test.set_defaults(command=_send_test)

    kinds = sorted(root.FORMATS)
    listing = commands.add_parser(
        "providers", help="list the catalog of preset status pages",
        description=f"List the preset status pages; a {_NOTE_MARK} after a name marks a preset with a note.",
    )
    listing.add_argument("text", nargs="?", metavar="TEXT",
                         help="only presets whose name, title or URL contains TEXT (any case)")
    listing.add_argument("--search", metavar="TEXT", help="the same as TEXT; with both, a preset must match both")
    listing.add_argument("--kind", choices=kinds, metavar="KIND",
                         help=f"only presets of this kind: {', '.join(kinds)}")
    listing.add_argument("--notes", action="store_true", help="also print each preset's note")
    listing.set_defaults(command=_providers)
    return parser


if __name__ == "__main__":
    sys.exit(main())
