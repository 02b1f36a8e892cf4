"""Status-page formats and the catalog of presets.

A new format is one module exposing `FORMAT` plus one entry in the registry table below.
Modules here import only `bot.model`, `bot.text` and `bot.urls`, never the engine.
"""

from __future__ import annotations

from bot.model import AUTO_KIND, Format, Preset
from providers import betterstack, cachet, catalog, feed, gcp, incidentio, instatus, slack, statusio, statuspage

# The registry: one entry per format module, in the order platform detection tries them:
# incident.io before Statuspage, whose API incident.io pages partly answer too.
_REGISTERED: tuple[Format, ...] = (
    incidentio.FORMAT,
    statuspage.FORMAT,
    feed.FORMAT,
    gcp.FORMAT,
    slack.FORMAT,
    statusio.FORMAT,
    betterstack.FORMAT,
    instatus.FORMAT,
    cachet.FORMAT,
)

FORMATS: dict[str, Format] = {f.kind: f for f in _REGISTERED}
if len(FORMATS) != len(_REGISTERED):
    raise ValueError("providers: two formats share one kind")


def _presets(presets: tuple[Preset, ...]) -> dict[str, Preset]:
    """The catalog by name; a duplicate name or an unknown kind fails at import, not at run."""
    table: dict[str, Preset] = {}
    for preset in presets:
        if preset.name in table:
            raise ValueError(f"catalog: duplicate preset name {preset.name!r}")
        if preset.kind not in FORMATS and preset.kind != AUTO_KIND:
            raise ValueError(f"catalog: preset {preset.name!r} has unknown kind {preset.kind!r}")
        table[preset.name] = preset
    return table


PRESETS: dict[str, Preset] = _presets(catalog.PRESETS)
