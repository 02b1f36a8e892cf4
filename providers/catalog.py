"""Well-known status pages under short names: `name = "github"` in the config is enough.

Grouped by kind, alphabetical within a group. `url` is what the kind expects: the page's base URL
(statuspage, incidentio, gcp, slack), the feed's own URL (feed) or the page's API URL (statusio).

Platforms change (OpenAI left Atlassian for incident.io, Cloudflare added its own API): `note`
says where the platform or the address is not confirmed by the reference, and what to check.
Sources: ../shared/reference/status-pages.md §2, §3 and §4; for entries with a note, public
third-party clients (aiwatch `worker/src/services.ts`, statuscheck `statuscheck/services/`, and
others) or the maintainers' knowledge.
"""

from __future__ import annotations

from bot.model import Preset

_UNCONFIRMED = "Platform not confirmed by the reference: check that /api/v2/summary.json answers."
_AIWATCH = (
    "Platform and address from a 2026 third-party client (aiwatch), not the reference: "
    "check that /api/v2/summary.json answers."
)
_ATLASSIAN = (
    "Atlassian product page, address not confirmed by the reference: "
    "check that /api/v2/summary.json answers."
)
_BETTER_STACK = (
    "Better Stack page (reference §3); host from a 2026 client, /feed.rss from Better Stack's docs: "
    "check that the feed answers."
)
_INCIDENTIO_UNCONFIRMED = (
    "incident.io page: its Statuspage-compatible API is not confirmed by a client: "
    "check that /api/v2/summary.json answers."
)

