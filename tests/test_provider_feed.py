"""The feed format (RSS and Atom): authored payloads, real GitHub captures, and arbitrary feeds; what every format keeps is in test_format_contract."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.detect import detect
from bot.model import Document, Incident, ParseError, Snapshot
from providers import feed
from providers._feed_statuspage import resolve
from tests.strategies import parsed_or_refused

PAYLOADS = Path(__file__).parent / "payloads" / "feed"
FEED_URL = "https://status.acme.test/feed.atom"
NOW = datetime(2026, 8, 13, 12, tzinfo=UTC)


def parse(name: str, base_url: str = FEED_URL) -> Snapshot:
    return feed.FORMAT.parse("feed", (PAYLOADS / name).read_bytes(), base_url)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def phases(incident: Incident) -> list[tuple[str, str]]:
    return [(update.id, update.status) for update in incident.updates]


def rss(*items: str) -> bytes:
    """A minimal RSS 2.0 document around some `<item>` elements."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Acme</title>'
        f"<link>https://status.acme.test/</link>{''.join(items)}</channel></rss>"
    ).encode("utf-8", "surrogatepass")  # random text may hold lone surrogates


def item(title: str = "", description: str = "", guid: str = "", **fields: str) -> str:
    """One RSS item; `fields` are further elements (link, pubDate), given unescaped."""
    parts = {"title": title, "description": description, **fields}
    elements = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in parts.items() if v)
    # Not a permalink: feedparser would resolve it against the feed's URL.
    return f'<item>{elements}<guid isPermaLink="false">{escape(guid)}</guid></item>'


def events(old: Snapshot, new: Snapshot) -> list[tuple[str, str, str | None]]:
    found = detect("acme", "Acme", old, new, NOW)
    return [(e.type, e.incident.id, e.update.id if e.update else None) for e in found]


# ---------------------------------------------------------------- documents


@pytest.mark.parametrize(
    "url",
    [
        "https://www.githubstatus.com/history.atom",
        "https://rssfeed.azure.status.microsoft/en-us/status/feed/",
        "http://127.0.0.1:8000/acme/feed.rss?lang=en",
    ],
)
def test_the_document_is_the_configured_url_itself(url: str) -> None:
    assert feed.documents(url) == [Document("feed", url)]


# ---------------------------------------------------------------- Statuspage history.atom


@pytest.fixture(scope="module")
def history() -> Snapshot:
    return parse("github_history.atom", "https://www.githubstatus.com/history.atom")


def test_history_entries_are_incidents_keyed_by_the_api_code_of_their_link(
    history: Snapshot,
) -> None:
    assert list(history.incidents) == [
        "k3q9v7r2m1xd",
        "mnt7c0d3s9p1",
        "y2m0n3w4e5v6",
        "pk9d2w6x8c4h",
        "tag:www.githubstatus.com,2005:Incident/31455390",
    ]
    incident = history.incidents["k3q9v7r2m1xd"]
    assert incident.title == "Incident with Actions"
    assert incident.url == "https://www.githubstatus.com/incidents/k3q9v7r2m1xd"
    assert (incident.kind, incident.impact) == ("incident", "minor")
    assert history.components == {}


def test_history_updates_are_split_oldest_first_with_the_status_of_their_label(
    history: Snapshot,
) -> None:
    incident = history.incidents["k3q9v7r2m1xd"]
    # "Update" keeps the status before it; two updates share the minute 09:41.
    assert phases(incident) == [
        ("2026-01-02T09:30:00+00:00:investigating", "investigating"),
        ("2026-01-02T09:41:00+00:00:update", "investigating"),
        ("2026-01-02T09:41:00+00:00:identified", "identified"),
        ("2026-01-02T10:05:00+00:00:update", "identified"),
    ]
    assert incident.status == "identified"
    assert not incident.is_final
    assert incident.created_at == datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    assert incident.updated_at == datetime(2026, 1, 2, 10, 5, 12, tzinfo=UTC)


