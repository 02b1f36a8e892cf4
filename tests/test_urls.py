"""The one URL check that the configuration, the providers and the notifiers share."""

from __future__ import annotations

import pytest

from bot.urls import http_url, is_web_link


@pytest.mark.parametrize("url", [
    "https://status.example.com",
    "http://127.0.0.1:8000/acme",
    "HTTPS://Status.Example.com/incidents/abc?x=1&y=2",
    "https://user:pass@hooks.example.com/a",
])
def test_absolute_http_urls_with_a_host_pass(url: str) -> None:
    parts = http_url(url)
    assert parts is not None and parts.hostname
    assert is_web_link(url)


@pytest.mark.parametrize("url", [
    "",
    "status.example.com",            # no scheme
    "ftp://example.com/file",
    "javascript:alert(1)",
    "https://",                      # no host
    "https:///path",
    "https://example.com:99999999/",  # a port out of range
    "https://example.com:abc/",
    "https://example.com/a b",       # whitespace ends a link early in chat markup
    "https://example.com/\nInjected",
    "https://example.com/<!channel>",
    "https://example.com/a|label",
    'https://example.com/"onmouseover',
])
def test_anything_else_is_refused(url: str) -> None:
    assert http_url(url) is None
    assert not is_web_link(url)
