"""What a message is and where it stands: plain enums, free of the database layer,
so that parsing and triage load without SQLAlchemy."""

from __future__ import annotations

import enum


class Category(enum.StrEnum):
    """What kind of mail a message is; only `personal` mail is ever answered."""

    PERSONAL = "personal"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    BULK = "bulk"
    OWN = "own"  # our own outgoing mail, seen again (a copy, a loop)
    SHUNTED = "shunted"  # could not be processed: kept with its error for a person


class Status(enum.StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    DRAFTED = "drafted"
    ANSWERED = "answered"
    CLOSED = "closed"


AWAITING_REVIEW = (Status.RECEIVED, Status.TRIAGED, Status.DRAFTED)
