"""Presets: Developer platforms: code hosting, CI, registries, observability, incident management, product analytics.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Evidence, Preset

# The sources cited most: a 2026 index of vendor status endpoints (each probed, decoys noted), a
# 2026 status board whose worker names the platform of each page it polls (separate readers for
# Instatus, Better Stack, incident.io and status.io pages), a status-bar app that files each service
# under the platform it runs on, and a 2020-2022 client.
_W6W = "segevsh/w6w-apps HEALTHCHECKS.md (2026)"
_STATUSSY = "SmartScaleAI/statussy worker/src/index.ts (2026)"


def _stts(path: str) -> Evidence:
    """A service file of inket/stts, whose folder names the platform it polls."""
    return Evidence("config", f"inket/stts stts/Services/{path}.swift")


def _w6w() -> Evidence:
    return Evidence("config", _W6W)


def _statussy() -> Evidence:
    return Evidence("config", _STATUSSY)


PRESETS: tuple[Preset, ...] = (
    Preset("airbrake", "Airbrake", "statuspage", "https://status.airbrake.io", evidence=_statussy()),
    Preset("airbyte", "Airbyte Cloud", "statuspage", "https://status.airbyte.com", evidence=_w6w()),
    Preset("amplitude", "Amplitude", "statuspage", "https://status.amplitude.com", evidence=_w6w()),
    Preset("apify", "Apify", "statuspage", "https://status.apify.com", evidence=_w6w()),
    Preset(
        "atlassian-developer",
        "Atlassian Developer",
        "statuspage",
        "https://developer.status.atlassian.com",
        evidence=_stts("StatusPage/AtlassianDeveloper"),
    ),
    Preset("axiom", "Axiom", "statuspage", "https://status.axiom.co", evidence=_statussy()),
    Preset("balena", "balenaCloud", "statuspage", "https://status.balena.io", evidence=_w6w()),
    Preset(
        "bitbucket",
        "Bitbucket",
        "statuspage",
        "https://bitbucket.status.atlassian.com",
        evidence=_w6w(),
    ),
    Preset("bitrise", "Bitrise", "statuspage", "https://status.bitrise.io", evidence=_stts("StatusPage/Bitrise")),
    Preset("bugsnag", "Bugsnag", "statuspage", "https://status.bugsnag.com", evidence=_stts("StatusPage/Bugsnag")),
    Preset(
        "buildkite",
        "Buildkite",
        "statuspage",
        "https://www.buildkitestatus.com",
        evidence=_stts("StatusPage/Buildkite"),
    ),
    Preset("chef", "Chef (Progress)", "statuspage", "https://status.chef.io", evidence=_statussy()),
    Preset("circleci", "CircleCI", "statuspage", "https://status.circleci.com", evidence=_w6w()),
    Preset("cloudinary", "Cloudinary", "statuspage", "https://status.cloudinary.com", evidence=_w6w()),
    Preset("cloudsmith", "Cloudsmith", "statuspage", "https://status.cloudsmith.com", evidence=_statussy()),
    Preset(
        "cocoapods",
        "CocoaPods",
        "statuspage",
        "https://status.cocoapods.org",
        evidence=_stts("StatusPage/CocoaPods"),
    ),
    Preset(
        "codeclimate",
        "Code Climate",
        "statuspage",
        "https://status.codeclimate.com",
        evidence=_stts("StatusPage/CodeClimate"),
    ),
    Preset("codecov", "Codecov", "statuspage", "https://status.codecov.io", evidence=_stts("StatusPage/Codecov")),
    Preset("codefresh", "Codefresh", "statuspage", "https://status.codefresh.io", evidence=_statussy()),
    Preset(
        "compass",
        "Atlassian Compass",
        "statuspage",
        "https://compass.status.atlassian.com",
        evidence=_stts("StatusPage/Compass"),
    ),
    Preset("contentful", "Contentful", "statuspage", "https://www.contentfulstatus.com", evidence=_w6w()),
    Preset("contentstack", "Contentstack", "statuspage", "https://status.contentstack.com", evidence=_w6w()),
    Preset("coralogix", "Coralogix", "statuspage", "https://status.coralogix.com", evidence=_statussy()),
    Preset(
        "coveralls",
        "Coveralls",
        "statuspage",
        "https://status.coveralls.io",
        evidence=_stts("StatusPage/Coveralls"),
    ),
    Preset("crates-io", "crates.io", "statuspage", "https://status.crates.io", evidence=_statussy()),
    Preset("cribl", "Cribl.Cloud", "statuspage", "https://status.cribl.cloud", evidence=_statussy()),
    Preset(
        "cypress",
        "Cypress Cloud",
        "statuspage",
        "https://www.cypressstatus.com",
        evidence=_stts("StatusPage/Cypress"),
    ),
    Preset(
        "datadog",
        "Datadog",
        "statuspage",
        "https://status.datadoghq.com",
        "Datadog's US1 site; each Datadog site has its own page (datadog-eu for EU1).",
        evidence=_w6w(),
    ),
    Preset(
        "datadog-eu",
        "Datadog (EU)",
        "statuspage",
        "https://status.datadoghq.eu",
        evidence=_stts("StatusPage/DatadogEU"),
    ),
    Preset(
        "dbt-cloud",
        "dbt Cloud",
        "statuspage",
        "https://status.getdbt.com",
        "The page lists no components: only its overall status and incidents.",
        evidence=_w6w(),
    ),
    Preset("dockerhub", "Docker Hub", "statuspage", "https://www.dockerstatus.com", evidence=_statussy()),
    Preset("doppler", "Doppler", "statuspage", "https://www.dopplerstatus.com", evidence=_stts("StatusPage/Doppler")),
    Preset("expo", "Expo (EAS)", "statuspage", "https://status.expo.dev", evidence=_statussy()),
    Preset(
        "filestack",
        "Filestack",
        "statuspage",
        "https://status.filestack.com",
        evidence=_stts("StatusPage/Filestack"),
    ),
    Preset("flagsmith", "Flagsmith", "statuspage", "https://status.flagsmith.com", evidence=_statussy()),
    Preset("gitguardian", "GitGuardian", "statuspage", "https://status.gitguardian.com", evidence=_statussy()),
    Preset("github", "GitHub", "statuspage", "https://www.githubstatus.com", evidence=_w6w()),
    Preset(
        "gitlab",
        "GitLab",
        "statusio",
        "https://api.status.io/1.0/status/5b36dc6502d06804c08349f7",
        evidence=_w6w(),
    ),
    Preset("grafana", "Grafana Cloud", "statuspage", "https://status.grafana.com", evidence=_statussy()),
    Preset("harness", "Harness", "statuspage", "https://status.harness.io", evidence=_statussy()),
    Preset(
        "hashicorp",
        "HashiCorp (HCP, Terraform)",
        "incidentio",
        "https://status.hashicorp.com",
        evidence=_stts("IncidentIO/HashiCorp"),
    ),
    Preset("heap", "Heap", "statuspage", "https://status.heap.io", evidence=_statussy()),
    Preset("honeycomb", "Honeycomb", "statuspage", "https://status.honeycomb.io", evidence=_statussy()),
    Preset("infisical", "Infisical Cloud", "statuspage", "https://status.infisical.com", evidence=_statussy()),
    Preset(
        "intuit-developer",
        "Intuit Developer (QuickBooks API)",
        "statuspage",
        "https://status.developer.intuit.com",
        evidence=_w6w(),
    ),
    Preset(
        "jetbrains",
        "JetBrains",
        "incidentio",
        "https://status.jetbrains.cloud",
        "JetBrains' cloud services, AI Assistant and Junie included; moved from Statuspage (status.jetbrains.ai) in 2026.",
        evidence=Evidence("config", "bentleypark/aiwatch worker/src/services.ts (2026)"),
    ),
    Preset("jira", "Jira", "statuspage", "https://jira-software.status.atlassian.com", evidence=_w6w()),
    Preset(
        "jsm",
        "Jira Service Management",
        "statuspage",
        "https://jira-service-management.status.atlassian.com",
        evidence=_stts("StatusPage/JiraServiceManagement"),
    ),
    Preset("launchdarkly", "LaunchDarkly", "statuspage", "https://status.launchdarkly.com", evidence=_w6w()),
    Preset("linear", "Linear", "incidentio", "https://linearstatus.com", evidence=_stts("IncidentIO/Linear")),
    Preset(
        "linkedin-api",
        "LinkedIn API",
        "statuspage",
        "https://www.linkedin-apistatus.com",
        evidence=_w6w(),
    ),
    Preset("loggly", "Loggly", "statuspage", "https://status.loggly.com", evidence=_stts("StatusPage/Loggly")),
    Preset("logzio", "Logz.io", "statuspage", "https://status.logz.io", evidence=_statussy()),
    Preset("lokalise", "Lokalise", "statuspage", "https://status.lokalise.com", evidence=_w6w()),
    Preset("mapbox", "Mapbox", "statuspage", "https://status.mapbox.com", evidence=_stts("StatusPage/Mapbox")),
    Preset("maven-central", "Maven Central", "statuspage", "https://status.maven.org", evidence=_statussy()),
    Preset(
        "meilisearch",
        "Meilisearch Cloud",
        "feed",
        "https://status.meilisearch.com/feed.rss",
        "Meilisearch Cloud only, not self-hosted instances.",
        evidence=_w6w(),
    ),
    Preset("metabase", "Metabase Cloud", "statuspage", "https://status.metabase.com", evidence=_w6w()),
    Preset("mezmo", "Mezmo", "statuspage", "https://status.mezmo.com", evidence=_statussy()),
    Preset("mintlify", "Mintlify", "statuspage", "https://status.mintlify.com", evidence=_statussy()),
    Preset("mixpanel", "Mixpanel", "statuspage", "https://www.mixpanelstatus.com", evidence=_w6w()),
    Preset("mux", "Mux", "statuspage", "https://status.mux.com", evidence=_w6w()),
    Preset("newrelic", "New Relic", "statuspage", "https://status.newrelic.com", evidence=_w6w()),
    Preset("npm", "npm", "statuspage", "https://status.npmjs.org", evidence=_stts("StatusPage/NPM")),
    Preset(
        "opsgenie",
        "Opsgenie",
        "statuspage",
        "https://opsgenie.status.atlassian.com",
        evidence=_stts("StatusPage/Opsgenie"),
    ),
    Preset("optimizely", "Optimizely", "statuspage", "https://status.optimizely.com", evidence=_statussy()),
    Preset(
        "papertrail",
        "Papertrail",
        "statuspage",
        "https://www.papertrailstatus.com",
        evidence=_stts("StatusPage/Papertrail"),
    ),
    Preset("particle", "Particle", "statuspage", "https://status.particle.io", evidence=_w6w()),
    Preset("pendo", "Pendo", "statuspage", "https://status.pendo.io", evidence=_w6w()),
    Preset("phrase", "Phrase", "statuspage", "https://status.phrase.com", evidence=_w6w()),
    Preset("postman", "Postman", "statuspage", "https://status.postman.com", evidence=_statussy()),
    Preset("prisma", "Prisma Data Platform", "statuspage", "https://www.prisma-status.com", evidence=_statussy()),
    Preset("pulumi", "Pulumi Cloud", "statuspage", "https://status.pulumi.com", evidence=_statussy()),
    Preset(
        "pypi",
        "PyPI",
        "statuspage",
        "https://status.python.org",
        evidence=Evidence("config", "amureki/statuscheck statuscheck/services/pypi.py (2020)"),
    ),
    Preset("readme", "ReadMe", "statuspage", "https://www.readmestatus.com", evidence=_statussy()),
    Preset(
        "rollbar",
        "Rollbar",
        "incidentio",
        "https://status.rollbar.com",
        evidence=_stts("IncidentIO/Rollbar"),
    ),
    Preset(
        "rubygems",
        "RubyGems.org",
        "statuspage",
        "https://status.rubygems.org",
        evidence=_stts("StatusPage/RubyGems"),
    ),
    Preset("rudderstack", "RudderStack", "statuspage", "https://status.rudderstack.com", evidence=_statussy()),
    Preset("sanity", "Sanity", "statuspage", "https://www.sanity-status.com", evidence=_w6w()),
    Preset(
        "saucelabs",
        "Sauce Labs",
        "statuspage",
        "https://status.saucelabs.com",
        evidence=_stts("StatusPage/SauceLabs"),
    ),
    Preset("segment", "Twilio Segment", "statuspage", "https://status.segment.com", evidence=_w6w()),
    Preset(
        "semaphore",
        "Semaphore CI",
        "statuspage",
        "https://status.semaphoreci.com",
        evidence=_stts("StatusPage/SemaphoreCI"),
    ),
    Preset("semgrep", "Semgrep", "statuspage", "https://status.semgrep.dev", evidence=_statussy()),
    Preset("sentry", "Sentry", "statuspage", "https://status.sentry.io", evidence=_w6w()),
    Preset("snyk", "Snyk", "statuspage", "https://status.snyk.io", evidence=_w6w()),
    Preset("socket", "Socket", "statuspage", "https://status.socket.dev", evidence=_statussy()),
    Preset("sonarqube-cloud", "SonarQube Cloud", "statuspage", "https://status.sonarqube.com", evidence=_statussy()),
    Preset("sourcegraph", "Sourcegraph", "statuspage", "https://sourcegraphstatus.com", evidence=_statussy()),
    Preset("spacelift", "Spacelift", "statuspage", "https://spacelift.statuspage.io", evidence=_statussy()),
    Preset("splunk-cloud", "Splunk Cloud Platform", "statuspage", "https://status.splunkcloud.com", evidence=_w6w()),
    Preset("statsig", "Statsig", "statuspage", "https://status.statsig.com", evidence=_statussy()),
    Preset("statuspage", "Atlassian Statuspage", "statuspage", "https://metastatuspage.com", evidence=_w6w()),
    Preset("sumo-logic", "Sumo Logic", "statuspage", "https://status.sumologic.com", evidence=_statussy()),
    Preset("tailscale", "Tailscale", "statuspage", "https://status.tailscale.com", evidence=_w6w()),
    Preset("teleport", "Teleport Cloud", "statuspage", "https://status.goteleport.com", evidence=_statussy()),
    Preset(
        "travis-ci",
        "Travis CI",
        "statuspage",
        "https://www.traviscistatus.com",
        evidence=_stts("StatusPage/TravisCI"),
    ),
    Preset("warp", "Warp", "statuspage", "https://status.warp.dev", evidence=_statussy()),
    Preset("workos", "WorkOS", "statuspage", "https://status.workos.com", evidence=_w6w()),
)
