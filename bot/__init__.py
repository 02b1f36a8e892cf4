"""statusbot: a self-hosted relay of public status pages into chat."""

__version__ = "0.1.0"  # the one place the version is kept: pyproject.toml reads it from here