def test_history_update_bodies_are_text(history: Snapshot) -> None:
    bodies = [update.body for update in history.incidents["k3q9v7r2m1xd"].updates]
    assert bodies[1] == (
        "Some Actions jobs are queued for longer than usual.\n\n"
        "Self-hosted runners are not affected."
    )
    assert bodies[2] == "We have identified a faulty configuration change & are rolling it back."
    assert bodies[3].startswith("We’re continuing to roll back the change.")


def test_yearless_dates_take_the_year_of_the_entry_updated_time(history: Snapshot) -> None:
    # The entry was updated on 2026-01-01: its "Dec 31" updates are from 2025.
    incident = history.incidents["y2m0n3w4e5v6"]
    assert [update.created_at for update in incident.updates] == [
        datetime(2025, 12, 31, 23, 12, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 58, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 41, tzinfo=UTC),
    ]
    assert (incident.status, incident.is_final) == ("resolved", True)


def test_maintenances_are_told_by_their_labels(history: Snapshot) -> None:
    running = history.incidents["mnt7c0d3s9p1"]
    assert (running.kind, running.status, running.impact) == ("maintenance", "in_progress", "none")
    assert running.updates[0].created_at == datetime(2025, 12, 29, 17, 2, tzinfo=UTC)
    done = history.incidents["pk9d2w6x8c4h"]
    assert [update.status for update in done.updates] == [
        "scheduled",
        "in_progress",
        "verifying",
        "completed",
    ]
    assert (done.kind, done.is_final) == ("maintenance", True)


def test_an_entry_without_an_incident_link_keeps_its_entry_id(history: Snapshot) -> None:
    incident = history.incidents["tag:www.githubstatus.com,2005:Incident/31455390"]
    assert incident.url == ""
    # A first "Update" has no status before it; a repeat of time and label gets a counter.
    assert phases(incident) == [
        ("2025-12-17T13:58:00+00:00:update", "investigating"),
        ("2025-12-17T13:58:00+00:00:update#2", "investigating"),
        ("2025-12-17T14:22:00+00:00:resolved", "resolved"),
    ]


def test_a_root_cause_rewrite_is_an_edit_of_the_same_update() -> None:
    before = parse("github_history_rca_before.atom")
    after = parse("github_history_rca_after.atom")
    old, new = before.incidents["c0p1l0t7rca9"], after.incidents["c0p1l0t7rca9"]
    assert [u.id for u in old.updates] == [u.id for u in new.updates]
    assert [u.body for u in old.updates][:-1] == [u.body for u in new.updates][:-1]
    assert new.updates[-1].body.startswith("On January 5, 2026, between 14:02 UTC and 15:31 UTC")
    assert new.updated_at > old.updated_at
    assert events(before, after) == [
        ("incident.edited", "c0p1l0t7rca9", "2026-01-05T15:31:00+00:00:resolved")
    ]


def test_history_rss_reads_like_history_atom() -> None:
    updates = escape(
        "<p><small>Jul 9, 06:01 UTC</small><br><strong>Monitoring</strong> - Recovering.</p>"
        "<p><small>Jul 9, 05:40 UTC</small><br><strong>Investigating</strong> - Looking.</p>"
    )
    body = rss(
        "<item><title>Incident with Pages</title>"
        f"<description>{updates}</description><pubDate>Thu, 09 Jul 2026 06:01:22 +0000</pubDate>"
        "<link>https://www.githubstatus.com/incidents/p4g3s0k1x2y3</link>"
        '<guid isPermaLink="false">tag:www.githubstatus.com,2005:Incident/30837900</guid></item>',
        # An entry of the same feed without the update markup still counts, from its text.
        item("Incident with Gists", "We are investigating.", guid="tag:x,2005:Incident/1"),
    )
    snapshot = feed.FORMAT.parse("feed", body, "https://www.githubstatus.com/history.rss")
    incident = snapshot.incidents["p4g3s0k1x2y3"]
    assert phases(incident) == [
        ("2026-07-09T05:40:00+00:00:investigating", "investigating"),
        ("2026-07-09T06:01:00+00:00:monitoring", "monitoring"),
    ]
    bare = snapshot.incidents["tag:x,2005:Incident/1"]
    assert (bare.status, bare.updates) == ("investigating", ())


