"""Shared fixtures: real databases (a SQLite file and the PostgreSQL server), real CLI runs.

PostgreSQL tests run against CONCIERGE_TEST_POSTGRES_URL (default: the server these
machines run at 127.0.0.1:5432, database `test`, user `postgres`), each test in a
schema of its own that is dropped afterwards. Where no server answers they are
skipped with the reason, except under CI, where a missing server is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from concierge.config import load_config
from concierge.database import Database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("CONCIERGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_problem() -> str | None:
    engine = sa.create_engine(postgres_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except sa.exc.OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _postgres_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {postgres_url()} does not answer under CI: {problem}")
        pytest.skip(f"PostgreSQL at {postgres_url()} does not answer: {problem}")
    return postgres_url()


@pytest.fixture
def postgres_schema_url(postgres_server: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema of their own."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_server else "?"
    try:
        yield f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'concierge.sqlite3'}"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def make_db(database_url: str) -> Iterator[Callable[[], Database]]:
    """A factory of Database objects on this test's database (migrations not applied)."""
    made: list[Database] = []

    def make() -> Database:
        config = replace(load_config({}), database_url=database_url)
        db = Database(config)
        made.append(db)
        return db

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real `concierge` command in a fresh working directory."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):  # type: ignore[no-untyped-def]
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
        environ.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "concierge", *args],
            cwd=tmp_path,
            env=environ,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
