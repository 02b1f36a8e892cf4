"""The systemd set-up keeps the secrets file owner-only, and README installs it the same way."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV_FILE = "/etc/statusbot/statusbot.env"


def env_file_installs(text: str) -> list[list[str]]:
    """Each `install ... /etc/statusbot/statusbot.env` command in `text`, as its arguments."""
    commands = re.findall(rf"sudo (install [^#\n]*{re.escape(ENV_FILE)})", text)
    return [shlex.split(command) for command in commands]


def test_the_env_file_is_installed_owner_only_as_readme_says():
    unit = (REPO / "deploy" / "statusbot.service").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [from_unit] = env_file_installs(unit)
    assert env_file_installs(readme) == [from_unit]
    mode = from_unit[from_unit.index("-m") + 1]
    assert int(mode, 8) & 0o077 == 0, "owner-only: statusbot check warns about anything looser"
    assert from_unit[from_unit.index("-o") + 1] == "statusbot", "`sudo -u statusbot` sources it for other commands"
    assert f"EnvironmentFile=-{ENV_FILE}" in unit