@pytest.mark.parametrize(
    ("when", "reference", "expected"),
    [
        ("Jul 9, 06:01 UTC", "2026-07-09T06:01:43+00:00", "2026-07-09T06:01:00+00:00"),
        ("Dec 31, 23:50 UTC", "2026-01-01T00:10:00+00:00", "2025-12-31T23:50:00+00:00"),
        # New Year's Day in Paris, still the old year in UTC.
        ("Jan 1, 00:30 CET", "2025-12-31T23:45:00+00:00", "2025-12-31T23:30:00+00:00"),
        ("Jul 9, 06:01 PDT", "2026-07-10T00:00:00+00:00", "2026-07-09T13:01:00+00:00"),
        ("Jul 9, 06:01", "2026-07-10T00:00:00+00:00", "2026-07-09T06:01:00+00:00"),
        ("Feb 29, 10:00 UTC", "2028-03-01T00:00:00+00:00", "2028-02-29T10:00:00+00:00"),
        # Displayed a few minutes after the entry's time: still this year, not last year.
        ("Jul 9, 06:05 UTC", "2026-07-09T06:01:00+00:00", "2026-07-09T06:05:00+00:00"),
        ("Jul 9, 06:01 XYZ", "2026-07-10T00:00:00+00:00", None),
        ("Feb 30, 10:00 UTC", "2026-03-01T00:00:00+00:00", None),
        ("Jul 9, 25:01 UTC", "2026-07-10T00:00:00+00:00", None),
        ("Foo 9, 06:01 UTC", "2026-07-10T00:00:00+00:00", None),
        ("yesterday", "2026-07-10T00:00:00+00:00", None),
        ("Jul 9, 06:01 UTC", None, None),
        # Too far after the entry in year 1, and there is no year 0.
        ("Jan 2, 00:30 UTC", "0001-01-01T00:00:00+00:00", None),
        ("Dec 31, 23:30 UTC", "9999-12-31T23:59:59+00:00", "9999-12-31T23:30:00+00:00"),
    ],
)
def test_yearless_dates(when: str, reference: str | None, expected: str | None) -> None:
    moment = resolve(when, utc(reference) if reference else None)
    assert moment == (utc(expected) if expected else None)


def test_a_history_entry_without_readable_times_keeps_stable_ids() -> None:
    content = escape(
        "<p><small>Jul 9, 06:01 XYZ</small><br><strong>Investigating</strong> - Looking.</p>"
    )
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>tag:x,2005:Incident/1</id>'
        f'<title>T</title><content type="html">{content}</content></entry></feed>'
    ).encode()
    incident = feed.FORMAT.parse("feed", atom, FEED_URL).incidents["tag:x,2005:Incident/1"]
    assert phases(incident) == [("Jul 9, 06:01 XYZ:investigating", "investigating")]
    assert incident.updates[0].created_at is None


# ---------------------------------------------------------------- AWS


@pytest.fixture(scope="module")
def aws() -> Snapshot:
    return parse("aws_ec2_us_east_1.rss", "https://status.aws.amazon.com/rss/ec2-us-east-1.rss")


def aws_incident(snapshot: Snapshot, subject: str) -> Incident:
    return next(i for i in snapshot.incidents.values() if i.title == subject)


def test_aws_items_are_grouped_by_service_and_subject(aws: Snapshot) -> None:
    assert sorted(incident.title for incident in aws.incidents.values()) == [
        "Increased API Error Rates",
        "Instance launch failures in a single Availability Zone",
    ]
    assert all(key.startswith("ec2-us-east-1:") for key in aws.incidents)


def test_aws_items_are_updates_keyed_by_guid_with_status_from_the_prefix(aws: Snapshot) -> None:
    incident = aws_incident(aws, "Increased API Error Rates")
    assert phases(incident) == [
        ("https://status.aws.amazon.com/#ec2-us-east-1_1639597699", "investigating"),
        ("https://status.aws.amazon.com/#ec2-us-east-1_1639598567", "investigating"),
        ("https://status.aws.amazon.com/#ec2-us-east-1_1639599392", "resolved"),
    ]
    assert (incident.status, incident.impact) == ("resolved", "minor")
    assert incident.url == "https://status.aws.amazon.com/"
    assert "Some customers may see throttling errors" in incident.updates[1].body


