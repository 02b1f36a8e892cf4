"""Who may read the endpoint, and the headers every answer carries.

With `[bot] http_token` set, every path but /healthz (which a container's health check and a load
balancer ask without credentials) asks for the token: as `Authorization: Bearer TOKEN`, or as
`?token=TOKEN` for a browser on a wall screen, which cannot send a header.
"""

from __future__ import annotations

import hmac

from aiohttp import web

OPEN_PATHS = frozenset({"/healthz"})

# The board is the bot's own HTML, JavaScript and CSS, showing text that status pages wrote: nothing
# may load or run from anywhere else, and no page may frame it. `no-referrer` keeps a `?token=` in
# the address from leaving with a click on a status page's link.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Access:
    """Whether a request may be answered; with no token, every request may."""

    def __init__(self, token: str | None):
        self._token = token.encode() if token else None

    @property
    def guarded(self) -> bool:
        return self._token is not None

    def allows(self, request: web.Request) -> bool:
        if self._token is None or request.path in OPEN_PATHS:
            return True
        return any(hmac.compare_digest(given.encode(), self._token) for given in _offered(request))

    def refusal(self) -> web.Response:
        # The same answer for a missing and a wrong token: nothing tells a guesser how close it came.
        return web.Response(status=401, text="unauthorized: this endpoint asks for its token\n",
                            headers={"WWW-Authenticate": 'Bearer realm="statusbot"'})


def _offered(request: web.Request) -> list[str]:
    """The tokens a request offers: its bearer credentials and its `token` query parameters."""
    offered = request.query.getall("token", [])
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        offered.append(credentials.strip())
    return offered
