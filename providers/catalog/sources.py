"""Sources that more than one section of the catalog cites: each named once, the same way everywhere."""

from __future__ import annotations

from bot.model import Evidence

# AIWatch polls these pages every five minutes and records each one's platform beside its address.
AIWATCH = Evidence("config", "bentleypark/aiwatch worker/src/services.ts (2026)")
# An index of the vendor status endpoints an integrations pack probes, each checked live (2026).
W6W = Evidence("config", "segevsh/w6w-apps HEALTHCHECKS.md (2026)")


def stts(path: str) -> Evidence:
    """A service file of the stts menu-bar app ("StatusPage/GitHub"): its folder names the
    platform the service's page runs on."""
    return Evidence("config", f"inket/stts stts/Services/{path}.swift")
