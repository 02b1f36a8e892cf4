"""Presets: Clouds, CDNs, hosting, databases and data platforms.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Evidence, Preset
from providers.catalog.sources import AIWATCH, W6W, stts


def _is_it_down(service: str) -> Evidence:
    """is-it-down polls each service's status API from a checker of its own (2026)."""
    return Evidence("config", f"Strvm/is-it-down src/is_it_down/checkers/services/{service}.py (2026)")


def _cloud_dashboard(provider: str) -> Evidence:
    """cloud-status-dashboard reads each provider's status API from a module of its own (2026)."""
    return Evidence("config", f"dmitryporotnikov/cloud-status-dashboard lib/status/providers/{provider}.ts (2026)")



# A list of the status pages and feeds of public clouds and CDNs, one row a provider.
_STATUS_LINKS = Evidence("config", "talonx/service-provider-status-links README.md")

PRESETS: tuple[Preset, ...] = (
    Preset("acquia", "Acquia", "statuspage", "https://status.acquia.com", evidence=stts("StatusPage/Acquia")),
    Preset("aiven", "Aiven", "incidentio", "https://status.aiven.io", evidence=stts("IncidentIO/Aiven")),
    Preset("akamai", "Akamai", "statuspage", "https://www.akamaistatus.com", evidence=_is_it_down("akamai")),
    Preset("aptible", "Aptible", "statuspage", "https://status.aptible.com", evidence=stts("StatusPage/Aptible")),
    Preset(
        "aws",
        "AWS (EC2, us-east-1)",
        "feed",
        "https://status.aws.amazon.com/rss/ec2-us-east-1.rss",
        "AWS has one feed per service and region (https://status.aws.amazon.com/rss/<service>-<region>.rss); this one is EC2 in us-east-1 only: add a page of your own with kind feed for the others.",
        Evidence("config", "bentleypark/aiwatch worker/src/parsers/aws.ts (2026)"),
    ),
    Preset(
        "azure",
        "Microsoft Azure",
        "feed",
        "https://rssfeed.azure.status.microsoft/en-us/status/feed/",
        "Lists only current Azure incidents; usually empty while all is well.",
        AIWATCH,
    ),
    Preset("bunny", "bunny.net", "statuspage", "https://status.bunny.net", evidence=stts("StatusPage/Bunnynet")),
    Preset("clickhouse", "ClickHouse Cloud", "statuspage", "https://status.clickhouse.com", evidence=W6W),
    Preset("cloud66", "Cloud 66", "statuspage", "https://status.cloud66.com", evidence=stts("StatusPage/Cloud66")),
    Preset(
        "cloudamqp",
        "CloudAMQP",
        "statuspage",
        "https://status.cloudamqp.com",
        evidence=Evidence(
            "capture", "amureki/statuscheck tests/test_services/test_data/cloudamqp_maintenance.json (2020)"
        ),
    ),
    Preset(
        "cloudflare",
        "Cloudflare",
        "statuspage",
        "https://www.cloudflarestatus.com",
        "Cloudflare's own front end reads /api/v3 since 2026; public clients still read /api/v2 in 2026.",
        _cloud_dashboard("cloudflare"),
    ),
    Preset("cloudways", "Cloudways", "statuspage", "https://status.cloudways.com", evidence=_is_it_down("cloudways")),
    Preset(
        "cockroachdb",
        "CockroachDB Cloud",
        "statuspage",
        "https://status.cockroachlabs.cloud",
        evidence=Evidence("docs", "https://www.cockroachlabs.com/docs/cockroachcloud/frequently-asked-questions"),
    ),
    Preset(
        "confluent",
        "Confluent Cloud",
        "statuspage",
        "https://status.confluent.cloud",
        evidence=Evidence("config", "confluentinc/vscode src/ccloudStatus/api.ts (2026)"),
    ),
    Preset(
        "digitalocean",
        "DigitalOcean",
        "statuspage",
        "https://status.digitalocean.com",
        evidence=_cloud_dashboard("digitalocean"),
    ),
    Preset(
        "dnsimple", "DNSimple", "statuspage", "https://dnsimple.statuspage.io", evidence=stts("StatusPage/DNSimple")
    ),
    Preset("elastic", "Elastic Cloud", "statuspage", "https://status.elastic.co", evidence=_is_it_down("elasticcloud")),
    Preset(
        "fastly",
        "Fastly",
        "feed",
        "https://www.fastlystatus.com/rss/",
        "Fastly's page is StatusCast, not Statuspage (its /api/v2 answers 403): this is its feed.",
        _STATUS_LINKS,
    ),
    Preset(
        "firebase",
        "Firebase",
        "gcp",
        "https://status.firebase.google.com",
        "Google's status dashboard, as for Google Cloud: its /incidents.json.",
        stts("Firebase/Firebase"),
    ),
    Preset("flyio", "Fly.io", "statuspage", "https://status.flyio.net", evidence=_is_it_down("flyio")),
    Preset("gandi", "Gandi", "statuspage", "https://status.gandi.net", evidence=stts("StatusPage/Gandi")),
    Preset(
        "gcp",
        "Google Cloud",
        "gcp",
        "https://status.cloud.google.com",
        evidence=Evidence("capture", "moritalous/cloud-status-history app/public/incidents.json (2022)"),
    ),
    Preset(
        "heroku",
        "Heroku",
        "feed",
        "https://status.heroku.com/feed",
        "Heroku's own JSON API (/api/v4/current-status) is not a supported kind, so this is its feed.",
        Evidence("config", "heroku/heroku lib/heroku/command/status.rb (2012)"),
    ),
    Preset("hex", "Hex", "statuspage", "https://status.hex.tech", evidence=W6W),
    Preset(
        "ibm-cloud",
        "IBM Cloud",
        "feed",
        "https://cloud.ibm.com/status/api/notifications/feed.rss",
        evidence=_cloud_dashboard("ibm"),
    ),
    Preset("imgix", "imgix", "statuspage", "https://status.imgix.com", evidence=stts("StatusPage/Imgix")),
    Preset(
        "influxdb-cloud",
        "InfluxDB Cloud",
        "statuspage",
        "https://status.influxdata.com",
        evidence=Evidence("docs", "https://docs.influxdata.com/influxdb/cloud/reference/regions/"),
    ),
    Preset(
        "linode",
        "Linode (Akamai Cloud)",
        "statuspage",
        "https://status.linode.com",
        evidence=_cloud_dashboard("linode"),
    ),
    Preset(
        "mongodb", "MongoDB Atlas", "statuspage", "https://status.mongodb.com", evidence=_cloud_dashboard("mongodb")
    ),
    Preset(
        "neon",
        "Neon",
        "statusio",
        "https://api.status.io/1.0/status/6878fc85709daa75be6c7e3c",
        "neonstatus.com moved from incident.io to status.io (its /api/v2 answers 404); this is its status.io page.",
        Evidence("config", "neondatabase/website pull request #4202 (2025)"),
    ),
    Preset("netlify", "Netlify", "statuspage", "https://www.netlifystatus.com", evidence=_is_it_down("netlify")),
    Preset(
        "oci",
        "Oracle Cloud Infrastructure",
        "feed",
        "https://ocistatus.oraclecloud.com/api/v2/incident-summary.rss",
        "Oracle's own platform, not Statuspage despite the /api/v2 path: this is its incident feed.",
        _STATUS_LINKS,
    ),
    Preset(
        "ovhcloud",
        "OVHcloud Public Cloud",
        "statuspage",
        "https://public-cloud.status-ovhcloud.com",
        "OVHcloud's Public Cloud page only; its other products have pages of their own.",
        _cloud_dashboard("ovh"),
    ),
    Preset(
        "pantheon", "Pantheon", "statuspage", "https://status.pantheon.io", evidence=stts("StatusPage/Pantheon")
    ),
    Preset(
        "planetscale",
        "PlanetScale",
        "statuspage",
        "https://www.planetscalestatus.com",
        evidence=_is_it_down("planetscale"),
    ),
    Preset("render", "Render", "statuspage", "https://status.render.com", evidence=_is_it_down("render")),
    Preset(
        "scaleway", "Scaleway", "statuspage", "https://status.scaleway.com", evidence=stts("StatusPage/Scaleway")
    ),
    Preset("snowflake", "Snowflake", "statuspage", "https://status.snowflake.com", evidence=_is_it_down("snowflake")),
    Preset("supabase", "Supabase", "statuspage", "https://status.supabase.com", evidence=_is_it_down("supabase")),
    Preset("upcloud", "UpCloud", "statuspage", "https://status.upcloud.com", evidence=_cloud_dashboard("upcloud")),
    Preset("upstash", "Upstash", "statuspage", "https://status.upstash.com", evidence=_is_it_down("upstash")),
    Preset("vercel", "Vercel", "statuspage", "https://www.vercel-status.com", evidence=_cloud_dashboard("vercel")),
    Preset("wasabi", "Wasabi", "statuspage", "https://status.wasabi.com", evidence=stts("StatusPage/Wasabi")),
)
