"""Crash suite (issue 5): the real bot, stopped at random moments during a burst of changes.

With SIGKILL nothing may be lost, at most one duplicate may arrive per kill (the send in flight),
and each incident's updates arrive in order; with SIGTERM nothing may arrive twice. The driver
is `tests/crash.py`; these runs are short so CI can afford them (about half a minute in all).

STATUSBOT_CRASH_ITERATIONS sets how many times each run stops the bot (default 4), e.g.
`STATUSBOT_CRASH_ITERATIONS=30 pytest tests/test_crash.py`. `python bench/crash_suite.py
--iterations 50 --seed 1` runs one long run and prints its figures.

The first tests check the checker: a verdict that could not fail would prove nothing.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests import crash
from tests.crash import Delivery, verify

ITERATIONS = int(os.environ.get("STATUSBOT_CRASH_ITERATIONS", "4"))

UPDATES = {"alpha/inc0001": ["open", "fix", "resolved"]}
FLIPS = {"alpha/c1": ["operational", "major_outage", "operational"]}


def note(body: str, webhook_id: str | None = None) -> Delivery:
    return Delivery(webhook_id or f"evt_{body}", "incident.updated", "alpha:incident:inc0001", body, None)


def flip(old: str, new: str) -> Delivery:
    return Delivery(f"evt_{old}_{new}", "component.status", "alpha:component:c1", None, "alpha/c1", old, new)


COMPLETE = [note("open"), flip("operational", "major_outage"), note("fix"), note("resolved"),
            flip("major_outage", "operational")]


def test_verify_accepts_a_complete_delivery():
    verdict = verify(UPDATES, FLIPS, COMPLETE)
    assert (verdict.delivered, verdict.duplicates) == (5, 0)
    assert not (verdict.lost or verdict.out_of_order or verdict.unexpected)


def test_verify_accepts_flips_that_no_poll_saw():
    verdict = verify(UPDATES, FLIPS, [d for d in COMPLETE if d.component is None])
    assert not (verdict.lost or verdict.out_of_order or verdict.unexpected)


@pytest.mark.parametrize("deliveries,finding", [
    ([d for d in COMPLETE if d.body != "fix"], "lost"),
    ([d for d in COMPLETE if d.new_status != "major_outage"], "lost"),
    ([note("fix"), *[d for d in COMPLETE if d.body != "fix"]], "out_of_order"),
    ([*COMPLETE, note("surprise")], "unexpected"),
])
def test_verify_names_what_went_wrong(deliveries, finding):
    verdict = verify(UPDATES, FLIPS, deliveries)
    assert getattr(verdict, finding), verdict


def test_verify_counts_resent_and_reannounced_events_as_duplicates():
    resent, reannounced = note("fix"), note("fix", webhook_id="evt_other")
    verdict = verify(UPDATES, FLIPS, [*COMPLETE, resent, reannounced])
    assert verdict.duplicates == 2 and verdict.repeated == ["3 copies of incident.updated 'fix'"]


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_at_random_moments_loses_nothing_and_repeats_at_most_the_send_in_flight(tmp_path, seed):
    report = crash.run(crash.Plan(seed=seed, iterations=ITERATIONS), tmp_path)
    assert not report.problems(), report.failure()
    assert report.updates > ITERATIONS, "the burst published too little to prove anything"


def test_sigterm_at_random_moments_repeats_nothing(tmp_path):
    report = crash.run(crash.Plan(seed=3, iterations=ITERATIONS, sig=signal.SIGTERM), tmp_path)
    assert not report.problems(), report.failure()
    assert report.verdict.duplicates == 0
