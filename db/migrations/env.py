"""Alembic environment: the engine comes from concierge, never from an ini file."""

from __future__ import annotations

from alembic import context

import concierge.drafting.models
import concierge.intake.models  # noqa: F401  (registers the tables)
from concierge.directory.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
