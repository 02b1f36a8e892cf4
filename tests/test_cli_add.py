"""`statusbot add URL` as an operator runs it: the real command against local pages of each
platform (tests/fakes/platforms.py), its printed table loaded as configuration, and its exit statuses."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

from bot.cli import _preset_of, page_name
from bot.config import load_config
from bot.model import Preset
from bot.root import DESTINATIONS
from providers import FORMATS, PRESETS
from tests.bot_process import BotProcess
from tests.builders import CONSOLE_CHANNEL
from tests.fakes.platforms import Platforms, html
from tests.ports import free_port


@pytest.fixture(scope="module")
def pages():
    with Platforms() as server:
        yield server


def add(tmp_path: Path, *args: str) -> tuple[int, list[str], list[str]]:
    """Exit status, stdout lines and stderr lines of one `statusbot add` run."""
    process = BotProcess("add", *args, cwd=tmp_path)
    code = process.run()
    return code, [line.rstrip("\n") for line in process.stdout], [line.rstrip("\n") for line in process.stderr]


async def run_add(tmp_path: Path, *args: str) -> tuple[int, list[str], list[str]]:
    return await asyncio.to_thread(add, tmp_path, *args)


async def test_each_platform_is_detected_and_its_table_loads_as_configuration(tmp_path, pages):
    addresses = {
        "statuspage": pages.statuspage("/acme"), "incidentio": pages.incidentio("/openai"),
        "statusio": pages.statusio("/gitlab"), "feed": pages.rss("/aws"), "instatus": pages.instatus("/railway"),
        "betterstack": pages.betterstack("/fireworks"), "cachet": pages.cachet("/cachet"),
    }
    runs = await asyncio.gather(*(run_add(tmp_path, address) for address in addresses.values()))
    for (kind, address), (code, out, err) in zip(addresses.items(), runs, strict=True):
        assert (code, err) == (0, []), kind
        assert out[0].startswith("# detected: ") and address in out[0] and out[1] == "[[providers]]"
        table = tomllib.loads("\n".join(out))["providers"][0]
        assert table["kind"] == kind
        config = tmp_path / f"{kind}.toml"
        config.write_text("\n".join([*out, CONSOLE_CHANNEL]))
        loaded = load_config(config, {}, FORMATS, DESTINATIONS, PRESETS)
        assert [(p.kind, p.url) for p in loaded.providers] == [(kind, table["url"])]
    assert tomllib.loads("\n".join(runs[0][1]))["providers"][0] == {
        "name": "acme", "kind": "statuspage", "url": addresses["statuspage"]}


async def test_a_moved_page_is_printed_at_its_new_address_under_the_name_given(tmp_path, pages):
    new = pages.statuspage("/stripestatus")
    old = pages.redirect("/stripe", "/stripestatus")
    code, out, err = await run_add(tmp_path, old, "--name", "payments")
    assert (code, err) == (0, [])
    assert out == [
        f"# detected: Statuspage at {new} (redirected from {old})",
        "[[providers]]",
        'name = "payments"',
        'kind = "statuspage"',
        f'url = "{new}"',
    ]


async def test_an_unknown_platform_is_one_line_on_stderr_and_status_1(tmp_path, pages):
    address = pages.page("/plain", {"": html()})
    code, out, err = await run_add(tmp_path, address)
    assert (code, out) == (1, [])
    assert len(err) == 1 and err[0].startswith(f"statusbot: no known status page platform at {address}: ")
    assert "RSS/Atom (the page is HTML without a feed link)" in err[0]


async def test_an_unreachable_page_is_one_line_on_stderr_and_status_1(tmp_path):
    address = f"http://127.0.0.1:{free_port()}/acme"
    code, out, err = await run_add(tmp_path, address)
    assert (code, out) == (1, [])
    assert err == [f"statusbot: cannot reach the page: connection: {address}: Connection refused"]


async def test_an_invalid_url_is_named_in_one_line_and_status_2(tmp_path):
    code, out, err = await run_add(tmp_path, "ftp://status.acme.com/feed")
    assert (code, out, err) == (2, [], ["statusbot: not a valid http(s) URL: ftp://status.acme.com/feed"])


def test_the_catalog_preset_of_the_detected_page_is_named():
    """The preset hint, through the function the command prints it from (a preset's URL is not local)."""
    preset = Preset("acme", "Acme", "statuspage", "https://status.acme.test")
    assert _preset_of("statuspage", "https://status.acme.test/", {"acme": preset}) is preset
    assert _preset_of("feed", "https://status.acme.test", {"acme": preset}) is None


@pytest.mark.parametrize(("address", "name"), [
    ("https://status.acme.com", "acme"),
    ("https://www.stripestatus.com", "stripe"),
    ("https://status.cloud.google.com/", "google"),
    ("https://status.acme.co.uk", "acme"),
    ("https://discordstatus.com", "discord"),
    ("https://Status.Big_Corp.io", "big-corp"),
    ("http://127.0.0.1:8080/acme/", "acme"),
    ("http://localhost:8080", "status"),
])
def test_a_name_from_the_host(address, name):
    assert page_name(address) == name
