"""Use cases of the resource directory, shared by the CLI, the web app and the workers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from concierge import database
from concierge.database import Database
from concierge.directory import files, lookup, seed, store
from concierge.directory.lookup import Answer
from concierge.directory.records import ResourceRecord

log = logging.getLogger("concierge.directory")


def prepare(db: Database) -> None:
    """Make the database usable: on the embedded default, migrate and seed on first start."""
    if database.ensure_schema(db.engine, embedded=db.config.is_embedded):
        seed_if_empty(db)


def upgrade(db: Database) -> int:
    """`concierge db upgrade`: migrate, then seed an empty directory; return rows seeded."""
    database.upgrade(db.engine)
    return seed_if_empty(db)


def seed_if_empty(db: Database) -> int:
    records = seed.load_seed()
    with db.session() as session:
        if store.count_resources(session):
            return 0
        added, _ = store.save_records(session, records)
    log.info("seeded the resource directory", extra={"resources": added})
    return added


def import_file(db: Database, path: Path) -> tuple[int, int]:
    """Check the whole file first, then write it in one transaction: all or nothing."""
    records = files.read_records(path)
    with db.session() as session:
        added, updated = store.save_records(session, records)
    log.info("imported resources", extra={"file": str(path), "added": added, "updated": updated})
    return added, updated


def export(db: Database, fmt: str, out: IO[str]) -> int:
    with db.session() as session:
        records = store.load_records(session)
    files.write_records(records, fmt, out)
    return len(records)


def answer(
    db: Database,
    country: str | None,
    language: str | None = None,
    urgency: str = "routine",
    topics: Sequence[str] = (),
    today: dt.date | None = None,
) -> Answer:
    with db.session() as session:
        records = store.load_records(session, active_only=True)
    return lookup.lookup(records, country, language, urgency, topics, today, db.config.stale_months)


def stale(db: Database, months: int, today: dt.date | None = None) -> list[ResourceRecord]:
    cutoff = lookup.months_before(today or dt.date.today(), months)
    with db.session() as session:
        records = store.load_records(session)
    return [record for record in records if record.verified_on < cutoff]
