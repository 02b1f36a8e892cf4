"""The manual and the packaging cannot drift from the code.

- README's configuration reference (the tables after `<!-- config-table: X -->`) names every key
  the code accepts, with its default, and no key the code does not accept.
- Every example configuration (README's ```toml blocks, deploy/statusbot.toml) loads with the
  real registries; deploy/statusbot.toml uses every key.
- The environment variables README and .env.example name are the ones the code reads.
- README's commands, global options and metrics are the CLI's and bot.metrics'.
- The Dockerfile (non-root, volume, health check, entrypoint), .dockerignore, the compose file and
  the systemd unit say what the manual says, and the image's entrypoint and health command work
  as plain processes (no Docker engine needed).

Default cells in the reference tables: `required` (no default), `unset…` (the default is None),
or a cell whose first `code` span is the default written as TOML (`60`, `"active"`, `[]`).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bot import cli, config, config_env, config_file, root
from bot.config import BotSettings, load_config
from tests.eventually import eventually
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
ENV_EXAMPLE = REPO / ".env.example"
DEPLOY = REPO / "deploy"
EXAMPLE_CONFIG = DEPLOY / "statusbot.toml"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
HA_COMPOSE_FILE = DEPLOY / "docker-compose.ha.yml"
UNIT_FILE = DEPLOY / "statusbot.service"

HEALTH_URL = "http://127.0.0.1:9108/healthz"


def readme() -> str:
    return README.read_text(encoding="utf-8")


# ---------------------------------------------------------------- README's reference tables


def _cells(line: str) -> list[str]:
    inner = line.strip().strip("|")
    return [cell.strip().replace(r"\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def reference_table(marker: str) -> dict[str, dict[str, str]] | None:
    """The table after `<!-- config-table: marker -->` as key -> row (by header); {} when the
    marker is followed by prose instead of a table; None when the marker is absent."""
    lines = readme().splitlines()
    try:
        start = lines.index(f"<!-- config-table: {marker} -->")
    except ValueError:
        return None
    table: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            table.append(line)
        elif table or line.strip():
            break
    if not table:
        return {}
    header = _cells(table[0])
    rows = {}
    for line in table[2:]:  # past the header and the |---| line
        row = dict(zip(header, _cells(line), strict=True))
        key = row["key"].strip("`")
        assert key not in rows, f"README [{marker}]: key {key} listed twice"
        rows[key] = row
    return rows


def reference_markers() -> list[str]:
    return re.findall(r"^<!-- config-table: ([\w-]+) -->$", readme(), re.MULTILINE)


def toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


def check_default(where: str, key: str, info: FieldInfo, cell: str) -> None:
    if info.is_required():
        assert cell.lower().startswith("required"), f"README [{where}] {key}: default should say required, says {cell!r}"
        return
    default = info.get_default(call_default_factory=True)
    if default is None:
        assert cell.lower().startswith("unset"), f"README [{where}] {key}: default is unset in the code, README says {cell!r}"
        return
    shown = re.search(r"`([^`]*)`", cell)
    assert shown, f"README [{where}] {key}: default should be `{toml_literal(default)}`, README says {cell!r}"
    assert shown.group(1) == toml_literal(default), (
        f"README [{where}] {key}: default is {toml_literal(default)} in the code, README says {shown.group(1)}"
    )


def accepted_keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    keys = {}
    for name, info in model.model_fields.items():
        keys[name] = info
        if info.alias:
            keys[info.alias] = info
    return keys


SECTIONS: dict[str, type[BaseModel]] = {
    "bot": BotSettings,
    "providers": config.ProviderTable,
    "channels": config.ChannelTable,
    **{kind: destination.settings for kind, destination in root.DESTINATIONS.items()},
}


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_reference_lists_every_key_with_its_default(section):
    model = SECTIONS[section]
    rows = reference_table(section)
    assert rows is not None, f"README: no configuration reference for [{section}] (<!-- config-table: {section} -->)"
    fields = accepted_keys(model)
    missing = sorted(set(model.model_fields) - set(rows))
    assert not missing, f"README [{section}]: keys the code accepts but the reference does not list: {missing}"
    unknown = sorted(set(rows) - set(fields))
    assert not unknown, f"README [{section}]: keys the code does not accept: {unknown}"
    for key, row in rows.items():
        check_default(section, key, fields[key], row["default"])
        assert row.get("meaning"), f"README [{section}] {key}: no meaning given"


def test_reference_covers_exactly_the_registered_channel_types():
    documented = set(reference_markers()) - {"bot", "providers", "channels"}
    assert documented == set(root.DESTINATIONS), "README: a channel type's reference is missing or stale"


def test_channel_type_keys_do_not_shadow_the_common_ones():
    common = set(config.ChannelTable.model_fields)
    for kind, destination in root.DESTINATIONS.items():
        assert not common & set(destination.settings.model_fields), f"{kind} settings reuse a common channel key"


# ---------------------------------------------------------------- example configurations


def readme_toml_blocks() -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", readme(), re.MULTILINE | re.DOTALL)


# Variables whose URL a destination checks for its service's shape.
SERVICE_URLS = {
    "TEAMS_WEBHOOK_URL": "https://prod.example.com/workflows/0a1b/triggers/manual/paths/invoke?sv=1.0&sig=dummysig",
    "GOOGLECHAT_WEBHOOK_URL": "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=dummykey&token=dummytoken",
    "MATTERMOST_WEBHOOK_URL": "https://mattermost.example.com/hooks/dummykey",
    "TELEGRAM_URL": "tgram://123456789:dummytoken/12345",
    "NTFY_URL": "ntfys://ntfy.example.com/dummy-topic",
    "STATUSBOT_HTTP_TOKEN": "dummy-board-token-0123456789",
}


def dummy_env(text: str) -> dict[str, str]:
    """A value for each ${VAR}, valid where that kind of variable is used."""
    env = {}
    for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text):
        if name in SERVICE_URLS:  # and other values of a shape of their own
            env[name] = SERVICE_URLS[name]
        elif name.endswith("URL"):
            env[name] = f"https://hooks.example.com/{name.lower()}/123/token"
        elif name.endswith("TOKEN"):
            env[name] = "xoxb-0000-dummy"
        else:
            env[name] = f"dummy-{name.lower()}"
    return env


def load_example(text: str, tmp_path: Path) -> config.Config:
    """`text` through the real loader; a fragment gets a provider and a console channel."""
    document = tomllib.loads(text)
    if "providers" not in document:
        text += '\n[[providers]]\nname = "openai"\n'
    if "channels" not in document:
        text += '\n[[channels]]\nname = "example-console"\ntype = "console"\n'
    path = tmp_path / "example.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, dummy_env(text), root.FORMATS, root.DESTINATIONS, root.PRESETS)


def test_readme_has_example_configurations():
    assert len(readme_toml_blocks()) >= 4


@pytest.mark.parametrize("index", range(len(readme_toml_blocks())))
def test_readme_toml_example_loads(index, tmp_path):
    load_example(readme_toml_blocks()[index], tmp_path)


def test_example_config_file_loads(tmp_path):
    loaded = load_example(EXAMPLE_CONFIG.read_text(encoding="utf-8"), tmp_path)
    assert {channel.type for channel in loaded.channels} == set(root.DESTINATIONS)


def test_example_config_file_uses_every_key():
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    document = tomllib.loads(text)
    commented = set(re.findall(r"^\s*#\s*(\w+)\s*=", text, re.MULTILINE))
    used = {"bot": set(document["bot"]), "providers": set().union(*document["providers"])}
    used["channels"] = set().union(*document["channels"])
    for table in document["channels"]:
        used.setdefault(table["type"], set()).update(table)
    for section, model in SECTIONS.items():
        missing = set(model.model_fields) - used.get(section, set()) - commented
        assert not missing, f"deploy/statusbot.toml: [{section}] never shows {sorted(missing)}"


# ---------------------------------------------------------------- environment variables


def code_env_vars() -> dict[str, str]:
    """Variable -> what it sets, as the configuration and the registered destinations read them."""
    found = {var: f"[bot] {key}" for key, var in config_env.BOT_VARIABLES.items()}
    for _, spec in config_env.env_channels(root.DESTINATIONS):
        for var in spec.variables.values():
            found[var] = f"channel {spec.name}"
    found[config_env.PROVIDERS_VARIABLE] = "presets"
    found[config_file.CONFIG_VARIABLE] = "configuration file"
    return found


def test_readme_environment_table_matches_the_code():
    text = readme()
    section = text[text.index("### Without a file: the environment") :]
    section = section[: section.index("\n### ", 1)]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))
    known = code_env_vars()
    assert documented == set(known), f"README environment table: missing {set(known) - documented}, unknown {documented - set(known)}"
    for key, var in config_env.BOT_VARIABLES.items():
        assert re.search(rf"`{var}` \| `\[bot\] {key}`", section), f"README: {var} should say it sets [bot] {key}"


def test_env_example_lists_every_variable():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))
    assert listed == set(code_env_vars())


# ---------------------------------------------------------------- commands and metrics


def subcommands() -> set[str]:
    parser = cli._parser()
    (action,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return set(action.choices)


def global_options() -> set[str]:
    return {option for action in cli._parser()._actions for option in action.option_strings}


def readme_commands() -> set[str]:
    text = readme()
    block = text[text.index("## Commands") :]
    block = block[block.index("```") + 3 :]
    block = block[: block.index("```")]
    return set(re.findall(r"^statusbot (?:--[\w-]+ \S+ )*([a-z][\w-]*)", block, re.MULTILINE))


def test_readme_documents_every_command():
    missing = subcommands() - readme_commands()
    assert not missing, f"README's Commands block does not show {sorted(missing)}"


def test_readme_names_no_unknown_command():
    unknown = readme_commands() - subcommands()
    assert not unknown, f"README shows commands the CLI does not have: {sorted(unknown)}"


def test_readme_names_no_unknown_global_option():
    text = readme()
    shown = set(re.findall(r"(?:^|`)statusbot (--[\w-]+)", text, re.MULTILINE))
    unknown = shown - global_options()
    assert not unknown, f"README shows options the CLI does not have: {sorted(unknown)}"


def readme_metrics() -> dict[str, tuple[str, tuple[str, ...]]]:
    lines = readme().splitlines()
    start = lines.index("<!-- metrics-table -->")
    metrics = {}
    for line in lines[start + 3 :]:
        if not line.startswith("|"):
            break
        name, kind, labels, _ = _cells(line)
        metrics[name.strip("`")] = (kind, tuple(re.findall(r"`(\w+)`", labels)))
    return metrics


def test_readme_metrics_are_the_ones_served():
    metrics_module = pytest.importorskip("bot.metrics", reason="bot.metrics has not landed yet")
    served = {}
    registry = metrics_module.Metrics().registry
    for collector in list(registry._collector_to_names):  # every metric, labelled or not
        kind = collector._type
        name = collector._name + ("_total" if kind == "counter" else "")
        served[name] = (kind, tuple(collector._labelnames))
    assert readme_metrics() == served


# ---------------------------------------------------------------- the Dockerfile


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions (NAME, arguments) per stage; continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        name, _, args = line.strip().partition(" ")
        if name.upper() == "FROM":
            stages.append([])
        stages[-1].append((name.upper(), args.strip()))
    return stages


def final_stage() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, args in dockerfile_stages()[-1]:
        found.setdefault(name, []).append(args)
    return found


def dockerfile_env() -> dict[str, str]:
    env = {}
    for args in final_stage().get("ENV", []):
        for item in shlex.split(args):
            key, _, value = item.partition("=")
            env[key] = value
    return env


def health_command() -> list[str]:
    (args,) = final_stage()["HEALTHCHECK"]
    exec_form = args[args.index("CMD ") + 4 :].strip()
    return json.loads(exec_form)


def test_dockerfile_is_multi_stage_on_python_311_slim():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        assert stage[0][1].split()[0] == "python:3.11-slim"
    assert "pip wheel" in " ".join(args for name, args in stages[0] if name == "RUN")
    final_runs = " ".join(final_stage().get("RUN", []))
    assert "--no-index" in final_runs, "the final stage installs the built wheels only"
    assert not re.search(r"apt-get|gcc|build-essential", final_runs), "no build tools in the final stage"


def test_dockerfile_runs_as_a_non_root_user():
    (user,) = final_stage()["USER"]
    uid = user.split(":")[0]
    assert uid not in ("root", "0")
    assert uid == "10001"
    assert "--uid 10001" in " ".join(final_stage()["RUN"])


def test_dockerfile_keeps_state_in_the_data_volume():
    stage = final_stage()
    assert stage["WORKDIR"] == ["/data"]
    assert any("/data" in json.loads(v) if v.startswith("[") else "/data" in v.split() for v in stage["VOLUME"])
    assert dockerfile_env()["STATUSBOT_DATABASE"] == "/data/statusbot.db"


def test_dockerfile_entrypoint_signal_and_health_check():
    stage = final_stage()
    assert [json.loads(v) for v in stage["ENTRYPOINT"]] == [["statusbot"]]
    assert [json.loads(v) for v in stage["CMD"]] == [["run"]]
    assert stage["STOPSIGNAL"] == ["SIGTERM"]
    command = health_command()
    assert command[:2] == ["python", "-c"] and HEALTH_URL in command[2]
    host, _, port = dockerfile_env()["STATUSBOT_HTTP"].rpartition(":")
    assert port == "9108" and host in ("0.0.0.0", "127.0.0.1")


def test_entrypoint_is_the_installed_script():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    (entrypoint,) = [json.loads(v) for v in final_stage()["ENTRYPOINT"]]
    assert scripts[entrypoint[0]] == "bot.cli:main"


def plain_env(**extra: str) -> dict[str, str]:
    """A clean environment, as in a fresh container: no destinations, this checkout's code."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    return {**keep, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **extra}


