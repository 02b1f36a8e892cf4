"""Run the real bot (`python -m bot`) as a child process, as an operator would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.eventually import eventually

REPO = Path(__file__).resolve().parents[1]


class BotProcess:
    """One `statusbot` invocation; stdout and stderr lines are collected as they come."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None):
        self.args = args
        self.cwd = cwd
        # The checkout's own code, whatever is installed: the tests test this tree.
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, **(env or {})}
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []

    def start(self) -> BotProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot", *self.args], cwd=self.cwd, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for stream, sink in ((self._process.stdout, self.stdout), (self._process.stderr, self.stderr)):
            reader = threading.Thread(target=_collect, args=(stream, sink), daemon=True)
            reader.start()
            self._readers.append(reader)
        return self

    def run(self, timeout: float = 60) -> int:
        """Start, wait for the exit, return the exit status."""
        self.start()
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> int:
        assert self._process is not None
        code = self._process.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    def signal(self, sig: signal.Signals) -> None:
        assert self._process is not None
        self._process.send_signal(sig)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait: the graceful path."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        """kill -9: no chance to clean up."""
        self.signal(signal.SIGKILL)
        self.wait(10)

    def wait_for_output(self, text: str, timeout: float = 20, stream: str = "stderr") -> None:
        lines = self.stderr if stream == "stderr" else self.stdout
        eventually(lambda: any(text in line for line in list(lines)), within=timeout,
                   what=lambda: f"{text!r} in {stream}, which ends:\n" + "".join(lines[-30:]))

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)


def _collect(stream, sink: list[str]) -> None:
    for line in stream:
        sink.append(line)  # noqa: PERF402 (read while it grows, line by line)
