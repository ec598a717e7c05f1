"""Triage of stored messages, as the intake worker stores them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from concierge.intake.ingest import where_raised
from concierge.intake.models import Category, Message, Status
from concierge.intake.parse import ParsedMessage, parse_message
from concierge.triage.pipeline import triage_parsed
from concierge.triage.urgency import UrgencyClassifier

log = logging.getLogger("concierge.triage")


# Built once: building a statement costs more than running it on SQLite.
_ROW = select(
    Message.category, Message.case_id, Message.status, Message.message_id, Message.subject,
    Message.sender, Message.new_text, Message.signature, Message.date_header,
).where(Message.id == bindparam("id"))  # fmt: skip
_LAST_COUNTRY = (
    select(Message.country)
    .where(
        Message.case_id == bindparam("case"),
        Message.id != bindparam("id"),
        Message.country.is_not(None),
    )
    .order_by(Message.id.desc())
    .limit(1)
)
_UPDATE = update(Message).where(Message.id == bindparam("message"))


def triage_stored(
    session: Session | Connection,
    message_id: int,
    classifier: UrgencyClassifier,
    max_bytes: int,
    own: str,
) -> str | None:
    """Triage one stored message and record the result; return its urgency.

    It reads what intake parsed and stored (new text, subject, sender, signature,
    Date); only a message stored before intake kept those is parsed again.
    """
    # Only the columns needed: the row also holds the raw message, up to the size cap.
    row = session.execute(_ROW, {"id": message_id}).first()
    if row is None or row.category == Category.SHUNTED:
        return None
    # What intake found, stored with the message; rows from before it kept that: None.
    parsed = _as_parsed(row) if row.signature is not None else None
    earlier: list[str] = []
    if row.case_id is not None:  # the country last found in the conversation
        country = session.scalar(_LAST_COUNTRY, {"case": row.case_id, "id": message_id})
        earlier = [country] if country else []
    try:
        if parsed is None:  # stored before intake kept what triage reads
            raw = session.scalar(select(Message.raw).where(Message.id == message_id))
            parsed = parse_message(raw or b"", max_bytes, own)
        result = triage_parsed(parsed, classifier, earlier)
    except Exception as error:  # a bug of ours: the message waits untriaged, never lost
        failure = f"{type(error).__name__} at {where_raised(error)}"
        log.error("triage failed; the message waits untriaged", extra={"id": message_id,
                  "error": failure})  # fmt: skip
        # Recorded, so that it is not tried again and again; urgency stays unknown,
        # which the queue puts above routine mail.
        session.execute(_UPDATE, {"message": message_id, "triage": {"error": failure}})
        return None
    values = {
        "language": result.language,
        "country": result.country,
        "urgency": result.urgency,
        "triage": {
            "language_confidence": result.language_confidence,
            "country_confidence": result.country_confidence,
            "country_evidence": result.country_evidence,
            "reasons": result.reasons,
        },
    }
    if row.status == Status.RECEIVED:
        values["status"] = Status.TRIAGED
    session.execute(_UPDATE, {"message": message_id, **values})
    log.info(
        "message triaged",
        extra={"id": message_id, "urgency": result.urgency, "language": result.language,
               "country": result.country},
    )  # fmt: skip
    return result.urgency


def _as_parsed(row: Any) -> ParsedMessage:
    return ParsedMessage(
        message_id=row.message_id,
        subject=row.subject or "",
        sender=row.sender,
        sender_name="",
        recipients=[],
        sent_at=None,
        in_reply_to=None,
        references=[],
        body_text="",
        new_text=row.new_text or "",
        signature=row.signature or "",
        attachments=[],
        category=Category(row.category),
        category_reason=None,
        oversized=False,
        headers={"date": row.date_header} if row.date_header else {},
    )