def run_bot(*args: str, cwd: Path, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


def test_entrypoint_runs_as_a_plain_process(tmp_path):
    (entrypoint,) = [json.loads(v) for v in final_stage()["ENTRYPOINT"]]
    (command,) = [json.loads(v) for v in final_stage()["CMD"]]
    assert entrypoint == ["statusbot"]  # `python -m bot` is the same program
    done = run_bot("--help", cwd=tmp_path, env=plain_env())
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout
    done = run_bot(*command, "--help", cwd=tmp_path, env=plain_env())
    assert done.returncode == 0, done.stderr


def test_image_environment_makes_a_valid_default_configuration(tmp_path):
    """The image's ENV, with no file and no destinations: state in /data, endpoint on 9108."""
    image_env = dockerfile_env()
    done = run_bot("check", cwd=tmp_path, env=plain_env(**image_env))
    assert done.returncode == 0, done.stderr
    assert "database: /data/statusbot.db" in done.stdout
    if "http" in BotSettings.model_fields:
        assert f"http={image_env['STATUSBOT_HTTP']}" in done.stdout


def run_health(port: int) -> subprocess.CompletedProcess[str]:
    """The image's health command, as a plain process, against 127.0.0.1:`port`."""
    command = health_command()
    code = command[2].replace("127.0.0.1:9108", f"127.0.0.1:{port}")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)


