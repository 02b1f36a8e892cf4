"""What the benchmark reads from /proc: a process's CPU time and memory; the machine it ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process, all its threads (aiosqlite's included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the ")": field 3 is state, so utime (14) and stime (15) are at 11 and 12
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


@dataclass(frozen=True)
class Sample:
    """One reading: wall clock (monotonic), CPU seconds of the process, nginx request count."""

    at: float
    cpu: float
    requests: int


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100), nearest-rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        free = subprocess.run(["free", "-h"], check=False, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        free = "?"
    versions = {}
    for package in ("httpx", "httpcore", "aiohttp", "uvloop", "aiosqlite", "pydantic"):
        try:  # read from the installed metadata: importing them all would cost the harness a second
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory": free,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "libraries": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }
