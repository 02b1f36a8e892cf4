"""The catalog of presets and the registry built from it."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

import providers
from bot.model import Preset
from providers import FORMATS, PRESETS, catalog

# The kinds a preset may have: the formats registered now or being written for this release.
KINDS = {"statuspage", "incidentio", "feed", "gcp", "slack", "statusio"}

# Kinds whose URL is a base URL: the format appends its own paths.
BASE_URL_KINDS = {"statuspage", "incidentio", "gcp", "slack"}

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
    "circleci", "datadog", "dockerhub", "github", "gitlab", "linear", "npm", "pagerduty", "pypi", "sentry",
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


def test_the_catalog_is_large_enough() -> None:
    assert len(catalog.PRESETS) >= 80


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


@pytest.mark.parametrize("preset", catalog.PRESETS, ids=lambda preset: preset.name)
def test_every_preset_is_well_formed(preset: Preset) -> None:
    assert preset.kind in KINDS
    assert NAME.fullmatch(preset.name) and len(preset.name) <= 20
    assert preset.title.strip() == preset.title != ""
    assert preset.note.strip() == preset.note
    parts = urlsplit(preset.url)
    assert parts.scheme == "https" and parts.hostname
    assert not parts.query and not parts.fragment and not any(char.isspace() for char in preset.url)


@pytest.mark.parametrize(
    "preset", [p for p in catalog.PRESETS if p.kind in BASE_URL_KINDS], ids=lambda preset: preset.name
)
def test_base_url_kinds_have_a_bare_base_url(preset: Preset) -> None:
    assert urlsplit(preset.url).path == "" and not preset.url.endswith("/")


@pytest.mark.parametrize("preset", [p for p in catalog.PRESETS if p.kind == "feed"], ids=lambda p: p.name)
def test_a_feed_preset_is_the_feed_itself(preset: Preset) -> None:
    assert urlsplit(preset.url).path not in ("", "/")


@pytest.mark.parametrize("preset", [p for p in catalog.PRESETS if p.kind == "statusio"], ids=lambda p: p.name)
def test_a_statusio_preset_is_the_page_api_url(preset: Preset) -> None:
    parts = urlsplit(preset.url)
    assert parts.hostname == "api.status.io" and STATUSIO_API.fullmatch(parts.path)


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
    assert {p.kind for p in catalog.PRESETS} == set(FORMATS)


def test_a_duplicate_name_fails_fast() -> None:
    twice = (Preset("acme", "Acme", "statuspage", "https://a.test"),) * 2
    with pytest.raises(ValueError, match="duplicate preset name 'acme'"):
        providers._presets(twice)


def test_an_unknown_kind_fails_fast() -> None:
    odd = (Preset("acme", "Acme", "carrier-pigeon", "https://a.test"),)
    with pytest.raises(ValueError, match="unknown kind 'carrier-pigeon'"):
        providers._presets(odd)
