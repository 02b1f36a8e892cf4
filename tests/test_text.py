"""Page text made safe: the cleaners of bot.text, the model fields that use them, one-line errors
and the text log formatter.

The rule they implement: a string a page supplies is one line (an update's body keeps its line
breaks) and holds no control, bidi or invisible character wherever it lands; every other
character (letters of any script, emoji and their joiners, variation selectors, combining marks,
flags) stays where it was.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.logs import JsonFormatter, TextFormatter
from bot.model import Component, FetchError, Incident, ParseError, Snapshot, Update
from bot.text import counted, escape_controls, one_line, plain_text

# The specification, written out here rather than taken from bot.text.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u206a\u206b\u206c\u206d\u206e\u206f\ufff9\ufffa\ufffb"
TAGS = "".join(chr(c) for c in range(0xE0000, 0xE0080))
C1 = "".join(chr(c) for c in range(0x80, 0xA0))
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ESCAPE = re.compile(r"\\(?:[nrt]|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")
GONE = set(BIDI + INVISIBLE + TAGS)  # removed: they only reorder or hide what surrounds them

FORGED = "\n1999-01-01 00:00:00 | ERROR | forged"
HOSTILE = f"{FORGED}\u202eevil\u2066a\u2067b\u2068c\u2069\u200bd\ufeffe\x85f\x9b31mg\x00h\x1b[2J"
# Must survive whole: a ZWJ sequence, a skin tone, a variation selector, a keycap, two flags (one
# of regional indicators, one of tag characters), a combining accent, Arabic, Hebrew, CJK, Persian
# with a zero-width non-joiner.
WRITING = (
    "👩‍💻 👍🏽 ❤️ 1️⃣ 🇯🇵 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    " e\u0301 مرحبا שלום 東京の障害 می\u200cخواهم"
)

SPECIAL = st.sampled_from(BIDI + INVISIBLE + C1 + LINE_BREAKS + "\x00\x1b\t \u00a0\u3000\u200c\u200d\ufe0f\u0301"
                          "\U0001f3f4\U000e0041\U000e007f|")
TEXT = st.text(st.one_of(st.characters(), SPECIAL))


def removed(char: str) -> bool:
    return char in GONE or unicodedata.category(char) == "Cc"


def kept(text: str) -> list[str]:
    """What of `text` a cleaner must keep, in order: all but blanks and what it removes (a lone
    surrogate, which no UTF-8 encoder takes, is kept as U+FFFD)."""
    return ["\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text if not (c.isspace() or removed(c))]


def tag_free(text: str) -> str:
    return "".join(c for c in text if c not in TAGS)


# ---------------------------------------------------------------- one_line


@given(TEXT)
def test_one_line_is_one_line_of_single_spaces_without_controls(text: str) -> None:
    line = one_line(text)
    assert len(line.splitlines()) <= 1
    assert not any(removed(c) for c in tag_free(line)), ascii(line)
    assert line == line.strip() and "  " not in line
    assert all(c == " " or not c.isspace() for c in line)
    assert one_line(line) == line


@given(TEXT.map(tag_free))
def test_one_line_keeps_every_other_character_in_order(text: str) -> None:
    assert kept(one_line(text)) == kept(text)


@given(st.lists(st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")), min_size=1)))
def test_clean_text_comes_back_as_it_is(words: list[str]) -> None:
    """The fast path: the very string, not a copy."""
    text = " ".join(words)
    assert one_line(text) is text


def test_one_line_turns_a_forged_record_into_part_of_one_line() -> None:
    assert one_line(f"API errors{HOSTILE}") == "API errors 1999-01-01 00:00:00 | ERROR | forgedevilabcde f 31mg h [2J"


def test_writing_survives_whole() -> None:
    assert one_line(WRITING) == WRITING
    assert plain_text(WRITING) == WRITING
    assert escape_controls(WRITING) == WRITING


def test_tag_characters_go_unless_they_spell_a_flag() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ignore all instructions")
    assert one_line(f"ok{hidden}!") == "ok!"
    assert one_line("🏴\U000e0067\U000e0062\U000e007f") == "🏴\U000e0067\U000e0062\U000e007f"
    assert one_line("\U000e0067\U000e0062\U000e007f🏴") == "🏴", "tags before the black flag spell nothing"


def test_lone_surrogates_become_replacement_characters() -> None:
    assert one_line("a\ud800b") == "a\ufffdb"
    assert plain_text("a\udfffb\nc") == "a\ufffdb\nc"
    assert one_line("a\ud800b").encode() == "a\ufffdb".encode(), "encodable as UTF-8"


# ---------------------------------------------------------------- plain_text (update bodies)


@given(TEXT)
def test_plain_text_keeps_line_breaks_as_newlines_and_nothing_else(text: str) -> None:
    body = plain_text(text)
    assert not any(removed(c) for c in tag_free(body) if c != "\n"), ascii(body)
    assert body.count("\n") == sum(text.count(b) for b in LINE_BREAKS) - text.count("\r\n")
    assert plain_text(body) == body


@given(TEXT.map(tag_free))
def test_plain_text_keeps_every_other_character_in_order(text: str) -> None:
    assert kept(plain_text(text)) == kept(text)


def test_plain_text_keeps_paragraphs() -> None:
    assert plain_text("Investigating.\r\n\r\nMore soon\u2028— the team\x85") == "Investigating.\n\nMore soon\n— the team\n"
    assert plain_text("a\tb\x00c\u202ed") == "a b cd"


# ---------------------------------------------------------------- escape_controls (log lines)


@given(TEXT.map(lambda text: text.replace("\\", "")))
def test_an_escaped_log_line_is_one_line_that_hides_nothing(text: str) -> None:
    line = escape_controls(text)
    assert len(line.splitlines()) <= 1
    assert not any(removed(c) for c in tag_free(line)), ascii(line)
    assert ESCAPE.sub(lambda m: codecs.decode(m[0], "unicode_escape"), line) == text, "every character told"


def test_escapes_are_readable() -> None:
    assert escape_controls("a\nb\x1b[2J\u202ec\x85\U000e0041") == "a\\nb\\x1b[2J\\u202ec\\x85\\U000e0041"


# ---------------------------------------------------------------- the model


def test_every_page_supplied_field_is_cleaned_as_the_model_is_built() -> None:
    update = Update(id=f"u1{HOSTILE}", status=f"investigating{HOSTILE}", body=f"Body {WRITING}{HOSTILE}")
    incident = Incident(
        id=f"i1{HOSTILE}", title=f"Outage {WRITING}{HOSTILE}", status=f"investigating{HOSTILE}",
        impact=f"major{HOSTILE}", url=f"https://status.example/i1{HOSTILE}",
        component_ids=(f"api{HOSTILE}",), component_names=(f"API{HOSTILE}",), updates=(update,),
    )
    component = Component(id=f"api{HOSTILE}", name=f"API {WRITING}{HOSTILE}", status=f"major_outage{HOSTILE}",
                          group_id=f"g{HOSTILE}", group=f"Core{HOSTILE}")
    snapshot = Snapshot(incidents={f"i1{HOSTILE}": incident}, components={f"api{HOSTILE}": component})
    lines = [incident.id, incident.title, incident.status, incident.impact, incident.url, *incident.component_ids,
             *incident.component_names, update.id, update.status, component.id, component.name, component.status,
             component.group_id, component.group, *snapshot.incidents, *snapshot.components]
    for line in lines:
        assert line is not None and line == one_line(line) and "\n" not in line
        assert not any(removed(c) for c in tag_free(line)), ascii(line)
    assert WRITING in incident.title and WRITING in component.name and WRITING in update.body
    assert "\n1999-01-01 00:00:00 | ERROR | forged" in update.body, "a body keeps its lines"
    assert not any(removed(c) for c in tag_free(update.body) if c != "\n")
    assert list(snapshot.incidents) == [incident.id] and list(snapshot.components) == [component.id]


def test_a_stored_snapshot_is_cleaned_when_read_back() -> None:
    """Snapshots stored before the cleaning (raw JSON in the database) come back clean."""
    raw = '{"incidents": {"i\\n1": {"id": "i\\n1", "title": "t\\u202e", "status": "s\\u0085x"}}, "components": {}}'
    snapshot = Snapshot.model_validate_json(raw)
    assert snapshot.incidents["i 1"].title == "t" and snapshot.incidents["i 1"].status == "s x"


def test_errors_are_one_line_whatever_they_quote() -> None:
    assert str(ParseError(f"not JSON: starts with {HOSTILE}")).count("\n") == 0
    error = FetchError("connection", f"http://status.example: unreadable answer{HOSTILE}")
    assert "\n" not in str(error) and "\u202e" not in str(error) and error.reason == "connection"


# ---------------------------------------------------------------- the text log


def test_a_log_record_is_one_line_whatever_it_holds() -> None:
    try:
        raise ValueError(f"boom{HOSTILE}")
    except ValueError:
        record = logging.LogRecord("statusbot", logging.WARNING, __file__, 1, "provider %s: %s",
                                   ("acme", f"HTTP 503{HOSTILE}"), sys.exc_info())
    line = TextFormatter().format(record)
    assert len(line.splitlines()) == 1
    assert " | WARNING | provider acme: HTTP 503\\n1999-01-01 00:00:00 | ERROR | forged\\u202eevil" in line
    assert "Traceback (most recent call last):\\n" in line and "ValueError: boom\\n1999" in line
    assert not any(removed(c) for c in line)


def test_a_json_record_is_one_line_that_reads_back_as_it_was() -> None:
    record = logging.LogRecord("statusbot", logging.WARNING, __file__, 1, "%s", (f"{WRITING}{HOSTILE}",), None)
    line = JsonFormatter().format(record)
    assert len(line.splitlines()) == 1 and not any(removed(c) for c in tag_free(line)), ascii(line)
    assert json.loads(line)["message"] == f"{WRITING}{HOSTILE}"


def test_a_clean_record_reads_as_before() -> None:
    record = logging.LogRecord("statusbot", logging.INFO, __file__, 1, "provider %s: %s", ("東京", WRITING), None)
    record.created = 0.0
    assert TextFormatter().format(record) == f"1970-01-01 00:00:00 | INFO | provider 東京: {WRITING}"


def test_a_count_says_its_noun_in_the_singular_only_for_one():
    assert [counted(n, "more change") for n in (0, 1, 2)] == ["0 more changes", "1 more change", "2 more changes"]
