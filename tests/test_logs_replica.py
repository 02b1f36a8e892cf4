"""Logs of a replica sharing a database name it on every line, in both formats; a lone bot's lines
are as they were."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import name_replica, setup_logging

log = logging.getLogger("statusbot.poll")


@pytest.fixture
def own_logging() -> Iterator[None]:
    """setup_logging replaces the root logger's handlers: they are put back, and the name taken away."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    name_replica(None)
    root.handlers[:] = handlers
    root.setLevel(level)


def three_lines(form: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """A line before the replica is named, one after, and one with a traceback."""
    setup_logging("INFO", form)
    log.warning("provider %s: HTTP 503", "acme")
    name_replica("r1")
    log.warning("provider %s: HTTP 503", "acme")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("provider acme: failed")
    return capsys.readouterr().err.splitlines()


def test_text_lines_name_the_replica_after_the_level(own_logging, capsys):
    lone, named, failed = (line.split(" | ", 1)[1] for line in three_lines("text", capsys))  # without the time
    assert lone == "WARNING | provider acme: HTTP 503"
    assert named == "WARNING | replica r1 | provider acme: HTTP 503"
    assert failed.startswith("ERROR | replica r1 | provider acme: failed\\nTraceback") and "ValueError: boom" in failed


def test_json_lines_carry_a_replica_field(own_logging, capsys):
    lone, named, failed = (json.loads(line) for line in three_lines("json", capsys))
    assert lone.keys() == {"time", "level", "logger", "message"}
    del lone["time"], named["time"]
    assert named == {**lone, "replica": "r1"}
    assert failed["replica"] == "r1" and "ValueError: boom" in failed["error"]
