"""Presets: Developer platforms: code hosting, CI, registries, observability, incident management, product analytics.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Preset

PRESETS: tuple[Preset, ...] = (
    Preset(
        "amplitude",
        "Amplitude",
        "statuspage",
        "https://status.amplitude.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "bitbucket",
        "Bitbucket",
        "statuspage",
        "https://bitbucket.status.atlassian.com",
        "Formerly status.bitbucket.org; address not confirmed by a recent client.",
    ),
    Preset("circleci", "CircleCI", "statuspage", "https://circleci.statuspage.io"),
    Preset("codecov", "Codecov", "statuspage", "https://status.codecov.io"),
    Preset(
        "contentful",
        "Contentful",
        "statuspage",
        "https://www.contentfulstatus.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "coveralls",
        "Coveralls",
        "statuspage",
        "https://status.coveralls.io",
        "Platform from statuscheck (2022), not the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "datadog",
        "Datadog",
        "statuspage",
        "https://status.datadoghq.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "dockerhub",
        "Docker Hub",
        "statusio",
        "https://api.status.io/1.0/status/533c6539221ae15e3f000031",
        "status.io page id from statuscheck (2020), still read from www.dockerstatus.com by a recent client; not confirmed by a payload: Docker may have moved platform.",
    ),
    Preset("github", "GitHub", "statuspage", "https://www.githubstatus.com"),
    Preset(
        "gitlab",
        "GitLab",
        "statusio",
        "https://api.status.io/1.0/status/5b36dc6502d06804c08349f7",
        "status.io page id per the reference (2020): GitLab may have moved since.",
    ),
    Preset(
        "grafana",
        "Grafana Cloud",
        "statuspage",
        "https://status.grafana.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "hashicorp",
        "HashiCorp (HCP, Terraform)",
        "statuspage",
        "https://status.hashicorp.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("jetbrains", "JetBrains", "incidentio", "https://status.jetbrains.cloud"),
    Preset("jira", "Jira", "statuspage", "https://jira-software.status.atlassian.com"),
    Preset(
        "jsm",
        "Jira Service Management",
        "statuspage",
        "https://jira-service-management.status.atlassian.com",
        "Atlassian product page, address not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "launchdarkly",
        "LaunchDarkly",
        "statuspage",
        "https://status.launchdarkly.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("linear", "Linear", "incidentio", "https://linearstatus.com"),
    Preset(
        "mapbox",
        "Mapbox",
        "statuspage",
        "https://status.mapbox.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "mixpanel",
        "Mixpanel",
        "statuspage",
        "https://status.mixpanel.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("newrelic", "New Relic", "statuspage", "https://status.newrelic.com"),
    Preset("npm", "npm", "statuspage", "https://status.npmjs.org"),
    Preset(
        "opsgenie",
        "Opsgenie",
        "statuspage",
        "https://opsgenie.status.atlassian.com",
        "Atlassian product page, address not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "pagerduty",
        "PagerDuty",
        "statuspage",
        "https://status.pagerduty.com",
        "Address from a 2022 client; PagerDuty may have moved its page since.",
    ),
    Preset(
        "postman",
        "Postman",
        "statuspage",
        "https://status.postman.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("pypi", "PyPI", "statuspage", "https://status.python.org"),
    Preset(
        "segment",
        "Twilio Segment",
        "statuspage",
        "https://status.segment.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("sentry", "Sentry", "statuspage", "https://status.sentry.io"),
    Preset(
        "statuspage",
        "Atlassian Statuspage",
        "statuspage",
        "https://metastatuspage.com",
        "Atlassian product page, address not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
)
