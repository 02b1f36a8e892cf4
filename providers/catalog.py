"""Well-known status pages under short names: `name = "github"` in the config is enough.

Platforms change (OpenAI left Atlassian for incident.io, Cloudflare added its own API): `note`
says where the platform or the address is not confirmed by a captured payload or a recent client.
Sources: ../shared/reference/status-pages.md §2 and §4.
"""

from __future__ import annotations

from bot.model import Preset

_UNCONFIRMED = (
    "Platform not confirmed by a captured payload: check that /api/v2/summary.json answers."
)

PRESETS: tuple[Preset, ...] = (
    # incident.io (Statuspage-compatible API)
    Preset("openai", "OpenAI", "incidentio", "https://status.openai.com"),
    Preset("cohere", "Cohere", "incidentio", "https://status.cohere.com"),
    Preset("groq", "Groq", "incidentio", "https://groqstatus.com"),
    Preset("linear", "Linear", "incidentio", "https://linearstatus.com"),
    Preset("elevenlabs", "ElevenLabs", "incidentio", "https://status.elevenlabs.io"),
    Preset("stability", "Stability AI", "incidentio", "https://status.stability.ai"),
    Preset("neon", "Neon", "incidentio", "https://neonstatus.com", _UNCONFIRMED),
    Preset("jetbrains", "JetBrains", "incidentio", "https://status.jetbrains.cloud", _UNCONFIRMED),
    # Atlassian Statuspage
    Preset("github", "GitHub", "statuspage", "https://www.githubstatus.com"),
    Preset(
        "cloudflare",
        "Cloudflare",
        "statuspage",
        "https://www.cloudflarestatus.com",
        "Cloudflare's own front end reads /api/v3 since 2026; check that /api/v2 still answers.",
    ),
    Preset("anthropic", "Anthropic (Claude)", "statuspage", "https://status.claude.com"),
    Preset("discord", "Discord", "statuspage", "https://discordstatus.com"),
    Preset("atlassian", "Atlassian", "statuspage", "https://status.atlassian.com"),
    Preset("jira", "Jira", "statuspage", "https://jira-software.status.atlassian.com"),
    Preset("confluence", "Confluence", "statuspage", "https://confluence.status.atlassian.com"),
    Preset("trello", "Trello", "statuspage", "https://trello.status.atlassian.com"),
    Preset(
        "bitbucket",
        "Bitbucket",
        "statuspage",
        "https://bitbucket.status.atlassian.com",
        "Formerly status.bitbucket.org; address not confirmed by a recent client.",
    ),
    Preset("twilio", "Twilio", "statuspage", "https://status.twilio.com"),
    Preset("zoom", "Zoom", "statuspage", "https://status.zoom.us"),
    Preset("npm", "npm", "statuspage", "https://status.npmjs.org"),
    Preset("digitalocean", "DigitalOcean", "statuspage", "https://status.digitalocean.com"),
    Preset("vercel", "Vercel", "statuspage", "https://www.vercel-status.com"),
    Preset("cloudamqp", "CloudAMQP", "statuspage", "https://status.cloudamqp.com"),
    Preset("cursor", "Cursor", "statuspage", "https://status.cursor.com"),
    Preset("sentry", "Sentry", "statuspage", "https://status.sentry.io"),
    Preset("newrelic", "New Relic", "statuspage", "https://status.newrelic.com"),
    Preset("sendgrid", "SendGrid", "statuspage", "https://status.sendgrid.com"),
    Preset("mailgun", "Mailgun", "statuspage", "https://status.mailgun.com"),
    Preset("pypi", "PyPI", "statuspage", "https://status.python.org"),
    Preset("circleci", "CircleCI", "statuspage", "https://circleci.statuspage.io"),
    Preset("codecov", "Codecov", "statuspage", "https://status.codecov.io"),
    Preset(
        "fastly",
        "Fastly",
        "statuspage",
        "https://status.fastly.com",
        "Address from a 2022 client; Fastly may have moved its page since.",
    ),
    Preset(
        "pagerduty",
        "PagerDuty",
        "statuspage",
        "https://status.pagerduty.com",
        "Address from a 2022 client; PagerDuty may have moved its page since.",
    ),
    Preset("reddit", "Reddit", "statuspage", "https://www.redditstatus.com", _UNCONFIRMED),
    Preset("dropbox", "Dropbox", "statuspage", "https://status.dropbox.com", _UNCONFIRMED),
    Preset("datadog", "Datadog", "statuspage", "https://status.datadoghq.com", _UNCONFIRMED),
    Preset("netlify", "Netlify", "statuspage", "https://www.netlifystatus.com", _UNCONFIRMED),
)
