"""The crash suite's long run, on demand: stop the real bot many times and print the figures.

    python bench/crash_suite.py --iterations 50 --seed 1            # SIGKILL (crashes)
    python bench/crash_suite.py --iterations 20 --seed 1 --signal term

Exit status 0 when nothing was lost, duplicates stayed within one per kill (none with SIGTERM)
and every incident's updates arrived in order; 1 otherwise, with the seed and what went wrong.
The scenario and its checks are `tests/crash.py`; `tests/test_crash.py` runs a short version.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's tests and bot

from tests import crash  # after the path above

SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50, help="times the bot is stopped (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the burst and the stop moments (default 1)")
    parser.add_argument("--signal", choices=sorted(SIGNALS), default="kill", help="how the bot is stopped")
    args = parser.parse_args(argv)
    plan = crash.Plan(seed=args.seed, iterations=args.iterations, sig=SIGNALS[args.signal])
    with tempfile.TemporaryDirectory(prefix="statusbot-crash-") as workdir:
        report = crash.run(plan, Path(workdir))
    if report.problems():
        print(report.failure())
        return 1
    print(f"crash suite passed\n{report.table()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
