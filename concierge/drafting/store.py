"""Drafts in the database: composed after triage, edited, approved or rejected by people.

Every triaged personal message awaiting review gets one draft, stored with the
template's name and version and the resources it names. A person may edit it; a
crisis draft is checked again after every edit, and cannot be approved while the
check fails (`ApprovalRefused` says why, in plain words).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from concierge.directory.models import ContactMethod, Resource, ResourceText
from concierge.directory.records import ResourceRecord
from concierge.directory.store import load_records
from concierge.drafting.compose import Draft as Composed
from concierge.drafting.compose import Original, compose
from concierge.drafting.models import Draft, DraftStatus
from concierge.drafting.safety import crisis_problems
from concierge.drafting.templates import to_html
from concierge.drafting.topics import find_topics
from concierge.errors import ConciergeError
from concierge.intake.models import Category, Message, Status

log = logging.getLogger("concierge.drafting")


class ApprovalRefused(ConciergeError):
    """A draft cannot be approved; the message says why, for the person approving."""


def original_of(session: Session, message: Message) -> Original:
    """What a reply to a stored message needs to know of it."""
    row = session.execute(_ORIGINALS.where(Message.id == message.id)).one()
    return _original(row)


def _original(row: Any) -> Original:
    return Original(
        message_id=row.message_id,
        sender=row.sender,
        sender_name=row.sender_name or "",
        subject=row.subject or "",
        references=tuple(row.references or ()),
        language=row.language,
        country=row.country,
        urgency=row.urgency or "routine",
        topics=find_topics(f"{row.subject}\n{row.new_text}", row.language),
        follow_up=bool(row.follow_up),
    )


_EARLIER = aliased(Message)
# Only the columns a reply needs (the row also holds the raw message), and whether an
# earlier message of the same conversation exists (then this one is a follow-up).
_ORIGINALS = select(
    Message.id, Message.message_id, Message.sender, Message.sender_name, Message.subject,
    Message.references, Message.language, Message.country, Message.urgency, Message.new_text,
    select(_EARLIER.id)
    .where(_EARLIER.case_id == Message.case_id, _EARLIER.id < Message.id)
    .exists()
    .label("follow_up"),
)  # fmt: skip


def row_of(message_id: int, composed: Composed, now: dt.datetime) -> Draft:
    return Draft(
        message_id=message_id,
        status=DraftStatus.DRAFT,
        language=composed.language,
        country=composed.country,
        urgency=composed.urgency,
        template=composed.template,
        template_version=composed.template_version,
        subject=composed.subject,
        body_text=composed.text,
        body_html=composed.html,
        reply_message_id=composed.message_id,
        in_reply_to=composed.in_reply_to,
        references=list(composed.references),
        to_address=composed.to,
        from_address=composed.from_address,
        from_name=composed.from_name,
        resources=[r.as_json() for r in composed.resources],
        topics=list(composed.topics),
        problems=list(composed.problems),
        created_at=now,
        updated_at=now,
    )


def draft_pending(
    session: Session,
    records: Sequence[ResourceRecord],
    from_address: str,
    stale_months: int = 12,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Compose and store a draft for every triaged message awaiting one; their ids."""
    query = (
        _ORIGINALS.outerjoin(Draft, Draft.message_id == Message.id)
        .where(
            Message.category == Category.PERSONAL,
            Message.status == Status.TRIAGED,
            Draft.id.is_(None),
        )
        .order_by(Message.id)
    )
    if ids is not None:
        query = query.where(Message.id.in_(ids))
    done = []
    now = dt.datetime.now(dt.UTC)
    for row in session.execute(query).all():
        composed = compose(_original(row), records, from_address, stale_months=stale_months)
        session.add(row_of(row.id, composed, now))
        done.append(row.id)
        log.info(
            "draft composed",
            extra={"id": row.id, "template": composed.template,
                   "problems": len(composed.problems)},
        )  # fmt: skip
    if done:
        session.execute(
            update(Message)
            .where(Message.id.in_(done), Message.status == Status.TRIAGED)
            .values(status=Status.DRAFTED)
        )
    return done


def edit(session: Session, draft: Draft, body_text: str, by: str) -> Draft:
    """A person's new text; a crisis draft is checked again."""
    if draft.status != DraftStatus.DRAFT:
        raise ApprovalRefused(f"draft {draft.id} is {draft.status}; only a draft can be edited")
    draft.body_text = body_text
    draft.body_html = to_html(body_text, draft.language)
    draft.problems = _problems(session, draft)
    draft.edited_by = by
    draft.updated_at = dt.datetime.now(dt.UTC)
    return draft


def approve(session: Session, draft: Draft, by: str) -> Draft:
    if draft.status != DraftStatus.DRAFT:
        raise ApprovalRefused(f"draft {draft.id} is {draft.status}; only a draft can be approved")
    problems = _problems(session, draft)
    draft.problems = problems
    if problems:
        raise ApprovalRefused(f"draft {draft.id} cannot be approved: " + " ".join(problems))
    return _decide(draft, DraftStatus.APPROVED, by)


def reject(draft: Draft, by: str) -> Draft:
    if draft.status != DraftStatus.DRAFT:
        raise ApprovalRefused(f"draft {draft.id} is {draft.status}; only a draft can be rejected")
    return _decide(draft, DraftStatus.REJECTED, by)


def _decide(draft: Draft, status: DraftStatus, by: str) -> Draft:
    now = dt.datetime.now(dt.UTC)
    draft.status, draft.decided_by, draft.decided_at, draft.updated_at = status, by, now, now
    return draft


def _problems(session: Session, draft: Draft) -> list[str]:
    if draft.urgency != "crisis":
        return []
    return crisis_problems(draft.body_text, draft.country, load_records(session, active_only=True))


# Changes when an admin adds, edits or removes a resource, a contact or a text
# (edited contacts and texts are replaced, so they get new ids). One round trip.
_DIRECTORY_STAMP = select(
    select(func.count(Resource.id)).scalar_subquery(),
    select(func.max(Resource.updated_at)).scalar_subquery(),
    select(func.count(ContactMethod.id)).scalar_subquery(),
    select(func.max(ContactMethod.id)).scalar_subquery(),
    select(func.max(ResourceText.id)).scalar_subquery(),
)


class DirectoryCache:
    """The directory's records, loaded again only when an admin has changed them."""

    def __init__(self) -> None:
        self.records: list[ResourceRecord] = []
        self.stamp: tuple[object, ...] | None = None

    def get(self, session: Session) -> list[ResourceRecord]:
        stamp = tuple(session.execute(_DIRECTORY_STAMP).one())
        if stamp != self.stamp:
            self.records = load_records(session, active_only=True)
            self.stamp = stamp
        return self.records
