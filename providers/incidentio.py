"""incident.io status pages, read through their Statuspage-compatible `/api/v2` endpoints.

Same documents and shapes as Atlassian Statuspage, with less in them: ULID ids, no `shortlink`
(links are built from `page.url`, which ends with "/"), no `affected_components`, no
`scheduled_maintenances`, whole arrays left out when empty, update bodies that may be empty,
maintenance phases named `maintenance_*`, and no ETag. The Statuspage parser reads all of that
tolerantly, so this format reuses it rather than copying it.
"""

from __future__ import annotations

from bot.model import Format
from providers import statuspage

FORMAT = Format(
    kind="incidentio",
    description="incident.io status pages (Statuspage-compatible /api/v2 summary and incidents)",
    documents=statuspage.compatible_documents,
    read=statuspage.read,
    keeps_unlisted_components=True,  # its summary sometimes lists no components at all
)
