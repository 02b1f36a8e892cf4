"""Filesystem conditions for tests: read-only paths and a disk that fills up (root: real mounts), a locked database."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(what: str, *args: str) -> None:
    """Mount, or skip the test where mounting is not permitted."""
    if shutil.which("mount") is None:
        pytest.skip(f"{what} needs the mount command, which is not installed")
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"{what} cannot be mounted here: {result.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=True)


def read_only(path: Path) -> contextlib.AbstractContextManager[None]:
    """`path` (a file or a directory) read-only for the bot, whoever runs the tests."""
    return _read_only_mount(path) if os.geteuid() == 0 else _read_only_mode(path)


@contextlib.contextmanager
def _read_only_mount(path: Path) -> Iterator[None]:
    what = "a read-only bind mount (root ignores permission bits)"
    _mount(what, "--bind", str(path), str(path))
    try:
        _mount(what, "-o", "remount,bind,ro", str(path))
        yield
    finally:
        _umount(path)


@contextlib.contextmanager
def _read_only_mode(path: Path) -> Iterator[None]:
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        path.chmod(mode)


@contextlib.contextmanager
def small_disk(directory: Path) -> Iterator[Path]:
    """A 1 MB tmpfs on `directory`: a disk that really fills up, for every process."""
    directory.mkdir()
    _mount("a 1 MB tmpfs (a disk that fills up)", "-t", "tmpfs", "-o", "size=1m", "statusbot-test", str(directory))
    try:
        yield directory
    finally:
        _umount(directory)


@contextlib.contextmanager
def locked(database: Path) -> Iterator[None]:
    """Another process holding the write lock: others may still read, nobody may write."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.close()