def test_aws_pst_and_pdt_dates_are_utc(aws: Snapshot) -> None:
    resolved = aws_incident(aws, "Increased API Error Rates")
    assert resolved.created_at == datetime(2021, 12, 15, 19, 48, 19, tzinfo=UTC)
    assert resolved.updated_at == datetime(2021, 12, 15, 20, 16, 32, tzinfo=UTC)
    active = aws_incident(aws, "Instance launch failures in a single Availability Zone")
    assert active.updates[0].created_at == datetime(2022, 6, 14, 16, 5, tzinfo=UTC)


def test_aws_service_disruption_is_major_and_unresolved(aws: Snapshot) -> None:
    active = aws_incident(aws, "Instance launch failures in a single Availability Zone")
    # Its newest body says other zones "are operating normally": only the title decides.
    assert (active.status, active.impact) == ("investigating", "major")


def test_aws_same_subject_in_another_region_is_another_incident() -> None:
    body = (PAYLOADS / "aws_ec2_us_east_1.rss").read_bytes()
    west = body.replace(b"#ec2-us-east-1_1639599392", b"#ec2-us-west-2_1639599392")
    snapshot = feed.FORMAT.parse("feed", west, FEED_URL)
    assert len(snapshot.incidents) == 3


def test_a_new_aws_item_is_a_new_update_of_the_same_incident() -> None:
    body = (PAYLOADS / "aws_ec2_us_east_1.rss").read_bytes()
    newest = item(
        "Informational message: [RESOLVED] Instance launch failures in a single Availability Zone",
        "Between 8:51 AM and 10:02 AM PDT some launches failed. The issue has been resolved.",
        guid="https://status.aws.amazon.com/#ec2-us-east-1_1655226200",
        pubDate="Tue, 14 Jun 2022 10:03:20 PDT",
    )
    later = body.replace(b"<item>", newest.encode() + b"<item>", 1)
    changes = events(feed.FORMAT.parse("feed", body, FEED_URL), feed.FORMAT.parse("feed", later, FEED_URL))
    assert [(kind, update) for kind, _, update in changes] == [
        ("incident.resolved", "https://status.aws.amazon.com/#ec2-us-east-1_1655226200")
    ]


# ---------------------------------------------------------------- Azure


def test_azure_with_no_items_is_all_clear() -> None:
    assert parse("azure_empty.rss") == Snapshot()


def test_azure_items_are_incidents_with_z_dates() -> None:
    snapshot = parse("azure_active.rss")
    assert list(snapshot.incidents) == ["TRK-7Q2F-LD8", "TRK-3HV1-W0P"]
    active = snapshot.incidents["TRK-7Q2F-LD8"]
    assert active.title == "Azure Front Door - Multiple regions"
    # "…within 60 minutes, or once the issue is mitigated" is a promise, not news.
    assert active.status == "investigating"
    assert active.created_at == datetime(2024, 3, 12, 9, 14, tzinfo=UTC)
    assert phases(active) == [("2024-03-12T09:14:00+00:00", "investigating")]
    assert active.updates[0].body.startswith("Impact Statement: Starting at 07:45 UTC")
    mitigated = snapshot.incidents["TRK-3HV1-W0P"]
    assert (mitigated.status, mitigated.is_final) == ("resolved", True)


def test_an_item_edited_in_place_is_an_edit() -> None:
    body = (PAYLOADS / "azure_active.rss").read_bytes()
    edited = body.replace(b"a configuration change", b"a recent configuration change")
    assert events(feed.FORMAT.parse("feed", body, FEED_URL), feed.FORMAT.parse("feed", edited, FEED_URL)) == [
        ("incident.edited", "TRK-7Q2F-LD8", "2024-03-12T09:14:00+00:00")
    ]


# ---------------------------------------------------------------- Better Stack


@pytest.fixture(scope="module")
def betterstack() -> Snapshot:
    return parse("betterstack.rss", "https://status.modal.com/feed.rss")