PRESETS: tuple[Preset, ...] = (
    # feed: any RSS/Atom feed; the URL is the feed itself
    Preset(
        "aws",
        "AWS (EC2, us-east-1)",
        "feed",
        "https://status.aws.amazon.com/rss/ec2-us-east-1.rss",
        "AWS has one feed per service and region (https://status.aws.amazon.com/rss/<service>-<region>.rss);"
        " this one is EC2 in us-east-1 only: add a page of your own with kind feed for the others.",
    ),
    Preset(
        "azure",
        "Microsoft Azure",
        "feed",
        "https://rssfeed.azure.status.microsoft/en-us/status/feed/",
        "Lists only current Azure incidents; usually empty while all is well.",
    ),
    Preset(
        "firebase",
        "Firebase",
        "feed",
        "https://status.firebase.google.com/en/feed.atom",
        "Address from a third-party client, not the reference: check that the feed answers.",
    ),
    Preset(
        "google-workspace",
        "Google Workspace",
        "feed",
        "https://www.google.com/appsstatus/dashboard/en/feed.atom",
        "Address from third-party clients, not the reference: check that the feed answers.",
    ),
    Preset(
        "heroku",
        "Heroku",
        "feed",
        "https://status.heroku.com/feed",
        "Heroku's own JSON API (/api/v4/current-status) is not a supported kind, so this is its feed;"
        " address from third-party clients, not the reference: check that it answers.",
    ),
    Preset("huggingface", "Hugging Face", "feed", "https://status.huggingface.co/feed.rss", _BETTER_STACK),
    Preset("modal", "Modal", "feed", "https://status.modal.com/feed.rss", _BETTER_STACK),
    Preset(
        "oci",
        "Oracle Cloud Infrastructure",
        "feed",
        "https://ocistatus.oraclecloud.com/api/v2/incident-summary.rss",
        "Not Statuspage despite the /api/v2 path; address from third-party clients, not the reference.",
    ),
    Preset(
        "paypal",
        "PayPal",
        "feed",
        "https://www.paypal-status.com/feed/rss",
        "Address from third-party clients, not the reference: check that the feed answers.",
    ),
    Preset(
        "stripe",
        "Stripe",
        "feed",
        "https://status.stripe.com/current/atom.xml",
        "Stripe runs its own page; feed address from third-party clients, not the reference:"
        " check that it answers.",
    ),
    Preset("together", "Together AI", "feed", "https://status.together.ai/feed.rss", _BETTER_STACK),
    Preset(
        "xai",
        "xAI",
        "feed",
        "https://status.x.ai/feed.xml",
        "Address from a 2026 third-party client (aiwatch), not the reference: check that the feed answers.",
    ),
    # gcp: Google Cloud's incidents.json
    Preset("gcp", "Google Cloud", "gcp", "https://status.cloud.google.com"),
    # incidentio: incident.io's Statuspage-compatible API
    Preset("cohere", "Cohere", "incidentio", "https://status.cohere.com"),
    Preset("elevenlabs", "ElevenLabs", "incidentio", "https://status.elevenlabs.io"),
    Preset(
        "fireworks",
        "Fireworks AI",
        "incidentio",
        "https://status.fireworks.ai",
        "The reference lists Fireworks on Better Stack; a 2026 client (aiwatch) saw it move to incident.io:"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("groq", "Groq", "incidentio", "https://groqstatus.com"),
    Preset("jetbrains", "JetBrains", "incidentio", "https://status.jetbrains.cloud"),
    Preset("linear", "Linear", "incidentio", "https://linearstatus.com"),
    Preset("neon", "Neon", "incidentio", "https://neonstatus.com", _INCIDENTIO_UNCONFIRMED),
    Preset("openai", "OpenAI", "incidentio", "https://status.openai.com"),
    Preset(
        "perplexity",
        "Perplexity",
        "incidentio",
        "https://status.perplexity.com",
        "Moved from Instatus to incident.io in 2026-09 (reference §2); the compatible API is not confirmed"
        " by a client: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "replicate",
        "Replicate",
        "incidentio",
        "https://www.replicatestatus.com",
        "incident.io per a 2026 client (aiwatch); the reference mentions a move to Cloudflare:"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("stability", "Stability AI", "incidentio", "https://status.stability.ai"),
    # slack: Slack's own status API
    Preset("slack", "Slack", "slack", "https://slack-status.com"),
    # statusio: status.io's public API, by page id
    Preset(
        "dockerhub",
        "Docker Hub",
        "statusio",
        "https://api.status.io/1.0/status/533c6539221ae15e3f000031",
        "status.io page id from statuscheck (2020), still read from www.dockerstatus.com by a recent client;"
        " not confirmed by a payload: Docker may have moved platform.",
    ),
    Preset(
        "gitlab",
        "GitLab",
        "statusio",
        "https://api.status.io/1.0/status/5b36dc6502d06804c08349f7",
        "status.io page id per the reference (2020): GitLab may have moved since.",
    ),
    # statuspage: Atlassian Statuspage
    Preset("airtable", "Airtable", "statuspage", "https://status.airtable.com"),
    Preset(
        "akamai",
        "Akamai",
        "statuspage",
        "https://www.akamaistatus.com",
        "Platform from a third-party client's 2026 live check, not the reference.",
    ),
    Preset("amplitude", "Amplitude", "statuspage", "https://status.amplitude.com", _UNCONFIRMED),
    Preset("anthropic", "Anthropic (Claude)", "statuspage", "https://status.claude.com"),
    Preset("assemblyai", "AssemblyAI", "statuspage", "https://status.assemblyai.com"),
    Preset("atlassian", "Atlassian", "statuspage", "https://status.atlassian.com"),
    Preset(
        "bitbucket",
        "Bitbucket",
        "statuspage",
        "https://bitbucket.status.atlassian.com",
        "Formerly status.bitbucket.org; address not confirmed by a recent client.",
    ),
    Preset("box", "Box", "statuspage", "https://status.box.com", _UNCONFIRMED),
    Preset(
        "canva",
        "Canva",
        "statuspage",
        "https://www.canvastatus.com",
        "Platform from a third-party client's 2026 live check, not the reference.",
    ),
    Preset("cerebras", "Cerebras", "statuspage", "https://status.cerebras.ai", _AIWATCH),
    Preset("circleci", "CircleCI", "statuspage", "https://circleci.statuspage.io"),
    Preset("clerk", "Clerk", "statuspage", "https://status.clerk.com", _UNCONFIRMED),
    Preset("cloudamqp", "CloudAMQP", "statuspage", "https://status.cloudamqp.com"),
    Preset(
        "cloudflare",
        "Cloudflare",
        "statuspage",
        "https://www.cloudflarestatus.com",
        "Cloudflare's own front end reads /api/v3 since 2026; check that /api/v2 still answers.",
    ),
    Preset("codecov", "Codecov", "statuspage", "https://status.codecov.io"),
    Preset("coinbase", "Coinbase", "statuspage", "https://status.coinbase.com", _UNCONFIRMED),
    Preset("confluence", "Confluence", "statuspage", "https://confluence.status.atlassian.com"),
    Preset("confluent", "Confluent Cloud", "statuspage", "https://status.confluent.cloud", _UNCONFIRMED),
    Preset("contentful", "Contentful", "statuspage", "https://www.contentfulstatus.com", _UNCONFIRMED),
    Preset(
        "coveralls",
        "Coveralls",
        "statuspage",
        "https://status.coveralls.io",
        "Platform from statuscheck (2022), not the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("cursor", "Cursor", "statuspage", "https://status.cursor.com"),
    Preset("datadog", "Datadog", "statuspage", "https://status.datadoghq.com", _UNCONFIRMED),
    Preset("deepgram", "Deepgram", "statuspage", "https://status.deepgram.com"),
    Preset("digitalocean", "DigitalOcean", "statuspage", "https://status.digitalocean.com"),
    Preset("discord", "Discord", "statuspage", "https://discordstatus.com"),
    Preset(
        "docusign",
        "DocuSign",
        "statuspage",
        "https://status.docusign.com",
        "Platform from a third-party client's 2026 live check, not the reference.",
    ),
    Preset("dropbox", "Dropbox", "statuspage", "https://status.dropbox.com", _UNCONFIRMED),
    Preset("elastic", "Elastic Cloud", "statuspage", "https://status.elastic.co", _UNCONFIRMED),
    Preset("epicgames", "Epic Games", "statuspage", "https://status.epicgames.com"),
    Preset(
        "fastly",
        "Fastly",
        "statuspage",
        "https://www.fastlystatus.com",
        "Fastly's page may no longer be Statuspage: a 2026 client got 403 from its /api/v2;"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("figma", "Figma", "statuspage", "https://status.figma.com", _UNCONFIRMED),
    Preset("flyio", "Fly.io", "statuspage", "https://status.flyio.net", _UNCONFIRMED),
    Preset("github", "GitHub", "statuspage", "https://www.githubstatus.com"),
    Preset("grafana", "Grafana Cloud", "statuspage", "https://status.grafana.com", _UNCONFIRMED),
    Preset(
        "hashicorp", "HashiCorp (HCP, Terraform)", "statuspage", "https://status.hashicorp.com", _UNCONFIRMED
    ),
    Preset("hubspot", "HubSpot", "statuspage", "https://status.hubspot.com", _UNCONFIRMED),
    Preset(
        "intercom",
        "Intercom",
        "statuspage",
        "https://www.intercomstatus.com",
        "Platform not confirmed by the reference (Statuspage or incident.io, read the same way):"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("jira", "Jira", "statuspage", "https://jira-software.status.atlassian.com"),
    Preset(
        "jsm",
        "Jira Service Management",
        "statuspage",
        "https://jira-service-management.status.atlassian.com",
        _ATLASSIAN,
    ),
    Preset("launchdarkly", "LaunchDarkly", "statuspage", "https://status.launchdarkly.com", _UNCONFIRMED),
    Preset("linode", "Linode (Akamai Cloud)", "statuspage", "https://status.linode.com", _UNCONFIRMED),
    Preset("mailgun", "Mailgun", "statuspage", "https://status.mailgun.com"),
    Preset("mapbox", "Mapbox", "statuspage", "https://status.mapbox.com", _UNCONFIRMED),
    Preset("miro", "Miro", "statuspage", "https://status.miro.com", _UNCONFIRMED),
    Preset("mixpanel", "Mixpanel", "statuspage", "https://status.mixpanel.com", _UNCONFIRMED),
    Preset(
        "mongodb",
        "MongoDB Atlas",
        "statuspage",
        "https://status.mongodb.com",
        "MongoDB documents a Statuspage-shaped status API (reference §1); this host is not confirmed:"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("netlify", "Netlify", "statuspage", "https://www.netlifystatus.com", _UNCONFIRMED),
    Preset("newrelic", "New Relic", "statuspage", "https://status.newrelic.com"),
    Preset(
        "notion",
        "Notion",
        "statuspage",
        "https://status.notion.so",
        "Platform not confirmed: some clients read it as Statuspage, one calls it a custom page;"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("npm", "npm", "statuspage", "https://status.npmjs.org"),
    Preset("opsgenie", "Opsgenie", "statuspage", "https://opsgenie.status.atlassian.com", _ATLASSIAN),
    Preset(
        "pagerduty",
        "PagerDuty",
        "statuspage",
        "https://status.pagerduty.com",
        "Address from a 2022 client; PagerDuty may have moved its page since.",
    ),
    Preset("pinecone", "Pinecone", "statuspage", "https://status.pinecone.io"),
    Preset("plaid", "Plaid", "statuspage", "https://status.plaid.com", _UNCONFIRMED),
    Preset("postman", "Postman", "statuspage", "https://status.postman.com", _UNCONFIRMED),
    Preset("pypi", "PyPI", "statuspage", "https://status.python.org"),
    Preset("reddit", "Reddit", "statuspage", "https://www.redditstatus.com", _UNCONFIRMED),
    Preset("render", "Render", "statuspage", "https://status.render.com", _UNCONFIRMED),
    Preset("runway", "Runway", "statuspage", "https://status.runwayml.com", _AIWATCH),
    Preset("segment", "Twilio Segment", "statuspage", "https://status.segment.com", _UNCONFIRMED),
    Preset("sendgrid", "SendGrid", "statuspage", "https://status.sendgrid.com"),
    Preset("sentry", "Sentry", "statuspage", "https://status.sentry.io"),
    Preset(
        "shopify",
        "Shopify",
        "statuspage",
        "https://www.shopifystatus.com",
        "Platform not confirmed: some clients read it as Statuspage, another as a custom page;"
        " check that /api/v2/summary.json answers.",
    ),
    Preset("snowflake", "Snowflake", "statuspage", "https://status.snowflake.com", _UNCONFIRMED),
    Preset("statuspage", "Atlassian Statuspage", "statuspage", "https://metastatuspage.com", _ATLASSIAN),
    Preset("supabase", "Supabase", "statuspage", "https://status.supabase.com", _UNCONFIRMED),
    Preset("trello", "Trello", "statuspage", "https://trello.status.atlassian.com"),
    Preset("twilio", "Twilio", "statuspage", "https://status.twilio.com"),
    Preset("twitch", "Twitch", "statuspage", "https://status.twitch.tv", _UNCONFIRMED),
    Preset("vercel", "Vercel", "statuspage", "https://www.vercel-status.com"),
    Preset(
        "voyageai",
        "Voyage AI",
        "statuspage",
        "https://voyageai-status.statuspage.io",
        "Address from a 2026 third-party client (aiwatch); the reference confirms the platform only.",
    ),
    Preset("windsurf", "Windsurf", "statuspage", "https://status.windsurf.com"),
    Preset("zapier", "Zapier", "statuspage", "https://status.zapier.com", _UNCONFIRMED),
    Preset("zoom", "Zoom", "statuspage", "https://status.zoom.us"),
)
