"""The review queue: personal mail awaiting a person, most urgent first.

Order: crisis, urgent, not yet triaged, routine; oldest first within each. A
message triage could not classify waits above routine mail, because it might be
a crisis.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from concierge.intake.ingest import aware
from concierge.intake.models import AWAITING_REVIEW, Category, Message

_URGENCY_ORDER = case(
    (Message.urgency == "crisis", 0),
    (Message.urgency == "urgent", 1),
    (Message.urgency.is_(None), 2),
    else_=3,
)


def awaiting_review(session: Session) -> list[Message]:
    query = (
        select(Message)
        .where(Message.category == Category.PERSONAL, Message.status.in_(AWAITING_REVIEW))
        .order_by(_URGENCY_ORDER, Message.received_at, Message.id)
    )
    return list(session.scalars(query))


def shunted(session: Session) -> list[Message]:
    query = select(Message).where(Message.category == Category.SHUNTED).order_by(Message.id)
    return list(session.scalars(query))


def as_json(message: Message) -> dict[str, Any]:
    """The fields of `concierge queue list --json`, an interface other tools rely on."""
    return {
        "id": message.id,
        "message_id": message.message_id,
        "sender": message.sender,
        "subject": message.subject,
        "received_at": aware(message.received_at).isoformat(),
        "language": message.language,
        "country": message.country,
        "urgency": message.urgency,
        "status": message.status,
    }
