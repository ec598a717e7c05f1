"""Reading and writing resources: records in, records out, keyed by `key`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from concierge.directory.models import ContactMethod, Resource, ResourceText
from concierge.directory.records import Contact, ResourceRecord, Text


def save_records(session: Session, records: Iterable[ResourceRecord]) -> tuple[int, int]:
    """Insert new resources and replace those whose key exists; return (added, updated)."""
    records = list(records)
    existing = {
        resource.key: resource
        for resource in session.scalars(
            select(Resource).where(Resource.key.in_([r.key for r in records]))
        )
    }
    # Old names and contacts go first: replacing them in one flush could meet the
    # (resource, language) unique constraint before the old rows are deleted.
    for old in existing.values():
        old.texts.clear()
        old.contacts.clear()
    session.flush()
    added = updated = 0
    for record in records:
        resource: Resource | None = existing.get(record.key)
        if resource is None:
            resource = Resource(key=record.key)
            session.add(resource)
            added += 1
        else:
            updated += 1
        _apply(resource, record)
    session.flush()
    return added, updated


def load_records(session: Session, active_only: bool = False) -> list[ResourceRecord]:
    query = select(Resource).options(selectinload(Resource.texts), selectinload(Resource.contacts))
    if active_only:
        query = query.where(Resource.active.is_(True))
    query = query.order_by(Resource.country.nulls_first(), Resource.kind, Resource.key)
    return [to_record(resource) for resource in session.scalars(query)]


def count_resources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resource)) or 0


def to_record(resource: Resource) -> ResourceRecord:
    return ResourceRecord(
        key=resource.key,
        country=resource.country,
        region=resource.region,
        kind=resource.kind,
        texts=tuple(Text(t.language, t.name, t.description) for t in resource.texts),
        contacts=tuple(Contact(c.kind, c.value, c.hours, c.timezone) for c in resource.contacts),
        source_url=resource.source_url,
        verified_on=resource.verified_on,
        languages=tuple(resource.languages),
        cost=resource.cost,
        audience=tuple(resource.audience),
        topics=tuple(resource.topics),
        eligibility=resource.eligibility,
        location=resource.location,
        starts_on=resource.starts_on,
        ends_on=resource.ends_on,
        active=resource.active,
    )


def _apply(resource: Resource, record: ResourceRecord) -> None:
    resource.country = record.country
    resource.region = record.region
    resource.kind = record.kind
    resource.languages = list(record.languages)
    resource.cost = record.cost
    resource.audience = list(record.audience)
    resource.topics = list(record.topics)
    resource.eligibility = record.eligibility
    resource.location = record.location
    resource.starts_on = record.starts_on
    resource.ends_on = record.ends_on
    resource.source_url = record.source_url
    resource.verified_on = record.verified_on
    resource.active = record.active
    resource.texts = [
        ResourceText(position=i, language=t.language, name=t.name, description=t.description)
        for i, t in enumerate(record.texts)
    ]
    resource.contacts = [
        ContactMethod(position=i, kind=c.kind, value=c.value, hours=c.hours, timezone=c.timezone)
        for i, c in enumerate(record.contacts)
    ]
