"""The noise rules as pure functions, at chosen instants: flap hold, quiet hours, digests,
reminders and grouping (bot.noise.admit, bot.noise.release, bot.noise.group)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.model import Snapshot
from bot.noise.admit import admit
from bot.noise.group import group, ties
from bot.noise.release import release, remind
from bot.noise.rows import Decision, Reminder, Waiting
from bot.noise.settings import NoiseSettings, QuietHours
from tests.builders import component_event, incident_event

BERLIN = ZoneInfo("Europe/Berlin")
HOLD = NoiseSettings(hold=300.0)
NIGHT = NoiseSettings(quiet_hours=QuietHours(time(22), time(7)), timezone=BERLIN)


def at(text: str, zone: ZoneInfo = BERLIN) -> float:
    """Unix time of a local wall-clock time, "2026-11-03 23:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def moment(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def kept_of(decision: Decision) -> dict[str, dict[str, float]]:
    """What the threads keep back once `decision` is written (as the store reads it)."""
    kept: dict[str, dict[str, float]] = {}
    for row in decision.wait:
        kept.setdefault(row.event.thread_key, {}).setdefault(row.reason, row.due_at)
    return kept


def hold_through(changes: list[tuple[str | None, str]], settings: NoiseSettings = HOLD) -> tuple[list[Waiting], Decision]:
    """Component `api` changing as listed, a minute apart, all within one hold; then the hold ends."""
    start = at("2026-11-03 10:00")
    rows: list[Waiting] = []
    for minute, (old, new) in enumerate(changes):
        now = start + 60 * minute
        kept = {"acme:component:api": {"hold": rows[0].due_at}} if rows else {}
        decision = admit(settings, [component_event("api", old, new, moment(now))], now, kept, {})
        assert not decision.send, "a held change goes nowhere yet"
        rows += decision.wait
    return rows, release(settings, rows, rows[0].due_at, {})


# ---------------------------------------------------------------- flap hold


def test_a_component_change_is_held_for_the_hold():
    now = at("2026-11-03 10:00")
    decision = admit(HOLD, [component_event("api", "operational", "major_outage", moment(now))], now, {}, {})
    assert decision.send == [] and [(w.reason, w.due_at) for w in decision.wait] == [("hold", now + 300)]
    assert decision.counts["held"] == 1


def test_a_component_back_where_it_was_within_the_hold_sends_nothing():
    rows, ended = hold_through([("operational", "major_outage"), ("major_outage", "operational")])
    assert ended.send == [] and ended.counts["suppressed"] == 2
    assert {row.due_at for row in rows} == {rows[0].due_at}, "the second change joined the first one's hold"


def test_a_change_that_lasts_the_hold_is_one_message_saying_when_it_began():
    rows, ended = hold_through([("operational", "partial_outage")])
    (message,) = ended.send
    assert (message.old_status, message.new_status) == ("operational", "partial_outage")
    assert message.since == rows[0].event.occurred_at
    assert ended.counts["suppressed"] == 0


def test_several_changes_within_one_hold_are_one_message_from_the_first_status_to_the_last():
    rows, ended = hold_through([("operational", "degraded_performance"), ("degraded_performance", "operational"),
                                ("operational", "major_outage")])
    (message,) = ended.send
    assert (message.old_status, message.new_status) == ("operational", "major_outage")
    assert message.since == rows[0].event.occurred_at
    assert message.id not in {row.event.id for row in rows}, "the message is none of the held changes"


def test_incidents_are_not_held_unless_below_hold_incidents_below():
    now = at("2026-11-03 10:00")
    minor = incident_event("i1", "investigating", "minor", at=moment(now))
    assert admit(HOLD, [minor], now, {}, {}).send == [minor]
    below_major = NoiseSettings(hold=300.0, hold_incidents_below="major")
    assert [w.reason for w in admit(below_major, [minor], now, {}, {}).wait] == ["hold"]
    major = incident_event("i2", "investigating", "major", at=moment(now))
    assert admit(below_major, [major], now, {}, {}).send == [major]


def test_a_held_incident_resolved_within_the_hold_is_not_sent():
    settings = NoiseSettings(hold=300.0, hold_incidents_below="major")
    now = at("2026-11-03 10:00")
    opened = admit(settings, [incident_event("i1", "investigating", at=moment(now))], now, {}, {})
    closed = admit(settings, [incident_event("i1", "resolved", n=2, at=moment(now + 60))], now + 60,
                   kept_of(opened), {})
    ended = release(settings, opened.wait + closed.wait, now + 300, {})
    assert ended.send == [] and ended.counts["suppressed"] == 2


