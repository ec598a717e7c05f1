"""Engine, sessions and the schema's life cycle (Alembic migrations in `db/migrations`).

With the embedded default (SQLite) the schema is created or migrated, and the seed
directory loaded, on first start; a PostgreSQL database is changed only by
`concierge db upgrade`, so production schema changes happen when a person says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from concierge import paths
from concierge.config import Config
from concierge.errors import ConfigError, SchemaError

log = logging.getLogger("concierge.db")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "head")


def describe(engine: Engine) -> str:
    """The URL with its password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def ensure_schema(engine: Engine, embedded: bool) -> bool:
    """Bring the schema up to date where that is allowed; return True if it changed."""
    try:
        current = current_revision(engine)
    except OperationalError as error:
        raise ConfigError(
            f"CONCIERGE_DATABASE_URL: cannot connect to {describe(engine)}: "
            f"{str(error.orig).strip().splitlines()[0]}"
        ) from None
    if current == head_revision(engine):
        return False
    if not embedded:
        raise SchemaError(
            f"{describe(engine)}: the schema is at revision {current or 'none'}, this program "
            "needs the newest: run `concierge db upgrade`"
        )
    log.info("migrating embedded database", extra={"from_revision": current})
    upgrade(engine)
    return True


class Database:
    """One engine and its session factory, for the life of the process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.engine = make_engine(config.database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