def test_health_command_fails_when_nothing_listens():
    assert run_health(free_port()).returncode == 1


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok\n" if self.status == 200 else b"unhealthy: test\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("status, expected", [(200, 0), (503, 1)])
def test_health_command_follows_the_status(status, expected):
    handler = type("Handler", (_Health,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert run_health(server.server_port).returncode == expected
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def status_page() -> Iterator[str]:
    from tests.fakes.status_page import PageScript, StatusPageServer

    with StatusPageServer() as pages:
        script = PageScript("Acme")
        script.component("api", "API")
        pages.publish("/acme", script)
        yield f"{pages.url}/acme"


def test_health_command_passes_against_a_running_bot(tmp_path, status_page):
    if "http" not in BotSettings.model_fields:
        pytest.skip("[bot] http is not accepted by bot.config yet")
    port = free_port()
    path = tmp_path / "statusbot.toml"
    path.write_text(f"""
[bot]
database = "{tmp_path / 'state.db'}"
interval = 0.5
http = "127.0.0.1:{port}"

[[providers]]
name = "acme"
kind = "statuspage"
url = "{status_page}"

[[channels]]
name = "log"
type = "console"
""")
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(path)], cwd=tmp_path,
                           env=plain_env(), text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def healthy() -> bool:
            assert bot.poll() is None, f"the bot exited with {bot.returncode}: {bot.stderr.read()}"
            return run_health(port).returncode == 0

        eventually(healthy, what="/healthz answered 200")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            exposition = response.read().decode()
        served = set(re.findall(r"^# TYPE (\w+) ", exposition, re.MULTILINE))
        assert served == set(readme_metrics()), "README's metrics table differs from what /metrics serves"
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(30) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait(10)


def _dist_name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip()).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_a_declared_dependency():
    """The image installs statusbot's declared dependencies and its extras (but the test one), and nothing else."""
    import ast
    from importlib import metadata

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for extra, requirements in project["optional-dependencies"].items() if extra != "test" for r in requirements]
    declared = {_dist_name(r) for r in [*project["dependencies"], *extras]}
    allowed = set(declared)
    for dist in declared:  # what a declared package brings along (pydantic -> pydantic-core)
        allowed |= {_dist_name(r) for r in metadata.requires(dist) or () if "extra ==" not in r}
    owners = metadata.packages_distributions()
    local = {"bot", "providers", "notifiers"}
    missing = {}
    for package in local:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in local:
                        continue
                    dists = {_dist_name(d) for d in owners.get(top, [top])}
                    if not dists & allowed:
                        missing.setdefault(top, set()).add(str(path.relative_to(REPO)))
    assert not missing, f"imported but not in pyproject.toml's dependencies (the image would lack them): {missing}"