def test_a_held_incident_still_open_when_the_hold_ends_goes_out_update_by_update():
    settings = NoiseSettings(hold=300.0, hold_incidents_below="major")
    now = at("2026-11-03 10:00")
    first, second = incident_event("i1", "investigating"), incident_event("i1", "identified", n=2)
    opened = admit(settings, [first, second], now, {}, {})
    assert release(settings, opened.wait, now + 300, {}).send == [first, second]


def test_an_incident_that_grows_past_the_threshold_goes_out_at_once_after_what_was_held():
    settings = NoiseSettings(hold=300.0, hold_incidents_below="major")
    now = at("2026-11-03 10:00")
    opened = admit(settings, [incident_event("i1", "investigating", "minor")], now, {}, {})
    worse = incident_event("i1", "identified", "critical", n=2)
    decision = admit(settings, [worse], now + 60, kept_of(opened), {})
    assert decision.flush == ["acme:incident:i1"] and decision.send == [worse] and decision.wait == []


# ---------------------------------------------------------------- quiet hours


def test_quiet_hours_defer_what_is_below_the_bar_until_they_end_across_midnight():
    now = at("2026-11-03 23:30")
    minor = incident_event("i1", "investigating", "minor")
    decision = admit(NIGHT, [minor], now, {}, {})
    assert decision.send == [] and [(w.reason, w.due_at) for w in decision.wait] == [("quiet", at("2026-11-04 07:00"))]
    assert decision.counts["deferred"] == 1
    assert admit(NIGHT, [minor], at("2026-11-04 07:00"), {}, {}).send == [minor], "the window has ended"
    assert admit(NIGHT, [minor], at("2026-11-03 21:59"), {}, {}).send == [minor], "nor begun"


def test_a_critical_event_goes_out_during_quiet_hours_after_what_its_thread_kept_back():
    now = at("2026-11-03 23:30")
    deferred = admit(NIGHT, [incident_event("i1", "investigating", "minor")], now, {}, {})
    critical = incident_event("i1", "identified", "critical", n=2)
    decision = admit(NIGHT, [critical], now + 60, kept_of(deferred), {})
    assert decision.send == [critical] and decision.flush == ["acme:incident:i1"]
    outage = component_event("api", "operational", "major_outage")
    assert admit(NIGHT, [outage], now, {}, {}).send == [outage], "a major outage is critical"


def test_quiet_hours_follow_the_local_clock_across_a_daylight_saving_change():
    # Europe/Berlin leaves summer time on 2026-10-25 at 03:00: that night lasts 10 hours, not 9.
    now = at("2026-10-24 22:00")
    (row,) = admit(NIGHT, [incident_event("i1", "investigating")], now, {}, {}).wait
    assert row.due_at == at("2026-10-25 07:00") and row.due_at - now == 10 * 3600
    # And enters it on 2026-03-29 at 02:00: that night lasts 8.
    now = at("2026-03-28 22:00")
    (row,) = admit(NIGHT, [incident_event("i1", "investigating")], now, {}, {}).wait
    assert row.due_at == at("2026-03-29 07:00") and row.due_at - now == 8 * 3600


def test_the_end_of_quiet_hours_sends_one_digest_of_what_waited():
    now = at("2026-11-03 23:30")
    events = [incident_event("i1", "investigating"), component_event("api", "operational", "degraded_performance")]
    rows = admit(NIGHT, events, now, {}, {}).wait
    ended = release(NIGHT, rows, at("2026-11-04 07:00"), {})
    (digest,) = ended.send
    assert digest.type == "digest" and list(digest.related) == events
    assert digest.since == moment(now) and digest.occurred_at == moment(at("2026-11-04 07:00"))
    assert ended.counts["digested"] == 2


def test_quiet_drop_resolved_leaves_out_what_is_over_and_sends_nothing_when_all_is():
    settings = NoiseSettings(quiet_hours=QuietHours(time(22), time(7)), timezone=BERLIN, quiet_drop_resolved=True)
    now = at("2026-11-03 23:30")
    over = [incident_event("i1", "investigating"), incident_event("i1", "resolved", n=2)]
    still = [component_event("api", "operational", "degraded_performance")]
    rows = admit(settings, over + still, now, {}, {}).wait
    (digest,) = release(settings, rows, at("2026-11-04 07:00"), {}).send
    assert list(digest.related) == still
    ended = release(settings, rows[:2], at("2026-11-04 07:00"), {})
    assert ended.send == [] and ended.counts["suppressed"] == 2


def test_a_hold_that_ends_during_quiet_hours_is_deferred_with_the_rest():
    settings = NoiseSettings(hold=300.0, quiet_hours=QuietHours(time(22), time(7)), timezone=BERLIN)
    now = at("2026-11-03 23:30")
    rows = admit(settings, [component_event("api", "operational", "degraded_performance")], now, {}, {}).wait
    ended = release(settings, rows, now + 300, {})
    assert ended.send == [] and [(w.reason, w.due_at) for w in ended.wait] == [("quiet", at("2026-11-04 07:00"))]


