"""A PostgreSQL URL in `[bot] database`: its password is a secret wherever the URL is shown or logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.database import password, shown

PASSWORD = "pa%40ss-w0rd-from-the-file"  # percent-encoded "@", as a URL must carry it
URL = f"postgresql://statusbot:{PASSWORD}@db.example.com:5432/statusbot?sslmode=require"


@pytest.mark.parametrize(("database", "expected"), [
    (URL, "postgresql://statusbot@db.example.com:5432/statusbot?sslmode=require"),
    ("postgres://u:p@[::1]:5432/x", "postgres://u@[::1]:5432/x"),
    ("postgresql://db.example.com/statusbot", "postgresql://db.example.com/statusbot"),
    ("statusbot.db", "statusbot.db"),
])
def test_a_database_is_shown_without_its_password(database, expected):
    assert shown(database) == expected


def test_the_password_is_read_decoded_and_only_from_a_postgresql_url():
    assert password(URL) == "pa@ss-w0rd-from-the-file"
    assert password("postgresql://db.example.com/x") is None
    assert password("file:pa:ss@x.db") is None


def test_check_names_the_replica_and_never_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "statusbot.toml"
    config.write_text(f'[bot]\ndatabase = "{URL}"\nreplica = "bot-a"\n[[providers]]\nname = "openai"\n'
                      '[[channels]]\nname = "log"\ntype = "console"\n')
    config.chmod(0o600)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "database: postgresql://statusbot@db.example.com:5432/statusbot?sslmode=require" in out
    assert " replica=bot-a" in out and "pa@ss" not in out and PASSWORD not in out
