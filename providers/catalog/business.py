"""Presets: Payments and commerce, communication, collaboration and productivity, identity.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Evidence, Preset

# statuswall polls each of these pages and names its platform beside the address (2025-2026).
STATUSWALL = Evidence("config", "samuraicode/statuswall server/config.js")


def stts(path: str) -> Evidence:
    """A page in the stts menu-bar app, whose service files sit in one folder per platform."""
    return Evidence("config", f"inket/stts stts/Services/{path}")


PRESETS: tuple[Preset, ...] = (
    Preset(
        "airtable",
        "Airtable",
        "statuspage",
        "https://status.airtable.com",
        evidence=Evidence("config", "amureki/statuscheck statuscheck/services/airtable.py"),
    ),
    Preset(
        "asana",
        "Asana",
        "statuspage",
        "https://trust.asana.com",
        evidence=stts("StatusPage/Asana.swift"),
    ),
    Preset(
        "atlassian",
        "Atlassian",
        "statuspage",
        "https://status.atlassian.com",
        evidence=stts("StatusPage/Atlassian.swift"),
    ),
    Preset("auth0", "Auth0", "statuspage", "https://status.auth0.com", evidence=stts("StatusPage/Auth0.swift")),
    Preset(
        "authorize-net",
        "Authorize.Net",
        "statuspage",
        "https://status.authorize.net",
        evidence=stts("StatusPage/AuthorizeNet.swift"),
    ),
    Preset(
        "basecamp",
        "Basecamp",
        "statuspage",
        "https://www.basecampstatus.com",
        evidence=stts("StatusPage/Basecamp.swift"),
    ),
    Preset(
        "bigcommerce",
        "BigCommerce",
        "statuspage",
        "https://status.bigcommerce.com",
        evidence=stts("StatusPage/BigCommerce.swift"),
    ),
    Preset("box", "Box", "statuspage", "https://status.box.com", evidence=stts("StatusPage/Box.swift")),
    Preset(
        "braintree",
        "Braintree",
        "statuspage",
        "https://status.braintreepayments.com",
        evidence=stts("StatusPage/Braintree.swift"),
    ),
    Preset("brevo", "Brevo", "incidentio", "https://status.brevo.com", evidence=stts("IncidentIO/Brevo.swift")),
    Preset(
        "chargebee",
        "Chargebee",
        "statuspage",
        "https://status.chargebee.com",
        evidence=stts("StatusPage/Chargebee.swift"),
    ),
    Preset(
        "clickup",
        "ClickUp",
        "statusio",
        "https://api.status.io/1.0/status/5b6e0963c662144d00913a09",
        evidence=stts("Status.ioV1/ClickUp.swift"),
    ),
    Preset(
        "coinbase",
        "Coinbase",
        "statuspage",
        "https://status.coinbase.com",
        evidence=stts("StatusPage/Coinbase.swift"),
    ),
    Preset(
        "confluence",
        "Confluence",
        "statuspage",
        "https://confluence.status.atlassian.com",
        evidence=stts("StatusPage/Confluence.swift"),
    ),
    Preset(
        "customer-io",
        "Customer.io",
        "statuspage",
        "https://status.customerio.com",
        evidence=stts("StatusPage/Customerio.swift"),
    ),
    Preset(
        "cybersource",
        "Cybersource",
        "statuspage",
        "https://status.cybersource.com",
        evidence=stts("StatusPage/Cybersource.swift"),
    ),
    Preset(
        "dashlane",
        "Dashlane",
        "statusio",
        "https://api.status.io/1.0/status/5aabcb89fccc4b04d3774443",
        evidence=stts("Status.ioV1/Dashlane.swift"),
    ),
    Preset(
        "dialpad",
        "Dialpad",
        "statuspage",
        "https://status.dialpad.com",
        evidence=stts("StatusPage/Dialpad.swift"),
    ),
    Preset("discord", "Discord", "statuspage", "https://discordstatus.com", evidence=STATUSWALL),
    Preset(
        "dropbox",
        "Dropbox",
        "statuspage",
        "https://status.dropbox.com",
        evidence=stts("StatusPage/Dropbox.swift"),
    ),
    Preset("duo", "Duo Security", "statuspage", "https://status.duo.com", evidence=stts("StatusPage/Duo.swift")),
    Preset(
        "epicgames",
        "Epic Games",
        "statuspage",
        "https://status.epicgames.com",
        evidence=Evidence("config", "amureki/statuscheck statuscheck/services/epicgames.py"),
    ),
    Preset("figma", "Figma", "statuspage", "https://status.figma.com", evidence=stts("StatusPage/Figma.swift")),
    Preset(
        "hubspot",
        "HubSpot",
        "statuspage",
        "https://status.hubspot.com",
        evidence=stts("StatusPage/HubSpot.swift"),
    ),
    Preset(
        "intercom",
        "Intercom",
        "incidentio",
        "https://www.finstatus.com",
        "www.intercomstatus.com now redirects here (Fin's page); US, EU and AU hosting are sub-pages of it.",
        stts("IncidentIO/IntercomUS.swift"),
    ),
    Preset(
        "mailgun",
        "Mailgun",
        "statuspage",
        "https://status.mailgun.com",
        evidence=stts("StatusPage/Mailgun.swift"),
    ),
    Preset("miro", "Miro", "incidentio", "https://status.miro.com", evidence=stts("IncidentIO/Miro.swift")),
    Preset("notion", "Notion", "statuspage", "https://www.notion-status.com", evidence=STATUSWALL),
    Preset(
        "onelogin",
        "OneLogin (US)",
        "statusio",
        "https://api.status.io/1.0/status/538511e2ce5cb97537000144",
        evidence=stts("Status.ioV1/OneLoginUS.swift"),
    ),
    Preset(
        "onesignal",
        "OneSignal",
        "incidentio",
        "https://status.onesignal.com",
        evidence=stts("IncidentIO/OneSignal.swift"),
    ),
    Preset("pusher", "Pusher", "statuspage", "https://status.pusher.com", evidence=stts("StatusPage/Pusher.swift")),
    Preset(
        "recurly",
        "Recurly",
        "statuspage",
        "https://status.recurly.com",
        evidence=stts("StatusPage/Recurly.swift"),
    ),
    Preset(
        "reddit",
        "Reddit",
        "statuspage",
        "https://www.redditstatus.com",
        evidence=stts("StatusPage/Reddit.swift"),
    ),
    Preset(
        "sendgrid",
        "SendGrid",
        "statuspage",
        "https://status.sendgrid.com",
        evidence=stts("StatusPage/SendGrid.swift"),
    ),
    Preset(
        "shopify",
        "Shopify",
        "statuspage",
        "https://www.shopifystatus.com",
        evidence=stts("StatusPage/Shopify.swift"),
    ),
    Preset("slack", "Slack", "slack", "https://slack-status.com", evidence=STATUSWALL),
    Preset("stripe", "Stripe", "statuspage", "https://www.stripestatus.com", evidence=STATUSWALL),
    Preset(
        "trello",
        "Trello",
        "statuspage",
        "https://trello.status.atlassian.com",
        evidence=stts("StatusPage/Trello.swift"),
    ),
    Preset(
        "twilio",
        "Twilio",
        "statuspage",
        "https://status.twilio.com",
        evidence=Evidence("capture", "amureki/statuscheck tests/test_services/test_data/twilio_incident.json (2020)"),
    ),
    Preset("twitch", "Twitch", "statuspage", "https://status.twitch.tv", evidence=stts("StatusPage/Twitch.swift")),
    Preset(
        "typeform",
        "Typeform",
        "statuspage",
        "https://status.typeform.com",
        evidence=stts("StatusPage/Typeform.swift"),
    ),
    Preset("zapier", "Zapier", "incidentio", "https://status.zapier.com", evidence=stts("IncidentIO/Zapier.swift")),
    Preset("zoom", "Zoom", "statuspage", "https://status.zoom.us", evidence=stts("StatusPage/Zoom.swift")),
)