# ---------------------------------------------------------------- digest mode


def test_a_digest_channel_keeps_everything_for_the_end_of_its_period():
    settings = NoiseSettings(mode="digest", digest_every=86400.0, digest_at=time(9), timezone=BERLIN)
    now = at("2026-11-03 10:00")
    outage = component_event("api", "operational", "major_outage")
    decision = admit(settings, [outage], now, {}, {})
    assert decision.send == [] and [(w.reason, w.due_at) for w in decision.wait] == [("digest", at("2026-11-04 09:00"))]


def test_a_digest_period_with_nothing_in_it_sends_nothing():
    settings = NoiseSettings(mode="digest")
    assert release(settings, [], at("2026-11-04 00:00"), {}).send == []


# ---------------------------------------------------------------- reminders


def test_an_open_incident_is_reminded_of_after_the_period_from_its_latest_change():
    settings = NoiseSettings(remind_every=4 * 3600.0)
    now = at("2026-11-03 10:00")
    decision = admit(settings, [incident_event("i1", "investigating")], now, {}, {})
    (reminder,) = decision.remind
    assert reminder.due_at == now + 4 * 3600
    update = admit(settings, [incident_event("i1", "identified", n=2)], now + 3600, {}, {})
    assert update.remind[0].due_at == now + 5 * 3600, "each change starts the period again"
    assert admit(settings, [incident_event("i1", "resolved", n=3)], now + 7200, {}, {}).forget == ["acme:incident:i1"]


def test_a_due_reminder_tells_the_incident_as_it_stands_and_is_set_again():
    settings = NoiseSettings(remind_every=4 * 3600.0)
    opened = incident_event("i1", "investigating", at=moment(at("2026-11-03 10:00")))
    due = at("2026-11-03 14:00")
    assert opened.incident is not None
    now_shown = opened.incident.model_copy(update={"status": "identified"})
    decision = remind(settings, Reminder(opened.thread_key, due, opened), now_shown, due)
    (sent,) = decision.send
    assert sent.type == "incident.reminder" and sent.reply and sent.incident == now_shown
    assert sent.since == opened.incident.created_at and sent.thread_key == opened.thread_key
    assert [r.due_at for r in decision.remind] == [due + 4 * 3600]
    gone = remind(settings, Reminder(opened.thread_key, due, opened), None, due)
    assert gone.send == [] and gone.forget == [opened.thread_key]


def test_quiet_hours_keep_a_minor_reminder_for_their_end():
    settings = NoiseSettings(remind_every=3600.0, quiet_hours=QuietHours(time(22), time(7)), timezone=BERLIN)
    opened = incident_event("i1", "investigating", "minor")
    assert opened.incident is not None
    decision = remind(settings, Reminder(opened.thread_key, 0.0, opened), opened.incident, at("2026-11-03 23:00"))
    assert decision.send == [] and [r.due_at for r in decision.remind] == [at("2026-11-04 07:00")]


# ---------------------------------------------------------------- grouping


def test_an_incident_carries_the_component_changes_it_names_in_one_message():
    incident = incident_event("i1", "investigating", components=("api",))
    api, web = component_event("api", "operational", "major_outage"), component_event("web", "operational", "degraded_performance")
    (message, alone) = group([api, incident, web], {})
    assert message.id == incident.id and message.related == (api,)
    assert alone == web


def test_components_changing_together_are_one_message_in_a_thread_of_its_own():
    changes = [component_event(name, "operational", "major_outage") for name in ("api", "web", "db")]
    (message,) = group(changes, {})
    assert message.related == tuple(changes[1:]) and message.thread_key.startswith("acme:components:")
    assert group(changes[:1], {}) == changes[:1], "one change is told as it is"
    other = component_event("cdn", "operational", "major_outage", provider="beta")
    assert len(group([*changes, other], {})) == 2, "each provider's changes apart"


def test_a_component_named_by_an_open_incident_replies_in_its_thread():
    page = Snapshot.model_validate({
        "incidents": {"i1": incident_event("i1", "identified", components=("api",)).incident},
        "components": {"api": {"id": "api", "name": "API", "status": "major_outage"}},
    })
    tied = ties("acme", page)
    assert tied == {"acme:component:api": "acme:incident:i1"}
    (reply,) = group([component_event("api", "major_outage", "operational")], tied)
    assert reply.reply and reply.thread_key == "acme:incident:i1"


def test_an_ungrouped_channel_sends_each_event_alone():
    settings = NoiseSettings(group=False)
    changes = [component_event(name, "operational", "major_outage") for name in ("api", "web")]
    assert admit(settings, changes, at("2026-11-03 10:00"), {}, {}).send == changes
