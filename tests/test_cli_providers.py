"""`statusbot providers` as an operator uses it: the table, its filters, notes and exit statuses."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from bot.cli import main
from bot.model import AUTO_KIND, Preset
from providers import catalog

NOTED = {preset.name for preset in catalog.PRESETS if preset.note}
KINDS = ("feed", "gcp", "incidentio", "slack", "statuspage", "statusio", AUTO_KIND)


def providers(tmp_path: Path, *args: str) -> tuple[int, list[str], str]:
    """Exit status, stdout lines and stderr of one `statusbot providers` run, in process (the
    program as a process is test_cli's: this file is about what the command prints)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(["providers", *args])
        except SystemExit as exit:  # argparse's usage errors
            code = int(exit.code or 0)
    return code, out.getvalue().splitlines(), err.getvalue()


def rows(lines: list[str]) -> dict[str, tuple[bool, str, str]]:
    """Table rows by name: (marked as having a note, kind, URL); header, note, source and footer skipped."""
    return {name: (marked, kind, url) for name, (marked, kind, _, url) in confirmed_rows(lines).items()}


def confirmed_rows(lines: list[str]) -> dict[str, tuple[bool, str, str, str]]:
    """Table rows by name: (marked as having a note, kind, how it was confirmed, URL)."""
    table: dict[str, tuple[bool, str, str, str]] = {}
    for line in lines[1:]:
        if line.startswith((" ", "*")):
            continue
        name, *rest = line.split()
        marked = rest[0] == "*"
        kind, confirmed, url = rest[1:] if marked else rest
        table[name] = (marked, kind, confirmed, url)
    return table


def confirmed(preset: Preset) -> str:
    if preset.evidence is not None:
        return preset.evidence.by
    return "detect" if preset.kind == AUTO_KIND else "-"


def test_lists_every_preset_with_its_kind_url_and_note_marker(tmp_path):
    code, lines, stderr = providers(tmp_path)
    assert code == 0 and stderr == ""
    assert lines[0].split() == ["name", "kind", "confirmed", "url"]
    table = rows(lines)
    assert table == {p.name: (p.name in NOTED, p.kind, p.url) for p in catalog.PRESETS}
    assert list(table) == sorted(table)
    assert lines[-1].startswith("* has a note") and "--notes" in lines[-1]


def test_a_kind_filter_keeps_that_kind_only(tmp_path):
    code, lines, _ = providers(tmp_path, "--kind", "feed")
    assert code == 0
    table = rows(lines)
    assert set(table) == {p.name for p in catalog.PRESETS if p.kind == "feed"} and "aws" in table
    assert {kind for _, kind, _ in table.values()} == {"feed"}


def test_the_exact_layout(tmp_path):
    code, lines, _ = providers(tmp_path, "--kind", "slack")
    assert code == 0
    assert lines == [
        "name   kind   confirmed  url",
        "slack  slack  config     https://slack-status.com",
    ]
    _, with_source, _ = providers(tmp_path, "--kind", "slack", "--sources")
    assert with_source == [*lines, "       source: samuraicode/statuswall server/config.js"]


def test_free_text_matches_name_title_or_url_in_any_case(tmp_path):
    _, by_url, _ = providers(tmp_path, "ATLASSIAN")
    assert {"atlassian", "jira", "confluence", "trello", "bitbucket", "opsgenie"} <= set(rows(by_url))
    _, by_title, _ = providers(tmp_path, "--search", "google cloud")
    assert set(rows(by_title)) == {"gcp"}  # "Google Cloud" is in its title only


def test_filters_combine(tmp_path):
    _, lines, _ = providers(tmp_path, "google", "--kind", "feed")
    table = rows(lines)
    assert "google-workspace" in table and "gcp" not in table
    _, both, _ = providers(tmp_path, "atlassian", "--search", "jira")
    assert set(rows(both)) == {"jira", "jsm"}


def test_notes_are_printed_under_their_preset(tmp_path):
    code, lines, _ = providers(tmp_path, "--notes", "--kind", "statusio")
    assert code == 0
    notes = {p.name: p.note for p in catalog.PRESETS if p.kind == "statusio" and p.note}
    for name, note in notes.items():
        row = next(i for i, line in enumerate(lines) if line.split()[0] == name)
        assert lines[row + 1].split(maxsplit=1) == ["note:", note]
    _, plain, _ = providers(tmp_path, "--notes", "--kind", "slack")
    assert not any("note:" in line for line in plain)


def test_how_each_preset_was_confirmed_is_a_column_and_its_source_a_line_below(tmp_path):
    code, lines, _ = providers(tmp_path, "--sources")
    assert code == 0
    assert {name: by for name, (_, _, by, _) in confirmed_rows(lines).items()} == {
        p.name: confirmed(p) for p in catalog.PRESETS}
    for preset in (p for p in catalog.PRESETS if p.evidence is not None):
        row = next(i for i, line in enumerate(lines) if line.split()[0] == preset.name)
        assert lines[row + 1].split(maxsplit=1) == ["source:", preset.evidence.source]
    _, plain, _ = providers(tmp_path)
    assert not any(line.lstrip().startswith("source:") for line in plain)


def test_no_match_is_said_and_is_not_an_error(tmp_path):
    code, lines, stderr = providers(tmp_path, "no-such-status-page")
    assert (code, lines, stderr) == (0, ["no preset matches"], "")


def test_an_unknown_kind_is_a_usage_error_naming_the_known_kinds(tmp_path):
    code, lines, stderr = providers(tmp_path, "--kind", "carrier-pigeon")
    assert code == 2 and lines == []
    assert "carrier-pigeon" in stderr
    assert all(kind in stderr for kind in KINDS)