# ---------------------------------------------------------------- .dockerignore


def dockerignore_patterns() -> list[tuple[bool, str]]:
    patterns = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def _glob_regex(pattern: str) -> str:
    """A .dockerignore pattern as a regex: `*` and `?` stay within one path element, `**` spans
    any number of them, `[...]` is a character class."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            regex, i = regex + pattern[i : end + 1], end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return regex


def _matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matches a path or any of its parent directories."""
    regex = _glob_regex(pattern)
    parts = path.split("/")
    return any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1))


def in_build_context(path: str) -> bool:
    included = True
    for negated, pattern in dockerignore_patterns():
        if _matches(pattern, path):
            included = negated
    return included


def test_dockerignore_keeps_the_context_to_the_package():
    for needed in ("pyproject.toml", "README.md", "bot/cli.py", "providers/catalog.py", "notifiers/slack.py"):
        assert in_build_context(needed), needed
    for kept_out in ("tests/test_docs.py", ".git/HEAD", ".pytest_cache/v/x", ".hypothesis/x", "build/lib/x.py",
                     "statusbot.egg-info/PKG-INFO", "statusbot.db", "statusbot.db-wal", ".env", "deploy/statusbot.toml",
                     "bot/__pycache__/cli.cpython-311.pyc", "bot/state.db", "Dockerfile", ".mypy_cache/x"):
        assert not in_build_context(kept_out), kept_out


