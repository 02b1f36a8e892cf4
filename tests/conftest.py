"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

# Captured payloads live beside the repository (../shared), never inside it.
REAL_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


@pytest.fixture(scope="session")
def real_fixtures() -> Path:
    """The folder of real captured status-page payloads; skips the test when it is absent."""
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"real fixtures not found at {REAL_FIXTURES}")
    return REAL_FIXTURES
