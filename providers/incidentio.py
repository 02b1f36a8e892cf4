"""incident.io status pages, read through their Statuspage-compatible `/api/v2` endpoints.

Same documents and shapes as Atlassian Statuspage, with less in them: ULID ids, no `shortlink`
(links are built from `page.url`, which ends with "/"), no `affected_components`, no
`scheduled_maintenances`, whole arrays left out when empty, update bodies that may be empty,
maintenance phases named `maintenance_*`, and no ETag. The Statuspage parser reads all of that
tolerantly, so this format reuses it rather than copying it.

Detection: the compatible summary.json names the page by a ULID, where Atlassian's ids have 12
lower-case characters (`statuspage.is_incident_io`). Other differences are weaker signs: the
missing `page.time_zone` is missing from Atlassian's documented example too, and the native
`/proxy/<host>` endpoint is undocumented.
"""

from __future__ import annotations

from bot.model import Answer, Format, Sign
from providers import statuspage
from providers._signs import at_path


def _incident_io(address: str, answer: Answer) -> str | None:
    found = statuspage.summary_page(answer)
    return found[1] if found is not None and statuspage.is_incident_io(found[0]) else None


FORMAT = Format(
    kind="incidentio",
    platform="incident.io",
    description="incident.io status pages (Statuspage-compatible /api/v2 summary and incidents)",
    documents=statuspage.compatible_documents,
    read=statuspage.read,
    keeps_unlisted_components=True,  # its summary sometimes lists no components at all
    signs=(Sign(ask=at_path(statuspage.SUMMARY_PATH), read=_incident_io),),
)