def test_dockerfile_copies_only_what_the_context_has():
    for name, args in dockerfile_stages()[0]:
        if name == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert in_build_context(source.rstrip("/") + ("/x.py" if source.endswith("/") else "")), source


# ---------------------------------------------------------------- compose and systemd


def test_compose_file_runs_the_image_as_documented():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for needed in (r"restart: unless-stopped", r"- statusbot-data:/data", r"env_file: ", r"read_only: true",
                   r"tmpfs:\n\s+- /tmp", r"#\s*- \./statusbot\.toml:/config/statusbot\.toml:ro",
                   r"#\s*STATUSBOT_CONFIG: /config/statusbot\.toml", r"stop_signal: SIGTERM"):
        assert re.search(needed, text), f"docker-compose.yml lacks {needed}"
    (test_line,) = re.findall(r"^\s*test: (\[.*\])$", text, re.MULTILINE)
    assert json.loads(test_line) == ["CMD", *health_command()], "compose's health check differs from the image's"
    grace = int(re.search(r"stop_grace_period: (\d+)s", text).group(1))
    from bot.service import SHUTDOWN_GRACE

    assert grace > SHUTDOWN_GRACE


def test_the_high_availability_compose_file_runs_two_named_replicas_on_one_postgresql():
    text = HA_COMPOSE_FILE.read_text(encoding="utf-8")
    (test_line, _) = re.findall(r"^\s*test: (\[.*\])$", text, re.MULTILINE)
    assert json.loads(test_line) == ["CMD", *health_command()], "the replicas' health check differs from the image's"
    databases = re.findall(r"STATUSBOT_DATABASE: (\S+)", text)
    assert len(databases) == 2 and len(set(databases)) == 1 and databases[0].startswith("postgresql://")
    assert sorted(re.findall(r"STATUSBOT_REPLICA: (\S+)", text)) == ["statusbot-1", "statusbot-2"]
    assert "${POSTGRES_PASSWORD}" in databases[0]  # the password comes from .env, never the file
    from bot.service import SHUTDOWN_GRACE

    assert int(re.search(r"stop_grace_period: (\d+)s", text).group(1)) > SHUTDOWN_GRACE
    assert "'statusbot[apprise,postgres]'" in (REPO / "Dockerfile").read_text(encoding="utf-8")


