"""Stored mail: every message exactly once, its raw bytes kept, grouped into cases.

A message is identified twice over: by where it came from (`source`, `source_key`:
the mailbox and `UIDVALIDITY:UID`, or the Maildir file name), and by what it is
(`dedupe_key`: its Message-ID with a hash of its bytes). The first makes a restart
skip what it stored; the second makes a UIDVALIDITY reset re-ingest nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from concierge.directory.models import Base
from concierge.intake.kinds import AWAITING_REVIEW, Category, Status

__all__ = ["AWAITING_REVIEW", "Case", "Category", "MailboxState", "Message", "Status"]


class Case(Base):
    """A conversation with one person: the first message and every follow-up."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    messages: Mapped[list[Message]] = relationship(back_populates="case")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("source", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    source_key: Mapped[str] = mapped_column(String(300))
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    stored_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    sender_name: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    body_text: Mapped[str] = mapped_column(Text, default="")
    new_text: Mapped[str] = mapped_column(Text, default="")
    # With new_text, subject and sender, what triage reads: it need not parse again.
    signature: Mapped[str | None] = mapped_column(Text)
    date_header: Mapped[str | None] = mapped_column(String(200))
    attachments: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(20), index=True)
    category_reason: Mapped[str | None] = mapped_column(Text)
    oversized: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, default=Status.RECEIVED)
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    urgency: Mapped[str | None] = mapped_column(String(10), index=True)
    triage: Mapped[dict[str, object] | None] = mapped_column(JSON)  # the evidence
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)

    case: Mapped[Case | None] = relationship(back_populates="messages")


class MailboxState(Base):
    """What the worker last saw of a mailbox: its UIDVALIDITY and highest stored UID."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(500), unique=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)  # 32-bit unsigned
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
