"""Triage of stored messages, as the intake worker stores them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from concierge.intake.ingest import where_raised
from concierge.intake.models import Category, Message, Status
from concierge.intake.parse import ParsedMessage, parse_message
from concierge.triage.pipeline import triage_parsed
from concierge.triage.urgency import UrgencyClassifier

log = logging.getLogger("concierge.triage")


def triage_stored(
    session: Session | Connection,
    message_id: int,
    classifier: UrgencyClassifier,
    max_bytes: int,
    own: str,
    parsed: ParsedMessage | None = None,
) -> str | None:
    """Triage one stored message and record the result; return its urgency.

    `parsed` is the intake's own reading of the message, when it has one at hand.
    """
    # Only the columns needed: the row also holds the raw message, up to the size cap.
    columns: list[Any] = [Message.category, Message.case_id, Message.status]
    if parsed is None:
        columns.append(Message.raw)
    row = session.execute(select(*columns).where(Message.id == message_id)).first()
    if row is None or row.category == Category.SHUNTED:
        return None
    earlier: list[str] = []
    if row.case_id is not None:  # the country last found in the conversation
        earlier = [
            country
            for country in session.scalars(
                select(Message.country)
                .where(
                    Message.case_id == row.case_id,
                    Message.id != message_id,
                    Message.country.is_not(None),
                )
                .order_by(Message.id.desc())
                .limit(1)
            )
            if country
        ]
    try:
        if parsed is None:
            parsed = parse_message(row.raw, max_bytes, own)
        result = triage_parsed(parsed, classifier, earlier)
    except Exception as error:  # a bug of ours: the message waits untriaged, never lost
        log.error(
            "triage failed; the message waits untriaged",
            extra={"id": message_id, "error": type(error).__name__, "at": where_raised(error)},
        )
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
    session.execute(update(Message).where(Message.id == message_id).values(**values))
    log.info(
        "message triaged",
        extra={"id": message_id, "urgency": result.urgency, "language": result.language,
               "country": result.country},
    )  # fmt: skip
    return result.urgency