def test_betterstack_updates_of_one_incident_page_are_grouped(betterstack: Snapshot) -> None:
    incident = betterstack.incidents["https://status.modal.com/incident/503118"]
    assert incident.title == "Web endpoint degradation"
    assert incident.url == "https://status.modal.com/incident/503118"
    assert phases(incident) == [
        ("https://status.modal.com/incident/503118#9ad3e0", "investigating"),
        ("https://status.modal.com/incident/503118#f1c9a7", "resolved"),
    ]
    active = betterstack.incidents["https://status.modal.com/incident/503207"]
    assert active.status == "investigating"


def test_betterstack_items_sharing_a_guid_are_one_incident(betterstack: Snapshot) -> None:
    incident = betterstack.incidents["https://status.modal.com/#7e1d44a0"]
    assert incident.title == "Inference API went down"
    assert phases(incident) == [
        ("2026-03-06T18:02:55+00:00", "investigating"),
        ("2026-03-06T18:08:55+00:00", "resolved"),
    ]
    assert (incident.status, incident.impact) == ("resolved", "major")
    assert len(betterstack.incidents) == 3


# ---------------------------------------------------------------- text, dates, fallbacks


@pytest.fixture(scope="module")
def entities() -> Snapshot:
    return parse("entities.atom")


def test_html_titles_and_bodies_become_text_keeping_curly_quotes_and_cjk(
    entities: Snapshot,
) -> None:
    incident = entities.incidents["urn:uuid:8f7c1b2e-3d4a-4e5f-9a0b-1c2d3e4f5a6b"]
    assert incident.title == "東京リージョンでの遅延 & “timeouts” on Object Storage"
    body = incident.updates[0].body
    assert body.startswith("東京リージョン（ap-northeast-1）で、")
    assert "We’re seeing “elevated” latency & timeouts…\xa0Engineers are engaged." in body
    assert "alert" not in body  # feedparser drops scripts
    # "…when the issue is resolved" is a promise.
    assert incident.status == "investigating"


def test_relative_links_resolve_against_the_feed_url(entities: Snapshot) -> None:
    incident = entities.incidents["urn:uuid:8f7c1b2e-3d4a-4e5f-9a0b-1c2d3e4f5a6b"]
    assert incident.url == "https://status.acme.test/incidents/tokyo-latency"


