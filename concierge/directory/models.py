"""The resource directory's tables.

A resource is one place a person can be sent: a crisis line, an emergency number,
a therapy service, a music-industry organisation or one of the nonprofit's own
programs. Its name and description exist per language; its contact methods each
carry their own hours. Every resource carries where its facts came from
(`source_url`) and when a person last checked them (`verified_on`).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ResourceKind(enum.StrEnum):
    CRISIS_LINE = "crisis_line"
    EMERGENCY = "emergency"
    THERAPY = "therapy"
    PEER_SUPPORT = "peer_support"
    MUSIC_INDUSTRY = "music_industry"
    PROGRAM = "program"


class ContactKind(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    CHAT = "chat"
    EMAIL = "email"
    WEB = "web"


class Cost(enum.StrEnum):
    FREE = "free"
    LOW = "low"
    PAID = "paid"


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    cost: Mapped[str | None] = mapped_column(String(10))
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    source_url: Mapped[str] = mapped_column(String(500))
    verified_on: Mapped[dt.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    texts: Mapped[list[ResourceText]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceText.position"
    )
    contacts: Mapped[list[ContactMethod]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ContactMethod.position"
    )


class ResourceText(Base):
    """The name and description of a resource in one language."""

    __tablename__ = "resource_texts"
    __table_args__ = (UniqueConstraint("resource_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    resource: Mapped[Resource] = relationship(back_populates="texts")


class ContactMethod(Base):
    """One way to reach a resource, with its own hours (`24/7` or opening hours)."""

    __tablename__ = "contact_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(500))
    hours: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))

    resource: Mapped[Resource] = relationship(back_populates="contacts")
