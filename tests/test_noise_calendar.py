"""bot.noise.calendar: when quiet hours end and when a digest period ends, in local wall-clock time.

Europe/Berlin's 2026 changes: spring forward on 29 March (02:00 CET -> 03:00 CEST), fall back on
25 October (03:00 CEST -> 02:00 CET).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.noise.calendar import DAY, instant, next_digest, quiet_until
from bot.noise.settings import QuietHours

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
NIGHT = QuietHours(time(22, 0), time(7, 0))
OFFICE = QuietHours(time(9, 0), time(17, 0))


def at(text: str, zone: ZoneInfo = BERLIN, fold: int = 0) -> float:
    """Unix time of a local wall-clock time, "2026-03-29 02:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold).timestamp()


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def local(stamp: float | None, zone: ZoneInfo = BERLIN) -> str | None:
    """A unix time as the local clock shows it, with its offset."""
    return None if stamp is None else datetime.fromtimestamp(stamp, zone).isoformat(sep=" ", timespec="minutes")


# ---------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        ("2026-06-01 21:59", None),
        ("2026-06-01 22:00", "2026-06-02 07:00+02:00"),  # exactly at the start: inside
        ("2026-06-01 23:59", "2026-06-02 07:00+02:00"),
        ("2026-06-02 00:00", "2026-06-02 07:00+02:00"),  # after midnight, the window began yesterday
        ("2026-06-02 06:59", "2026-06-02 07:00+02:00"),
        ("2026-06-02 07:00", None),  # exactly at the end: outside
        ("2026-06-02 12:00", None),
    ],
)
def test_a_window_across_midnight(now, ends):
    assert local(quiet_until(at(now), NIGHT, BERLIN)) == ends


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        ("2026-06-01 08:59", None),
        ("2026-06-01 09:00", "2026-06-01 17:00+02:00"),
        ("2026-06-01 16:59", "2026-06-01 17:00+02:00"),
        ("2026-06-01 17:00", None),
        ("2026-06-01 23:00", None),
    ],
)
def test_a_window_within_a_day(now, ends):
    assert local(quiet_until(at(now), OFFICE, BERLIN)) == ends


def test_a_night_with_the_spring_change_ends_at_seven_summer_time():
    # The night of 28 to 29 March is an hour short: 22:00 CET to 07:00 CEST is 8 hours.
    start = at("2026-03-28 22:00")
    assert local(quiet_until(start, NIGHT, BERLIN)) == "2026-03-29 07:00+02:00"
    assert quiet_until(start, NIGHT, BERLIN) - start == 8 * 3600
    assert local(quiet_until(utc("2026-03-29 01:30"), NIGHT, BERLIN)) == "2026-03-29 07:00+02:00"  # 03:30 CEST


def test_a_night_with_the_autumn_change_ends_at_seven_winter_time():
    # The night of 24 to 25 October is an hour long: 22:00 CEST to 07:00 CET is 10 hours.
    start = at("2026-10-24 22:00")
    assert quiet_until(start, NIGHT, BERLIN) - start == 10 * 3600
    # Both passes of the repeated hour are quiet.
    for fold in (0, 1):
        assert local(quiet_until(at("2026-10-25 02:30", fold=fold), NIGHT, BERLIN)) == "2026-10-25 07:00+01:00"


def test_a_window_starting_in_the_repeated_hour_stays_on_through_its_second_pass():
    # 02:15-07:00 on 25 October starts at the first 02:15; at the second 02:00 the clock shows a time
    # before the start, and yet quiet hours went on 45 minutes ago and stay on.
    window = QuietHours(time(2, 15), time(7, 0))
    assert local(quiet_until(at("2026-10-25 02:00", fold=1), window, BERLIN)) == "2026-10-25 07:00+01:00"
    assert quiet_until(at("2026-10-25 02:00", fold=0), window, BERLIN) is None


def test_a_window_ending_in_the_repeated_hour_ends_at_its_first_pass():
    window = QuietHours(time(22, 0), time(2, 30))
    assert local(quiet_until(at("2026-10-25 02:10", fold=0), window, BERLIN)) == "2026-10-25 02:30+02:00"
    assert quiet_until(at("2026-10-25 02:10", fold=1), window, BERLIN) is None


