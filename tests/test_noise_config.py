"""The noise-control keys of a `[[channels]]` table: read into ChannelConfig.noise, one-line errors
naming the key, warnings for keys that do nothing, and `statusbot check`'s account of them.

The real registries: whether a channel groups by default is its destination's (chat yes, webhook no).
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config, channel_with_defaults, load_config
from bot.describe import describe
from bot.model import ConfigError
from bot.noise.config_keys import parse_duration, show_duration
from bot.noise.settings import NoiseSettings, QuietHours
from bot.root import DESTINATIONS, FORMATS, PRESETS
from tests.bot_process import BotProcess

PROVIDER = '[[providers]]\nname = "openai"\n'
HOOK = '[[channels]]\nname = "hooks"\ntype = "webhook"\nurl = "https://hooks.example.com/in"\n'
SLACK = '[[channels]]\nname = "ops"\ntype = "slack"\nwebhook_url = "https://hooks.slack.com/services/T0/B0/n01s3"\n'


def write(tmp_path: Path, text: str) -> Path:
    """The configuration file, owner-only: its URLs are secrets (else `check` warns about the file)."""
    path = tmp_path / "statusbot.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def load(tmp_path: Path, channel: str, keys: str = "", env: dict[str, str] | None = None) -> Config:
    path = write(tmp_path, PROVIDER + channel + keys)
    return load_config(path, env or {}, FORMATS, DESTINATIONS, PRESETS)


def noise(tmp_path: Path, keys: str, channel: str = HOOK) -> NoiseSettings:
    return load(tmp_path, channel, keys).channels[0].noise


def error(tmp_path: Path, keys: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, HOOK, keys)
    message = str(info.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- every key accepted


def test_a_table_without_noise_keys_has_the_defaults_and_its_destinations_grouping(tmp_path):
    assert noise(tmp_path, "") == NoiseSettings(group=False)
    assert noise(tmp_path, "", channel=SLACK) == NoiseSettings(group=True)
    assert load(tmp_path, HOOK).warnings == ()


def test_every_key(tmp_path):
    keys = """