def test_iso_dates_with_offsets_are_utc(entities: Snapshot) -> None:
    incident = entities.incidents["urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
    assert incident.created_at == datetime(2026, 2, 27, 21, 20, tzinfo=UTC)
    assert incident.updated_at == datetime(2026, 2, 27, 22, 5, 30, tzinfo=UTC)
    assert incident.status == "resolved"  # "[RESOLVED]" in the title
    # A plain-text summary keeps its angle brackets as text.
    assert incident.updates[0].body == (
        "The Billing API <v2> has fully recovered — all requests are succeeding."
    )


@pytest.fixture(scope="module")
def generic() -> Snapshot:
    return parse("generic.rss")


def test_items_without_a_guid_are_keyed_by_link_else_by_title_and_date(generic: Snapshot) -> None:
    link = "https://status.example-payments.test/incidents/2026-04-02-card-payments"
    assert generic.incidents[link].title == "Card payments failing in the EU"
    titled = [i for i in generic.incidents.values() if i.title == "Dashboard login errors"]
    assert len(titled) == 1 and len(titled[0].id) == 16
    assert len(generic.incidents) == 4  # the item with nothing in it is skipped


def test_generic_statuses(generic: Snapshot) -> None:
    statuses = {incident.title: incident.status for incident in generic.incidents.values()}
    assert statuses == {
        "Card payments failing in the EU": "investigating",
        "Dashboard login errors": "resolved",
        "Payouts delayed": "resolved",
        "Scheduled database maintenance completed": "resolved",
    }


def test_an_undated_item_is_undated(generic: Snapshot) -> None:
    incident = generic.incidents["payouts-2026-03-30"]
    assert (incident.created_at, incident.updated_at) == (None, None)
    assert incident.updates[0].created_at is None


def test_update_ids_of_undated_items_do_not_depend_on_their_text() -> None:
    body = (PAYLOADS / "generic.rss").read_bytes()
    edited = body.replace(b"Payouts are delayed.", b"Payouts to EU banks are delayed.")
    old, new = feed.FORMAT.parse("feed", body, FEED_URL), feed.FORMAT.parse("feed", edited, FEED_URL)
    update_id = old.incidents["payouts-2026-03-30"].updates[0].id
    assert events(old, new) == [("incident.edited", "payouts-2026-03-30", update_id)]


@pytest.mark.parametrize(
    ("title", "description", "status"),
    [
        ("Service A recovered", "", "resolved"),
        ("[Resolved] Login failures", "", "resolved"),
        ("Resolved: Login failures", "", "resolved"),
        ("Service is operating normally: Login failures", "", "resolved"),
        ("Investigating unresolved DNS lookups", "", "investigating"),
        ("Login failures", "This issue has been fully mitigated.", "resolved"),
        ("Login failures", "We have resolved the issue.", "resolved"),
        ("Login failures", "<p>Status: <b>Completed</b></p>", "resolved"),
        ("Login failures", "We will update you once the issue is resolved.", "investigating"),
        ("Login failures", "Impact will last until it is mitigated.", "investigating"),
        ("Login failures", "We are working to mitigate the impact.", "investigating"),
        ("Login failures", "", "investigating"),
    ],
)
def test_status_of_a_generic_item(title: str, description: str, status: str) -> None:
    body = rss(item(title, description, guid="g1", pubDate="Sat, 07 Mar 2026 10:00:00 GMT"))
    assert feed.FORMAT.parse("feed", body, FEED_URL).incidents["g1"].status == status


@pytest.mark.parametrize(
    ("title", "impact"),
    [
        ("Service disruption: Elevated errors", "major"),
        ("Partial outage of the API", "major"),
        ("API went down", "major"),
        ("Informational message: Elevated errors", "minor"),
        ("Slow dashboard", "minor"),
    ],
)
def test_impact_of_a_generic_item(title: str, impact: str) -> None:
    body = rss(item(title, "x", guid="g1"))
    assert feed.FORMAT.parse("feed", body, FEED_URL).incidents["g1"].impact == impact


def test_a_non_web_link_is_not_an_incident_url() -> None:
    body = rss(item("x", "y", guid="g1", link="javascript:alert(1)"))
    assert feed.FORMAT.parse("feed", body, FEED_URL).incidents["g1"].url == ""


def test_control_characters_are_cleaned() -> None:
    body = rss(item("a\x7fb", "c", guid="g\x7f1"))
    incident = feed.FORMAT.parse("feed", body, FEED_URL).incidents["g1"]
    assert incident.title == "ab"
    incident.model_dump_json()


# ---------------------------------------------------------------- faults tolerated


def test_a_wrongly_declared_charset_is_tolerated_when_items_parse() -> None:
    body = (PAYLOADS / "azure_active.rss").read_bytes()
    latin = body.replace(b"Virtual Machines", "Machines virtuelles é".encode("cp1252"))
    snapshot = feed.FORMAT.parse("feed", latin, FEED_URL)
    assert snapshot.incidents["TRK-3HV1-W0P"].title.startswith("Machines virtuelles é")


def test_a_wrongly_declared_charset_with_no_items_is_all_clear() -> None:
    body = (PAYLOADS / "azure_empty.rss").read_bytes().replace(b"Azure Status", b"Azur\xe9")
    assert feed.FORMAT.parse("feed", body, FEED_URL) == Snapshot()


def test_an_undefined_entity_is_tolerated_when_items_parse() -> None:
    body = rss('<item><title>Login&nbsp;failures</title><guid isPermaLink="false">g1</guid></item>')
    assert feed.FORMAT.parse("feed", body, FEED_URL).incidents["g1"].title == "Login failures"


# ---------------------------------------------------------------- unreadable documents


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_a_feed.html", "not an RSS or Atom feed: looks like an HTML page"),
        ("not_a_feed.json", "not an RSS or Atom feed: looks like JSON"),
        ("empty_body.rss", "empty body"),
        ("truncated.rss", "truncated feed: .*no element found"),
    ],
)
def test_unreadable_payloads_raise_parse_error(name: str, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}"):
        parse(name)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<?xml version='1.0'?><opml version='2.0'/>", "looks like XML of another kind"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel><title>x", "truncated feed"),
        (b"<rss version='2.0'><channel><title>x</title></channel>&bogus;</rss>", "malformed"),
        (b"\xff\xfe<\x00r\x00", "not an RSS or Atom feed"),
        (b"[1, 2]", "looks like JSON"),
        # feedparser opens a path or fetches a URL it is given as text: a body is never either.
        (str(PAYLOADS / "azure_active.rss").encode(), "not an RSS or Atom feed"),
        (b"https://status.acme.test/feed.rss", "not an RSS or Atom feed"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else None,
)
def test_odd_bodies_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        feed.FORMAT.parse("feed", body, FEED_URL)


