"""The catalog of presets and the registry built from it."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

import providers
from bot.model import Preset
from providers import FORMATS, PRESETS, catalog

REQUIRED = {
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
}


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_presets(name: str) -> None:
    preset = PRESETS[name]
    assert (preset.kind, preset.url) == REQUIRED[name]


@pytest.mark.parametrize("preset", catalog.PRESETS, ids=lambda preset: preset.name)
def test_every_preset_is_well_formed(preset: Preset) -> None:
    assert preset.kind in FORMATS
    parts = urlsplit(preset.url)
    assert parts.scheme == "https" and parts.netloc
    # A base URL: the format appends its own paths.
    assert parts.path in ("", "/") and not parts.query and not preset.url.endswith("/")
    assert preset.name == preset.name.strip().lower() and preset.name.isidentifier()
    assert preset.title.strip()


def test_names_are_unique() -> None:
    counts = Counter(preset.name for preset in catalog.PRESETS)
    assert [name for name, count in counts.items() if count > 1] == []
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
