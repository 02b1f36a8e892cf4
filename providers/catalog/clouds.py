"""Presets: Clouds, CDNs, hosting, databases and data platforms.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Preset

PRESETS: tuple[Preset, ...] = (
    Preset(
        "akamai",
        "Akamai",
        "statuspage",
        "https://www.akamaistatus.com",
        "Platform from a third-party client's 2026 live check, not the reference.",
    ),
    Preset(
        "aws",
        "AWS (EC2, us-east-1)",
        "feed",
        "https://status.aws.amazon.com/rss/ec2-us-east-1.rss",
        "AWS has one feed per service and region (https://status.aws.amazon.com/rss/<service>-<region>.rss); this one is EC2 in us-east-1 only: add a page of your own with kind feed for the others.",
    ),
    Preset(
        "azure",
        "Microsoft Azure",
        "feed",
        "https://rssfeed.azure.status.microsoft/en-us/status/feed/",
        "Lists only current Azure incidents; usually empty while all is well.",
    ),
    Preset("cloudamqp", "CloudAMQP", "statuspage", "https://status.cloudamqp.com"),
    Preset(
        "cloudflare",
        "Cloudflare",
        "statuspage",
        "https://www.cloudflarestatus.com",
        "Cloudflare's own front end reads /api/v3 since 2026; check that /api/v2 still answers.",
    ),
    Preset(
        "confluent",
        "Confluent Cloud",
        "statuspage",
        "https://status.confluent.cloud",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("digitalocean", "DigitalOcean", "statuspage", "https://status.digitalocean.com"),
    Preset(
        "elastic",
        "Elastic Cloud",
        "statuspage",
        "https://status.elastic.co",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "fastly",
        "Fastly",
        "statuspage",
        "https://www.fastlystatus.com",
        "Fastly's page may no longer be Statuspage: a 2026 client got 403 from its /api/v2; check that /api/v2/summary.json answers.",
    ),
    Preset(
        "firebase",
        "Firebase",
        "feed",
        "https://status.firebase.google.com/en/feed.atom",
        "Address from a third-party client, not the reference: check that the feed answers.",
    ),
    Preset(
        "flyio",
        "Fly.io",
        "statuspage",
        "https://status.flyio.net",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("gcp", "Google Cloud", "gcp", "https://status.cloud.google.com"),
    Preset(
        "heroku",
        "Heroku",
        "feed",
        "https://status.heroku.com/feed",
        "Heroku's own JSON API (/api/v4/current-status) is not a supported kind, so this is its feed; address from third-party clients, not the reference: check that it answers.",
    ),
    Preset(
        "linode",
        "Linode (Akamai Cloud)",
        "statuspage",
        "https://status.linode.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "mongodb",
        "MongoDB Atlas",
        "statuspage",
        "https://status.mongodb.com",
        "MongoDB documents a Statuspage-shaped status API (reference §1); this host is not confirmed: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "neon",
        "Neon",
        "incidentio",
        "https://neonstatus.com",
        "incident.io page: its Statuspage-compatible API is not confirmed by a client: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "netlify",
        "Netlify",
        "statuspage",
        "https://www.netlifystatus.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "oci",
        "Oracle Cloud Infrastructure",
        "feed",
        "https://ocistatus.oraclecloud.com/api/v2/incident-summary.rss",
        "Not Statuspage despite the /api/v2 path; address from third-party clients, not the reference.",
    ),
    Preset(
        "render",
        "Render",
        "statuspage",
        "https://status.render.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "snowflake",
        "Snowflake",
        "statuspage",
        "https://status.snowflake.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "supabase",
        "Supabase",
        "statuspage",
        "https://status.supabase.com",
        "Platform not confirmed by the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("vercel", "Vercel", "statuspage", "https://www.vercel-status.com"),
)