hold = "5m"
hold_incidents_below = "major"
group = true
quiet_hours = "22:00-07:00"
timezone = "Europe/Berlin"
quiet_min_impact = "critical"
quiet_drop_resolved = true
remind_every = "4h"
"""
    assert noise(tmp_path, keys) == NoiseSettings(
        hold=300.0, hold_incidents_below="major", group=True, quiet_hours=QuietHours(time(22, 0), time(7, 0)),
        timezone=ZoneInfo("Europe/Berlin"), quiet_min_impact="critical", quiet_drop_resolved=True,
        remind_every=4 * 3600.0,
    )
    digest = noise(tmp_path, 'mode = "digest"\ndigest_every = "2d"\ndigest_at = "9:05"\ntimezone = "Asia/Tokyo"\n')
    assert (digest.mode, digest.digest_every, digest.digest_at, digest.timezone) == (
        "digest", 2 * 86400.0, time(9, 5), ZoneInfo("Asia/Tokyo")
    )
    assert noise(tmp_path, "group = false\n", channel=SLACK).group is False


def test_times_may_carry_seconds_for_windows_of_a_few_seconds(tmp_path):
    short = noise(tmp_path, 'quiet_hours = "12:00:00-12:00:05"\nmode = "digest"\ndigest_at = "09:00:30"\n')
    assert (short.quiet_hours, short.digest_at) == (QuietHours(time(12), time(12, 0, 5)), time(9, 0, 30))
    assert error(tmp_path, 'quiet_hours = "12:00:00-12:00:00"\n') == (
        f'{WHERE}.quiet_hours: must start and end at different times, like "22:00-07:00"'
    )


def test_a_channel_with_defaults_groups_as_its_destination_does():
    for kind, groups in (("slack", True), ("discord", True), ("webhook", False), ("console", False)):
        assert DESTINATIONS[kind].groups is groups
    console = channel_with_defaults("console", DESTINATIONS["console"])
    assert console.noise == NoiseSettings(group=False)
    assert console.settings == DESTINATIONS["console"].settings()


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1d2h3m4s", 93784), ("90m", 5400),
     ("365d", 365 * 86400)],
)
def test_durations(written, seconds):
    assert parse_duration(written) == seconds


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(30, "30s"), (300, "5m"), (5400, "1h30m"), (86400, "1d"), (2 * 86400, "2d"), (93784, "1d2h3m4s"), (3600, "1h")],
)
def test_durations_print_back_as_written(seconds, shown):
    assert show_duration(seconds) == shown
    assert parse_duration(shown) == seconds


# ---------------------------------------------------------------- one line naming the key

WHERE = "channels[0] (hooks)"
DURATION = 'must be a duration like "30s", "5m", "2h" or "1d"'


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('hold = "5x"', f"hold: {DURATION}"),
        ('hold = "5 m"', f"hold: {DURATION}"),
        ('hold = "m"', f"hold: {DURATION}"),
        ('hold = ""', f"hold: {DURATION}"),
        ('hold = "30m1h"', f"hold: {DURATION}"),  # units biggest first
        ('hold = "1h1h"', f"hold: {DURATION}"),
        ('hold = "1.5h"', f"hold: {DURATION}"),
        ("hold = 300", f"hold: {DURATION}"),  # a number of what?
        ("hold = true", f"hold: {DURATION}"),
        ('hold = "0s"', f"hold: {DURATION}, longer than 0s"),
        ('hold = "366d"', "hold: must be at most 365d"),
        ('remind_every = "4 hours"', f"remind_every: {DURATION}"),
        ('remind_every = "0m"', f"remind_every: {DURATION}, longer than 0s"),
        ('mode = "digest"\ndigest_every = "36h"', 'digest_every: must be under a day or whole days, like "4h", "1d" or "2d"'),
        ('mode = "digest"\ndigest_every = "1d1s"', 'digest_every: must be under a day or whole days, like "4h", "1d" or "2d"'),
        ('mode = "digest"\ndigest_every = "0s"', f"digest_every: {DURATION}, longer than 0s"),
        ('mode = "digest"\ndigest_at = "25:00"', 'digest_at: must be a time like "09:00"'),
        ('mode = "digest"\ndigest_at = "09:0"', 'digest_at: must be a time like "09:00"'),  # not masked as an echo
        ('mode = "digest"\ndigest_at = "9am"', 'digest_at: must be a time like "09:00"'),
        ('mode = "digest"\ndigest_at = "09:00:60"', 'digest_at: must be a time like "09:00"'),
        ('mode = "digest"\ndigest_at = "09:00:5"', 'digest_at: must be a time like "09:00"'),
        ('mode = "daily"', "mode: Input should be 'each' or 'digest'"),
        ('quiet_hours = "22:00"', 'quiet_hours: must be a time range like "22:00-07:00"'),
        ('quiet_hours = "22-07"', 'quiet_hours: must be a time range like "22:00-07:00"'),
        ('quiet_hours = "22:00-07:00-08:00"', 'quiet_hours: must be a time range like "22:00-07:00"'),
        ('quiet_hours = "22:00-24:00"', 'quiet_hours: must be a time range like "22:00-07:00"'),
        ('quiet_hours = "22:00-22:00"', 'quiet_hours: must start and end at different times, like "22:00-07:00"'),
        ("quiet_hours = 22", "quiet_hours: Input should be a valid string"),
        ('quiet_hours = "22:00-07:00"\ntimezone = "Mars/Base"',
         'timezone: unknown time zone \'Mars/Base\' (an IANA name, like "Europe/Berlin" or "UTC")'),
        ('quiet_hours = "22:00-07:00"\ntimezone = "Europe/Berln"',
         "timezone: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"),
        ('quiet_hours = "22:00-07:00"\ntimezone = "/usr/share/zoneinfo/UTC"',
         'timezone: unknown time zone \'/usr/share/zoneinfo/UTC\' (an IANA name, like "Europe/Berlin" or "UTC")'),
        ('quiet_hours = "22:00-07:00"\ntimezone = "localtime"',  # the machine's, not a zone
         'timezone: unknown time zone \'localtime\' (an IANA name, like "Europe/Berlin" or "UTC")'),
        ('quiet_hours = "22:00-07:00"\nquiet_min_impact = "high"',
         "quiet_min_impact: Input should be 'none', 'minor', 'major' or 'critical'"),
        ('hold = "5m"\nhold_incidents_below = "severe"',
         "hold_incidents_below: Input should be 'none', 'minor', 'major' or 'critical'"),
        ('group = "yes"', "group: must be true or false"),
        ("group = 1", "group: must be true or false"),
        ('quiet_hours = "22:00-07:00"\nquiet_drop_resolved = "true"', "quiet_drop_resolved: must be a boolean, written without quotes"),
        ('quiet_hours = "22:00-07:00"\nquiet_drop_resolved = "yes"', "quiet_drop_resolved: must be true or false"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(tmp_path, keys, expected):
    assert error(tmp_path, keys + "\n") == f"{WHERE}.{expected}"


def test_check_exits_2_with_the_line(tmp_path):
    path = write(tmp_path, PROVIDER + HOOK + 'quiet_hours = "22:00-07:00"\ntimezone = "Mars/Base"\n')
    check = BotProcess("check", "--config", str(path), cwd=tmp_path)
    assert check.run() == 2
    assert check.stderr == [
        f"statusbot: configuration error: {WHERE}.timezone: unknown time zone 'Mars/Base'"
        ' (an IANA name, like "Europe/Berlin" or "UTC")\n'
    ]


# ---------------------------------------------------------------- keys that do nothing


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('hold_incidents_below = "major"', ["hold_incidents_below: ignored: the channel sets no hold"]),
        ('quiet_min_impact = "critical"\nquiet_drop_resolved = false', [
            "quiet_min_impact: ignored: the channel sets no quiet_hours",
            "quiet_drop_resolved: ignored: the channel sets no quiet_hours",
        ]),
        ('digest_every = "4h"\ndigest_at = "09:00"', [
            "digest_every: ignored: the channel's mode is not \"digest\"",
            "digest_at: ignored: the channel's mode is not \"digest\"",
        ]),
        ('mode = "digest"\nremind_every = "4h"', ["remind_every: ignored: a digest channel gets nothing between digests"]),
        ('timezone = "Europe/Berlin"', ["timezone: ignored: the channel sets neither quiet_hours nor a digest"]),
        ('timezone = "Europe/Berlin"\nhold = "5m"\nremind_every = "4h"',
         ["timezone: ignored: the channel sets neither quiet_hours nor a digest"]),
    ],
)
def test_a_key_that_does_nothing_is_warned_about(tmp_path, keys, expected):
    assert load(tmp_path, HOOK, keys + "\n").warnings == tuple(f"{WHERE}.{line}" for line in expected)


@pytest.mark.parametrize(
    "keys",
    [
        'hold = "5m"\nhold_incidents_below = "major"',
        'quiet_hours = "22:00-07:00"\ntimezone = "Europe/Berlin"\nquiet_min_impact = "critical"\nquiet_drop_resolved = true',
        # A digest's periods start at midnight in the zone when digest_at is not set.
        'mode = "digest"\ndigest_every = "4h"\ntimezone = "Europe/Berlin"',
        'mode = "digest"\ndigest_at = "09:00"',
        'remind_every = "4h"\ngroup = true',
    ],
)
def test_keys_that_work_together_are_not_warned_about(tmp_path, keys):
    assert load(tmp_path, HOOK, keys + "\n").warnings == ()


# ---------------------------------------------------------------- statusbot check


def channel_line(config: Config) -> str:
    (line,) = [line for line in describe(config).splitlines() if line.startswith("channel ")]
    return line


def test_check_shows_no_noise_settings_at_their_defaults(tmp_path):
    assert channel_line(load(tmp_path, HOOK)) == (
        "channel hooks: type=webhook providers=all min_impact=none events=incident,component,maintenance"
        " components=all mention=- url=https://hooks.example.com/*** timeout=15.0"
    )
    assert "messages=" not in channel_line(load(tmp_path, SLACK, "group = true\n"))


def test_check_shows_noise_settings_readably(tmp_path):
    keys = """
