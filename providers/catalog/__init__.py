"""The catalog of presets: well-known status pages under short names (`name = "github"` is enough).

One module a field, alphabetical within it. `url` is what the kind expects: the page's base URL
(statuspage, incidentio, instatus, betterstack, cachet, gcp, slack), the feed's own URL (feed) or
the page's API URL (statusio). Every preset says what confirmed its platform and its address
(`Evidence`: a public capture of its documents, its endpoint in other projects' public
configuration, the platform's customer list, or the service's own documentation). A page whose
platform could not be confirmed has kind "auto": the bot detects it at the first poll.

Platforms change (OpenAI left Atlassian for incident.io, Stripe left its own page for Statuspage):
a page that starts answering 404 is detected again when its kind was detected.
"""

from __future__ import annotations

from bot.model import Preset
from providers.catalog import ai, business, clouds, developer

PRESETS: tuple[Preset, ...] = clouds.PRESETS + ai.PRESETS + developer.PRESETS + business.PRESETS
