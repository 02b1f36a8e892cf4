"""The catalog of presets and the registry built from it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

import pytest

import providers
from bot.model import AUTO_KIND, EVIDENCE_KINDS, Preset
from providers import FORMATS, PRESETS, catalog

# The kinds a preset may have: every registered format, or detection at the first poll.
KINDS = {*FORMATS, AUTO_KIND}

# Kinds whose URL is a base URL: the format appends its own paths (detection starts from one).
BASE_URL_KINDS = {"statuspage", "incidentio", "instatus", "betterstack", "cachet", "gcp", "slack", AUTO_KIND}

NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STATUSIO_API = re.compile(r"/1\.0/status/[0-9a-f]{24}")

REQUIRED_NAMES = {
    # AI
    "anthropic", "cohere", "groq", "openai",
    # Atlassian and its products
    "atlassian", "bitbucket", "confluence", "jira", "opsgenie", "statuspage", "trello",
    # clouds, hosting, CDNs
    "aws", "azure", "cloudflare", "digitalocean", "fastly", "gcp", "heroku", "netlify", "vercel",
    # developer tools and registries
    "circleci", "datadog", "github", "gitlab", "linear", "npm", "pypi", "sentry",
    # data
    "mongodb", "supabase",
    # communication, email, apps
    "discord", "dropbox", "figma", "mailgun", "notion", "reddit", "sendgrid", "slack", "twilio", "twitch", "zoom",
    # commerce
    "shopify", "stripe",
}

KEY_KINDS = {
    "openai": "incidentio",
    "github": "statuspage",
    "gcp": "gcp",
    "slack": "slack",
    "aws": "feed",
    "azure": "feed",
    "gitlab": "statusio",
}

# Presets whose address the reference gives verbatim.
REFERENCE_URLS = {
    "openai": ("incidentio", "https://status.openai.com"),
    "cohere": ("incidentio", "https://status.cohere.com"),
    "groq": ("incidentio", "https://groqstatus.com"),
    "linear": ("incidentio", "https://linearstatus.com"),
    "github": ("statuspage", "https://www.githubstatus.com"),
    "cloudflare": ("statuspage", "https://www.cloudflarestatus.com"),
    "anthropic": ("statuspage", "https://status.claude.com"),
    "discord": ("statuspage", "https://discordstatus.com"),
    "atlassian": ("statuspage", "https://status.atlassian.com"),
    "twilio": ("statuspage", "https://status.twilio.com"),
    "zoom": ("statuspage", "https://status.zoom.us"),
    "npm": ("statuspage", "https://status.npmjs.org"),
    "digitalocean": ("statuspage", "https://status.digitalocean.com"),
    "vercel": ("statuspage", "https://www.vercel-status.com"),
    "gcp": ("gcp", "https://status.cloud.google.com"),
    "slack": ("slack", "https://slack-status.com"),
    "azure": ("feed", "https://rssfeed.azure.status.microsoft/en-us/status/feed/"),
    "gitlab": ("statusio", "https://api.status.io/1.0/status/5b36dc6502d06804c08349f7"),
}

BY_NAME = {preset.name: preset for preset in catalog.PRESETS}


def test_the_catalog_is_large_enough_and_confirmed() -> None:
    assert sum(preset.evidence is not None for preset in catalog.PRESETS) >= 250


def offenders(check: Callable[[Preset], None], kinds: Collection[str] | None = None) -> list[str]:
    """Each preset (of `kinds`) that `check` fails, with its message: one test covers the catalog
    (a test per preset would be a thousand tests to schedule)."""
    found = []
    for preset in catalog.PRESETS:
        if kinds is None or preset.kind in kinds:
            try:
                check(preset)
            except AssertionError as failure:
                found.append(f"{preset.name}: {failure}")
    return found


def test_every_preset_says_what_confirmed_it_or_is_detected() -> None:
    assert offenders(says_what_confirmed_it) == []


def says_what_confirmed_it(preset: Preset) -> None:
    if preset.kind == AUTO_KIND:
        assert preset.evidence is None, "a confirmed platform is a kind, not auto"
        return
    assert preset.evidence is not None, "an unconfirmed platform is detected (kind auto), not guessed"
    assert preset.evidence.by in EVIDENCE_KINDS
    source = preset.evidence.source
    assert source.strip() == source != "" and "\n" not in source and len(source) <= 200


# Presets a check against public sources found on another platform or address than listed.
MOVED = {
    "notion": ("statuspage", "https://www.notion-status.com"),
    "stripe": ("statuspage", "https://www.stripestatus.com"),
    "intercom": ("incidentio", "https://www.finstatus.com"),
    "fastly": ("feed", "https://www.fastlystatus.com/rss/"),
}


@pytest.mark.parametrize("name", sorted(MOVED))
def test_presets_found_on_another_platform_were_moved(name: str) -> None:
    assert (BY_NAME[name].kind, BY_NAME[name].url) == MOVED[name]


def test_pages_that_cannot_work_as_listed_are_not_presets() -> None:
    # PagerDuty's own status product has no Statuspage API (its /api/v2 answers 404).
    assert "pagerduty" not in BY_NAME


def test_every_required_preset_exists() -> None:
    assert sorted(REQUIRED_NAMES - set(BY_NAME)) == []


@pytest.mark.parametrize("name", sorted(KEY_KINDS))
def test_key_presets_have_their_kind(name: str) -> None:
    assert BY_NAME[name].kind == KEY_KINDS[name]


@pytest.mark.parametrize("name", sorted(REFERENCE_URLS))
def test_presets_from_the_reference(name: str) -> None:
    preset = BY_NAME[name]
    assert (preset.kind, preset.url) == REFERENCE_URLS[name]


def test_aws_watches_one_service_region_and_says_so() -> None:
    aws = BY_NAME["aws"]
    assert re.fullmatch(r"https://status\.aws\.amazon\.com/rss/[a-z0-9-]+\.rss", aws.url)
    assert "one feed per service and region" in aws.note


def test_every_preset_is_well_formed() -> None:
    assert offenders(well_formed) == []


def well_formed(preset: Preset) -> None:
    assert preset.kind in KINDS
    assert NAME.fullmatch(preset.name) and len(preset.name) <= 20
    assert preset.title.strip() == preset.title != ""
    assert preset.note.strip() == preset.note
    parts = urlsplit(preset.url)
    assert parts.scheme == "https" and parts.hostname
    assert not parts.query and not parts.fragment and not any(char.isspace() for char in preset.url)


def test_base_url_kinds_have_a_bare_base_url() -> None:
    def bare(preset: Preset) -> None:
        assert urlsplit(preset.url).path == "" and not preset.url.endswith("/")

    assert offenders(bare, BASE_URL_KINDS) == []


def test_a_feed_preset_is_the_feed_itself() -> None:
    def a_feed(preset: Preset) -> None:
        assert urlsplit(preset.url).path not in ("", "/")

    assert offenders(a_feed, {"feed"}) == []


def test_a_statusio_preset_is_the_page_api_url() -> None:
    def the_api(preset: Preset) -> None:
        parts = urlsplit(preset.url)
        assert parts.hostname == "api.status.io" and STATUSIO_API.fullmatch(parts.path)

    assert offenders(the_api, {"statusio"}) == []


def test_names_are_unique() -> None:
    counts = Counter(preset.name for preset in catalog.PRESETS)
    assert [name for name, count in counts.items() if count > 1] == []


@pytest.mark.parametrize("section", [catalog.ai, catalog.business, catalog.clouds, catalog.developer],
                         ids=lambda module: module.__name__.rsplit(".", 1)[-1])
def test_each_section_is_alphabetical(section) -> None:
    names = [preset.name for preset in section.PRESETS]
    assert names == sorted(names)


def test_the_registry_keeps_the_catalog_order() -> None:
    assert list(PRESETS) == [p.name for p in catalog.PRESETS]


def test_every_format_has_a_preset() -> None:
    assert {p.kind for p in catalog.PRESETS} - {AUTO_KIND} == set(FORMATS)


def test_a_duplicate_name_fails_fast() -> None:
    twice = (Preset("acme", "Acme", "statuspage", "https://a.test"),) * 2
    with pytest.raises(ValueError, match="duplicate preset name 'acme'"):
        providers._presets(twice)


def test_an_unknown_kind_fails_fast() -> None:
    odd = (Preset("acme", "Acme", "carrier-pigeon", "https://a.test"),)
    with pytest.raises(ValueError, match="unknown kind 'carrier-pigeon'"):
        providers._presets(odd)
