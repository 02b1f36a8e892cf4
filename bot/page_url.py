"""A provider's `url`: a valid web URL, and a pasted document URL understood or rejected.

A kind appends the paths it reads to a page's base URL; a URL that already ends in one of them
(`https://status.acme.com/api/v2/summary.json`) is reduced to the base URL, with a warning; so is
one of a page whose kind is detected ("auto"), as detection starts from the base URL. The
paths come from each format's own `documents()`, so a new format needs nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlunsplit

from bot.model import AUTO_KIND, ConfigError, Format
from bot.urls import http_url, masked, redacted

# A base URL no page has, to learn which paths each format appends to one.
_PROBE = "https://statusbot.invalid/base"


def document_paths(formats: Mapping[str, Format]) -> dict[str, frozenset[str]]:
    """Kind -> the paths its documents add to a base URL (none where the URL is the document)."""
    return {
        kind: frozenset(d.url[len(_PROBE):] for d in fmt.documents(_PROBE) if d.url.startswith(f"{_PROBE}/"))
        for kind, fmt in formats.items()
    }


@dataclass(frozen=True)
class PageUrl:
    url: str
    warning: str | None = None  # what was changed, and what to write instead


def page_url(url: str, kind: str, paths: Mapping[str, frozenset[str]], key: str,
             secret: frozenset[str] | None = None) -> PageUrl:
    """`url` checked, and reduced to its base when it ends in a document `kind` reads itself.
    Errors never echo the URL, which may carry a token; the warning quotes the base without query
    or password, or, when the URL came from ${VAR} (`secret`: its values), not even that."""
    parts = http_url(url)
    if parts is None:
        raise ConfigError(f"{key}: not a valid http(s) URL with a host")
    path = parts.path.rstrip("/")
    # The longest match decides: /api/v2/incidents.json is Statuspage's, though gcp reads /incidents.json.
    matches = [(suffix, k) for k, suffixes in paths.items() for suffix in suffixes if path.endswith(suffix)]
    if not matches:
        return PageUrl(url)
    suffix = max((s for s, _ in matches), key=len)
    kinds = sorted(k for s, k in matches if s == suffix)
    if kind == AUTO_KIND:  # a document's URL tells the platform detection should start from
        kind = kinds[0]
    elif kind not in kinds:
        raise ConfigError(
            f"{key}: ends in {suffix}, a document of kind {' or '.join(kinds)}, not {kind}: "
            "set that kind, and url to the page's base URL (without the document's path)"
        )
    prefix = path[: -len(suffix)]
    base = urlunsplit((parts.scheme, parts.netloc, prefix, "", ""))
    shown = redacted(base) if secret is None else masked(redacted(base), secret)
    warning = f"{key}: ends in {suffix}, which kind {kind} adds itself; reading {shown}: write that instead"
    return PageUrl(base, warning)


