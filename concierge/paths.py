"""Where the data that people edit lives: next to the package in a checkout."""

from __future__ import annotations

from pathlib import Path

from concierge.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def project_dir(name: str) -> Path:
    path = ROOT / name
    if not path.is_dir():
        raise ConfigError(
            f"{path}: folder not found; install concierge from a checkout with `pip install -e .`"
        )
    return path


def migrations_dir() -> Path:
    return project_dir("db") / "migrations"


def seed_dir() -> Path:
    return project_dir("db") / "seed"
