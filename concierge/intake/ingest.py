"""Store one fetched message, exactly once, and put it in its conversation.

`ingest` is called with the raw bytes and where they came from, inside one unit of
work: the message row and its case are committed together, before the mailbox is
told (with a keyword) that the message is stored. A message already stored under
the same source key, or with the same Message-ID and bytes, is not stored again.
What cannot be processed is stored all the same, raw, with its error (the shunt).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import traceback
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from concierge.intake.models import Case, Category, Message, Status
from concierge.intake.parse import ParsedMessage, content_hash, parse_message

log = logging.getLogger("concierge.intake")


@dataclass(frozen=True)
class Fetched:
    """One message as a mailbox gave it: where it is, its bytes, when it arrived."""

    source: str
    source_key: str
    raw: bytes
    received_at: dt.datetime


@dataclass(frozen=True)
class Outcome:
    message_id: int
    stored: bool  # False: it was there already
    category: str


def dedupe_key(message_id: str | None, raw: bytes) -> str:
    return hashlib.sha256(f"{message_id or ''}\0{content_hash(raw)}".encode()).hexdigest()


# Built once: on SQLite, building a statement costs more than running it.
_BY_POSITION = select(Message.id).where(
    Message.source == bindparam("source"), Message.source_key == bindparam("key")
)
_BY_CONTENT = select(Message.id).where(Message.dedupe_key == bindparam("key"))
_CASE_BY_REFERENCE = (
    select(Case)
    .join(Message, Message.case_id == Case.id)
    .where(Message.message_id.in_(bindparam("references", expanding=True)))
    .order_by(Message.id.desc())
    .limit(1)
)
_OPEN_CASE = (
    select(Case)
    .where(Case.sender == bindparam("sender"), Case.open.is_(True))
    .order_by(Case.id.desc())
    .limit(1)
)


def already_stored(session: Session, fetched: Fetched) -> int | None:
    return session.scalar(_BY_POSITION, {"source": fetched.source, "key": fetched.source_key})


def ingest(session: Session, fetched: Fetched, max_bytes: int, own_address: str) -> Outcome:
    existing = already_stored(session, fetched)
    if existing is not None:
        return Outcome(existing, False, "")
    try:
        parsed: ParsedMessage | None = parse_message(fetched.raw, max_bytes, own_address)
        error = None
    except Exception as exc:  # a bug of ours, not the sender's: shunt, never lose
        parsed, error = None, f"{type(exc).__name__} while parsing"
        # Where it failed, not why: an exception's text may quote the message.
        log.error(
            "message shunted",
            extra={
                "source": fetched.source,
                "key": fetched.source_key,
                "error": type(exc).__name__,
                "at": where_raised(exc),
            },
        )
    key = dedupe_key(parsed.message_id if parsed else None, fetched.raw)
    duplicate = session.scalar(_BY_CONTENT, {"key": key})
    if duplicate is not None:
        log.info(
            "message already stored from another position; not stored again",
            extra={"source": fetched.source, "key": fetched.source_key, "stored_as": duplicate},
        )
        return Outcome(duplicate, False, "")
    message = _message(fetched, parsed, error, key)
    session.add(message)
    if parsed is not None:
        message.case = _conversation(session, message, parsed)
    session.flush()
    return Outcome(message.id, True, message.category)


def where_raised(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _message(
    fetched: Fetched, parsed: ParsedMessage | None, error: str | None, key: str
) -> Message:
    message = Message(
        source=fetched.source,
        source_key=fetched.source_key,
        dedupe_key=key,
        raw=fetched.raw,
        size=len(fetched.raw),
        received_at=fetched.received_at,
        status=Status.RECEIVED,
    )
    if parsed is None:
        message.category = Category.SHUNTED
        message.error = error
        message.references, message.attachments, message.defects = [], [], []
        return message
    message.message_id = parsed.message_id
    message.in_reply_to = parsed.in_reply_to
    message.references = parsed.references
    message.sender = parsed.sender
    message.sender_name = parsed.sender_name
    message.subject = parsed.subject
    message.sent_at = parsed.sent_at
    message.body_text = parsed.body_text
    message.new_text = parsed.new_text
    message.signature = parsed.signature
    message.date_header = (parsed.headers.get("date") or "")[:200] or None
    message.attachments = [vars(a) for a in parsed.attachments]
    message.defects = parsed.defects
    message.category = parsed.category
    message.category_reason = parsed.category_reason
    message.oversized = parsed.oversized
    if parsed.category != Category.PERSONAL:
        message.status = Status.CLOSED  # stored, never answered, out of the queue
    return message


def _conversation(session: Session, message: Message, parsed: ParsedMessage) -> Case | None:
    """The case a message belongs to: by its references, else the sender's open case.

    Automatic mail joins a case only through its references and never opens one.
    """
    references = [ref for ref in (parsed.in_reply_to, *parsed.references) if ref]
    if references:
        case = session.scalar(_CASE_BY_REFERENCE, {"references": references})
        if case is not None:
            return _touch(case, message)
    if parsed.category != Category.PERSONAL or not parsed.sender:
        return None
    case = session.scalar(_OPEN_CASE, {"sender": parsed.sender})
    if case is not None:
        return _touch(case, message)
    return Case(
        sender=parsed.sender,
        subject=parsed.subject,
        open=True,
        created_at=message.received_at,
        last_message_at=message.received_at,
    )


def _touch(case: Case, message: Message) -> Case:
    case.last_message_at = max(aware(case.last_message_at), aware(message.received_at))
    return case


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives datetimes back without their zone; all of ours are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
