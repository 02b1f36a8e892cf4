"""Crowded pages against the real bot, as long as asked: peak RSS and /healthz latency.

    python bench/crowded_pages.py                          # four crowded pages for 60 s
    python bench/crowded_pages.py --pages 8 --duration 300

Each crowded page lists 16,000 small unresolved incidents (4.3 MB) in each of its three
documents and changes on every request; the bot polls every page every 0.5 s beside two healthy
ones (one healthy change must arrive). The scenario is `tests/crowded.py`; the hostile-pages
suite runs it for a few polls. Exit status 1 when the peak RSS reaches 200 MB or a /healthz took
0.5 s or more, or failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's tests and bot

from tests import crowded  # after the path above
from tests.fakes.hostile import HostileServer
from tests.fakes.status_page import StatusPageServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.world import World

PEAK_RSS_LIMIT_MB = 200
HEALTHZ_LIMIT = 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4, help="crowded pages (default 4)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of /healthz probing (default 60)")
    args = parser.parse_args(argv)
    with (tempfile.TemporaryDirectory(prefix="statusbot-crowded-") as workdir, HostileServer() as hostile,
          StatusPageServer() as pages, WebhookReceiver() as receiver):
        world = World(Path(workdir), pages, receiver)
        world.acme.open_incident("live", "API errors", "We are investigating errors", components=("api",))
        world.publish()
        _, figures = crowded.run(world, hostile, args.pages, lambda figures: figures.seconds >= args.duration)
    print(figures.table())
    met = figures.peak_rss_mb < PEAK_RSS_LIMIT_MB and figures.worst < HEALTHZ_LIMIT and not figures.failed_healthz
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