def test_a_truncated_feed_with_items_is_not_read_as_fewer_items() -> None:
    body = (PAYLOADS / "aws_ec2_us_east_1.rss").read_bytes()
    with pytest.raises(ParseError, match=r"^truncated feed"):
        feed.FORMAT.parse("feed", body[: len(body) // 2], FEED_URL)


# ---------------------------------------------------------------- real captures


def real(folder: Path, name: str) -> Snapshot:
    body = (folder / "statuspage-atom" / name).read_bytes()
    return feed.FORMAT.parse("feed", body, "https://www.githubstatus.com/history.atom")


def test_every_real_capture_has_25_dated_incidents_linked_to_their_page(real_fixtures: Path) -> None:
    files = sorted((real_fixtures / "statuspage-atom").glob("*.atom"))
    assert files
    for path in files:
        snapshot = real(real_fixtures, path.name)
        assert len(snapshot.incidents) == 25, path.name
        for incident in snapshot.incidents.values():
            stamps = [update.created_at for update in incident.updates]
            assert None not in stamps, (path.name, incident.id)
            assert incident.url == f"https://www.githubstatus.com/incidents/{incident.id}"
            assert incident.updated_at is not None
            assert stamps[-1] <= incident.updated_at


def test_real_active_incident(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "githubstatus-history-2026-07-09-active-incident.atom")
    newest = next(iter(snapshot.incidents.values()))
    assert (newest.id, newest.title) == ("cstx3v63mklm", "Delays starting Actions runs")
    assert not newest.is_final
    assert (newest.kind, newest.status) == ("incident", "investigating")
    assert phases(newest) == [
        ("2026-07-09T04:34:00+00:00:investigating", "investigating"),
        ("2026-07-09T04:51:00+00:00:update", "investigating"),
        ("2026-07-09T06:01:00+00:00:update", "investigating"),
    ]
    assert newest.updates[0].body == (
        "We are investigating reports of degraded performance for Actions"
    )
    assert newest.updates[-1].body == "We are continuing to work on a mitigation."
    # Every other entry of that day's feed is over.
    assert [i.id for i in snapshot.incidents.values() if not i.is_final] == ["cstx3v63mklm"]


def test_real_maintenance_in_progress(real_fixtures: Path) -> None:
    snapshot = real(real_fixtures, "githubstatus-history-2025-05-30-maintenance-in-progress.atom")
    running = [
        incident
        for incident in snapshot.incidents.values()
        if incident.kind == "maintenance" and not incident.is_final
    ]
    assert [(m.id, m.status) for m in running] == [("nwjwwhj118sf", "in_progress")]
    assert [u.status for u in running[0].updates] == ["scheduled", "in_progress"]
    kinds = [incident.kind for incident in snapshot.incidents.values()]
    assert kinds.count("maintenance") == 4


def test_real_root_cause_rewrite_is_one_edit(real_fixtures: Path) -> None:
    before = real(real_fixtures, "githubstatus-history-2026-08-12-before-rca-edit.atom")
    after = real(real_fixtures, "githubstatus-history-2026-08-13-after-rca-edit.atom")
    old, new = before.incidents["dsrfymph7my0"], after.incidents["dsrfymph7my0"]
    assert [u.id for u in old.updates] == [u.id for u in new.updates]
    changed = [u.id for u, v in zip(old.updates, new.updates) if u.body != v.body]
    assert changed == ["2026-07-29T21:51:00+00:00:resolved"]
    assert old.updates[-1].body.startswith("This incident has been resolved.")
    assert new.updates[-1].body.startswith("On July 29, 2026, between 19:45 UTC and 21:51 UTC")
    found = events(before, after)
    assert [e for e in found if e[1] == "dsrfymph7my0"] == [
        ("incident.edited", "dsrfymph7my0", "2026-07-29T21:51:00+00:00:resolved")
    ]
    # The day's other changes: new incidents, and more root-cause rewrites of Resolved updates.
    assert {kind for kind, incident_id, _ in found if incident_id in before.incidents} == {
        "incident.edited"
    }
    assert all(u.endswith(":resolved") for kind, _, u in found if kind == "incident.edited")


def test_real_capture_with_a_test_incident_parses(real_fixtures: Path) -> None:
    name = "githubstatus-history-2026-07-28-with-test-incident-later-deleted.atom"
    incident = real(real_fixtures, name).incidents["9lsvw3fcpbxm"]
    assert incident.title.startswith("Test Incident Posted in Error – No Customer Impact")
    assert [u.status for u in incident.updates] == ["investigating", "investigating", "resolved"]


# ---------------------------------------------------------------- arbitrary input


def parses_or_raises_parse_error(body: bytes) -> None:
    snapshot = parsed_or_refused(feed.FORMAT.parse, "feed", body, FEED_URL)
    assert snapshot is None or snapshot.components == {}


TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "Service is operating normally: [RESOLVED] x",
            "https://status.aws.amazon.com/#ec2-us-east-1_1639599392",
            "https://status.modal.com/incident/1#h",
            "Wed, 15 Dec 2021 12:16:32 PST",
            "Tue, 12 Mar 2024 01:09:00 Z",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "&nbsp;",
            "<![CDATA[x]]>",
            "\ud800",
        ]
    ),
)
HEADER = st.builds(
    "<p><small>{} {}, {}:{} {}</small><br><strong>{}</strong> - {}</p>".format,
    st.sampled_from(["Jan", "Feb", "Dec", "Foo"]),
    st.integers(0, 32),
    st.integers(0, 25),
    st.sampled_from(["00", "59", "61"]),
    st.sampled_from(["UTC", "PDT", "XYZ", ""]),
    st.sampled_from(["Update", "Resolved", "In progress", "Completed", "—", "x" * 41]),
    TEXT,
)