hold = "90m"
hold_incidents_below = "major"
group = true
quiet_hours = "22:00-07:00"
timezone = "Europe/Berlin"
remind_every = "4h"
"""
    assert channel_line(load(tmp_path, HOOK, keys)) == (
        "channel hooks: type=webhook providers=all min_impact=none events=incident,component,maintenance"
        " components=all mention=- hold=1h30m (and incidents below major) messages=grouped"
        " quiet=22:00-07:00 Europe/Berlin (major and above go through) remind=every 4h"
        " url=https://hooks.example.com/*** timeout=15.0"
    )
    dropping = channel_line(load(tmp_path, SLACK, 'quiet_hours = "23:30-06:00"\nquiet_drop_resolved = true\n'
                                                  'quiet_min_impact = "critical"\ngroup = false\n'))
    assert (" messages=one per event quiet=23:30-06:00 UTC (critical and above go through;"
            " what resolves meanwhile is left out) ") in dropping


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        ('mode = "digest"', "digest=every 1d at 00:00 UTC"),
        ('mode = "digest"\ndigest_at = "09:00"\ntimezone = "Europe/Berlin"', "digest=every 1d at 09:00 Europe/Berlin"),
        ('mode = "digest"\ndigest_every = "2d"\ndigest_at = "7:30"', "digest=every 2d at 07:30 UTC"),
        ('mode = "digest"\ndigest_every = "4h"\ndigest_at = "09:00"', "digest=every 4h from 09:00 UTC"),
        ('mode = "digest"\ndigest_every = "5s"\ndigest_at = "09:00:30"', "digest=every 5s from 09:00:30 UTC"),
    ],
)
def test_check_shows_the_digest_period(tmp_path, keys, shown):
    assert f" mention=- {shown} url=" in channel_line(load(tmp_path, HOOK, keys + "\n"))


def test_check_masks_a_noise_setting_taken_from_the_environment(tmp_path):
    # A value set through ${VAR} is a secret, however short (here "5m" and "UTC").
    config = load(tmp_path, HOOK, 'hold = "${HOLD}"\nquiet_hours = "22:00-07:00"\ntimezone = "${ZONE}"\n',
                  env={"HOLD": "5m", "ZONE": "UTC"})
    line = channel_line(config)
    assert " hold=*** quiet=*** url=" in line
    assert config.channels[0].noise.hold == 300.0


def test_check_prints_the_settings_and_the_warnings(tmp_path):
    path = write(tmp_path, PROVIDER + HOOK + 'hold = "5m"\ntimezone = "Europe/Berlin"\n')
    check = BotProcess("check", "--config", str(path), cwd=tmp_path)
    assert check.run() == 0
    assert any(line.startswith("channel hooks: ") and " hold=5m " in line for line in check.stdout)
    assert check.stdout[-2:] == [
        f"warning: {WHERE}.timezone: ignored: the channel sets neither quiet_hours nor a digest\n",
        "configuration OK\n",
    ]