def test_a_window_ending_in_the_skipped_hour_ends_as_far_after_it():
    # 02:30 does not exist on 29 March; read with the winter offset it is 03:30 summer time.
    window = QuietHours(time(22, 0), time(2, 30))
    assert local(quiet_until(at("2026-03-29 01:59"), window, BERLIN)) == "2026-03-29 03:30+02:00"
    assert quiet_until(at("2026-03-29 03:30"), window, BERLIN) is None


ZONES = st.sampled_from([
    "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Havana",
    "Pacific/Apia",
]).map(ZoneInfo)
CLOCKS = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]), st.sampled_from([0, 0, 5]))
WINDOWS = st.tuples(CLOCKS, CLOCKS).filter(lambda pair: pair[0] != pair[1]).map(lambda pair: QuietHours(*pair))
# 2010 to 2030, whole and odd seconds: near daylight-saving changes as often as anywhere else.
NOWS = st.integers(int(utc("2010-01-01 00:00")), int(utc("2030-01-01 00:00"))).map(float)


@settings(max_examples=300, deadline=None)
@given(now=NOWS, window=WINDOWS, zone=ZONES)
def test_quiet_hours_end_after_now_and_hold_until_then(now, window, zone):
    ends = quiet_until(now, window, zone)
    if ends is None:
        return
    assert now < ends <= now + DAY + 3600
    # Quiet all the way to the end, and the end is one of the window's ends.
    assert quiet_until(max(now, ends - 1), window, zone) == ends
    assert quiet_until(now + (ends - now) / 2, window, zone) == ends
    shown = datetime.fromtimestamp(ends, zone)
    assert shown.time() == window.end or instant(shown.date(), window.end, zone) == ends


@settings(max_examples=300, deadline=None)
@given(now=NOWS, window=WINDOWS, zone=st.sampled_from([UTC_ZONE, ZoneInfo("Asia/Kolkata")]))
def test_without_clock_changes_quiet_is_the_wall_clock_rule(now, window, zone):
    clock = datetime.fromtimestamp(now, zone).time()
    start, end = window.start, window.end
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    assert (quiet_until(now, window, zone) is not None) == inside


# ---------------------------------------------------------------- digest periods


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2026-06-01 08:59", "2026-06-01 09:00+02:00"),
        ("2026-06-01 09:00", "2026-06-02 09:00+02:00"),  # exactly at a boundary: the next one
        ("2026-06-01 23:00", "2026-06-02 09:00+02:00"),
    ],
)
def test_daily_at_nine(now, due):
    assert local(next_digest(at(now), DAY, time(9, 0), BERLIN)) == due


def test_a_daily_digest_stays_at_nine_across_both_clock_changes():
    assert local(next_digest(at("2026-03-28 09:00"), DAY, time(9, 0), BERLIN)) == "2026-03-29 09:00+02:00"
    assert next_digest(at("2026-03-28 09:00"), DAY, time(9, 0), BERLIN) - at("2026-03-28 09:00") == 23 * 3600
    assert local(next_digest(at("2026-10-24 09:00"), DAY, time(9, 0), BERLIN)) == "2026-10-25 09:00+01:00"
    assert next_digest(at("2026-10-24 09:00"), DAY, time(9, 0), BERLIN) - at("2026-10-24 09:00") == 25 * 3600


def test_midnight_without_digest_at():
    assert local(next_digest(at("2026-06-01 12:00"), DAY, None, BERLIN)) == "2026-06-02 00:00+02:00"
    assert local(next_digest(utc("2026-06-01 12:00"), DAY, None, UTC_ZONE), UTC_ZONE) == "2026-06-02 00:00+00:00"


