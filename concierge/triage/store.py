"""Triage of stored messages, as the intake worker stores them."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from concierge.intake.ingest import where_raised
from concierge.intake.models import Category, Message, Status
from concierge.intake.parse import ParsedMessage, parse_message
from concierge.triage.pipeline import triage_parsed
from concierge.triage.urgency import UrgencyClassifier

log = logging.getLogger("concierge.triage")


def triage_stored(
    session: Session,
    message_id: int,
    classifier: UrgencyClassifier,
    max_bytes: int,
    own: str,
    parsed: ParsedMessage | None = None,
) -> str | None:
    """Triage one stored message and record the result; return its urgency.

    `parsed` is the intake's own reading of the message, when it has one at hand.
    """
    message = session.get(Message, message_id)
    if message is None or message.category == Category.SHUNTED:
        return None
    earlier = []
    if message.case_id is not None:
        earlier = [
            country
            for country in session.scalars(
                select(Message.country).where(
                    Message.case_id == message.case_id,
                    Message.id != message.id,
                    Message.country.is_not(None),
                )
            )
            if country
        ]
    try:
        if parsed is None:
            parsed = parse_message(message.raw, max_bytes, own)
        result = triage_parsed(parsed, classifier, earlier[-1:])
    except Exception as error:  # a bug of ours: the message waits untriaged, never lost
        log.error(
            "triage failed; the message waits untriaged",
            extra={"id": message.id, "error": type(error).__name__, "at": where_raised(error)},
        )
        return None
    message.language = result.language
    message.country = result.country
    message.urgency = result.urgency
    message.triage = {
        "language_confidence": result.language_confidence,
        "country_confidence": result.country_confidence,
        "country_evidence": result.country_evidence,
        "reasons": result.reasons,
    }
    if message.status == Status.RECEIVED:
        message.status = Status.TRIAGED
    log.info(
        "message triaged",
        extra={"id": message.id, "urgency": result.urgency, "language": result.language,
               "country": result.country},
    )  # fmt: skip
    return result.urgency