def markup(value: str, raw: bool) -> str:
    """Text put into XML either escaped or as it is (then often not well-formed)."""
    return value if raw else escape(value)


RSS_ITEM = st.builds(
    lambda title, description, guid, link, date, raw: (
        f"<item><title>{markup(title, raw)}</title>"
        f"<description>{markup(description, raw)}</description>"
        f"<guid>{markup(guid, raw)}</guid><link>{markup(link, raw)}</link>"
        f"<pubDate>{markup(date, raw)}</pubDate></item>"
    ),
    TEXT,
    st.one_of(TEXT, st.lists(HEADER, max_size=3).map("".join)),
    TEXT,
    TEXT,
    TEXT,
    st.booleans(),
)
ATOM_ENTRY = st.builds(
    lambda title, content, identifier, link, date: (
        f"<entry><id>{escape(identifier)}</id><title>{escape(title)}</title>"
        f'<link href="{escape(link, {chr(34): "&quot;"})}"/>'
        f"<updated>{escape(date)}</updated><published>{escape(date)}</published>"
        f'<content type="html">{escape(content)}</content></entry>'
    ),
    TEXT,
    st.lists(HEADER, max_size=4).map("".join),
    TEXT,
    st.one_of(TEXT, st.just("https://www.githubstatus.com/incidents/abc123")),
    st.one_of(TEXT, st.just("2026-01-01T00:10:00Z")),
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(items=st.lists(RSS_ITEM, max_size=4))
def test_arbitrary_rss_documents(items: list[str]) -> None:
    parses_or_raises_parse_error(rss(*items))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(entries=st.lists(ATOM_ENTRY, max_size=4))
def test_arbitrary_atom_documents(entries: list[str]) -> None:
    atom = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>{"".join(entries)}</feed>'
    parses_or_raises_parse_error(atom.encode("utf-8", "surrogatepass"))