def test_every_two_days_counts_from_1970_so_a_restart_agrees():
    assert (date(2026, 6, 2) - date(1970, 1, 1)).days % 2 == 0  # a boundary day; 1 and 3 June are not
    for now, due in [
        ("2026-06-01 10:00", "2026-06-02 09:00+02:00"),
        ("2026-06-02 08:59", "2026-06-02 09:00+02:00"),
        ("2026-06-02 09:00", "2026-06-04 09:00+02:00"),
        ("2026-06-03 09:00", "2026-06-04 09:00+02:00"),  # 09:00 on an odd day is no boundary
    ]:
        assert local(next_digest(at(now), 2 * DAY, time(9, 0), BERLIN)) == due, now


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2026-06-01 08:00", "2026-06-01 09:00+02:00"),  # before the day's first period: the night's ends at 09:00
        ("2026-06-01 09:00", "2026-06-01 13:00+02:00"),
        ("2026-06-01 12:59", "2026-06-01 13:00+02:00"),
        ("2026-06-01 21:00", "2026-06-02 01:00+02:00"),
        ("2026-06-02 05:00", "2026-06-02 09:00+02:00"),  # the day's last period: 05:00 to 09:00, four hours
    ],
)
def test_every_four_hours_from_nine(now, due):
    assert local(next_digest(at(now), 4 * 3600, time(9, 0), BERLIN)) == due


def test_every_four_hours_across_the_spring_change_counts_elapsed_time_and_restarts_at_nine():
    # From 21:00 CET: 01:00 CET, then four hours later 06:00 CEST; the day's last period is 3 hours.
    assert local(next_digest(at("2026-03-29 01:00"), 4 * 3600, time(9, 0), BERLIN)) == "2026-03-29 06:00+02:00"
    assert local(next_digest(at("2026-03-29 06:00"), 4 * 3600, time(9, 0), BERLIN)) == "2026-03-29 09:00+02:00"


def test_a_shorter_last_period_of_the_day():
    # Every 5h from 00:00 UTC: 00, 05, 10, 15, 20, then 00:00 again after 4 hours.
    assert local(next_digest(utc("2026-06-01 20:00"), 5 * 3600, None, UTC_ZONE), UTC_ZONE) == "2026-06-02 00:00+00:00"


def test_a_digest_time_in_the_skipped_hour_is_read_as_zoneinfo_reads_it():
    due = next_digest(at("2026-03-28 12:00"), DAY, time(2, 30), BERLIN)
    assert local(due) == "2026-03-29 03:30+02:00"


PERIODS = st.one_of(
    st.integers(1, DAY - 1).map(float),
    st.sampled_from([60.0, 900.0, 3600.0, 4 * 3600.0, 7 * 3600.0]),
    st.integers(1, 7).map(lambda days: float(days * DAY)),
)


@settings(max_examples=400, deadline=None)
@given(now=NOWS, every=PERIODS, at_=st.one_of(st.none(), CLOCKS), zone=ZONES)
def test_the_next_boundary_is_strictly_after_now_and_the_same_for_the_whole_period(now, every, at_, zone):
    due = next_digest(now, every, at_, zone)
    assert now < due <= now + every + DAY  # a day more: a skipped day (Pacific/Apia, 2011)
    # Every moment up to the boundary is in the same period; the boundary starts the next.
    assert next_digest(max(now, due - 1), every, at_, zone) == due
    assert next_digest(now + (due - now) / 2, every, at_, zone) == due
    assert next_digest(due, every, at_, zone) > due


@settings(max_examples=200, deadline=None)
@given(now=NOWS, days=st.integers(1, 7), at_=CLOCKS, zone=ZONES)
def test_whole_day_boundaries_fall_at_the_time_of_day_on_every_nth_day(now, days, at_, zone):
    due = next_digest(now, days * DAY, at_, zone)
    shown = datetime.fromtimestamp(due, zone)
    day = shown.date() if shown.time() == at_ else next(
        day for day in (shown.date(), shown.date() - timedelta(days=1)) if instant(day, at_, zone) == due
    )
    assert instant(day, at_, zone) == due
    assert (day - date(1970, 1, 1)).days % days == 0


def test_a_period_of_more_than_a_day_must_be_whole_days():
    with pytest.raises(ValueError, match="whole days"):
        next_digest(0.0, 1.5 * DAY, None, UTC_ZONE)
    with pytest.raises(ValueError, match="longer than 0s"):
        next_digest(0.0, 0.0, None, UTC_ZONE)