def unit_directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT_FILE.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_systemd_unit_runs_the_bot_as_documented():
    unit = unit_directives()
    expected = {
        "User": "statusbot", "StateDirectory": "statusbot", "WorkingDirectory": "/var/lib/statusbot",
        "Restart": "on-failure", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
        "ReadWritePaths": "/var/lib/statusbot", "KillSignal": "SIGTERM", "TimeoutStopSec": "30",
        "ExecStart": "/usr/local/bin/statusbot run --config /etc/statusbot/statusbot.toml",
        "RestartPreventExitStatus": str(cli.EXIT_CONFIG),
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], f"statusbot.service: {key}={unit.get(key)}, expected {value}"
    from bot.service import SHUTDOWN_GRACE

    assert int(unit["TimeoutStopSec"][0]) > SHUTDOWN_GRACE
    argv = shlex.split(unit["ExecStart"][0])
    args = cli._parser().parse_args(argv[1:])
    assert args.command is cli._run and args.config == "/etc/statusbot/statusbot.toml"


# ---------------------------------------------------------------- README's fixed parts


def test_readme_keeps_the_install_and_test_commands_at_the_top():
    first_block = readme().split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert first_block[0].startswith("pip install . && statusbot run ")
    assert first_block[1].startswith("pip install '.[test]' && pytest ")


@pytest.mark.parametrize("title", ["## Guarantees", "## Performance"])
def test_readme_has_the_sections_the_lead_fills(title):
    assert re.search(rf"^{re.escape(title)}$", readme(), re.MULTILINE)


def test_readme_local_links_exist():
    for target in re.findall(r"\]\(((?!https?://|#)[^)]+)\)", readme()):
        assert (REPO / target).exists(), f"README links to {target}, which does not exist"


def test_readme_anchors_exist():
    headings = re.findall(r"^#+ (.+)$", readme(), re.MULTILINE)
    slugs: dict[str, int] = {}
    anchors = set()
    for heading in headings:
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug if slug not in slugs else f"{slug}-{slugs[slug]}")
        slugs[slug] = slugs.get(slug, 0) + 1
    for anchor in re.findall(r"\]\(#([^)]+)\)", readme()):
        assert anchor in anchors, f"README links to #{anchor}, which no heading makes"
