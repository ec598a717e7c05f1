"""`concierge draft`: drafts for messages in files, stored or (with --dry-run) only shown.

Stored: each message is ingested as the worker would ingest it (once: a second run
finds it by its content), triaged, drafted, and waits in the review queue with its
draft. Dry run: nothing is written; the directory comes from the seed files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from concierge.config import Config
from concierge.database import Database
from concierge.directory.seed import load_seed
from concierge.drafting.compose import Original, compose
from concierge.drafting.models import Draft
from concierge.drafting.topics import find_topics
from concierge.intake.ingest import Fetched, ingest
from concierge.intake.models import Category, Message
from concierge.intake.parse import parse_message
from concierge.triage.sources import Item

SOURCE = "cli"  # where messages given to `concierge draft` are stored from


@dataclass(frozen=True)
class Drafted:
    path: str
    draft: dict[str, Any] | None  # the fields of --json
    template: str = ""
    problems: tuple[str, ...] = ()
    skipped: str | None = None  # why there is no draft (automatic mail, triage failed)


def dry_run(items: Iterator[Item], config: Config) -> Iterator[Drafted]:
    from concierge.triage.pipeline import triage_parsed

    records = load_seed()
    for item in items:
        assert item.raw is not None
        parsed = parse_message(item.raw, config.max_message_bytes, config.from_address)
        if parsed.category != Category.PERSONAL:
            yield Drafted(item.path, None, skipped=_why_not(parsed.category))
            continue
        result = triage_parsed(parsed)
        original = Original(
            message_id=parsed.message_id,
            sender=parsed.sender,
            sender_name=parsed.sender_name,
            subject=parsed.subject,
            references=tuple(parsed.references),
            language=result.language,
            country=result.country,
            urgency=result.urgency,
            topics=find_topics(f"{parsed.subject}\n{parsed.new_text}", result.language),
        )
        draft = compose(original, records, config.from_address, stale_months=config.stale_months)
        yield Drafted(
            item.path,
            {
                "message_id": parsed.message_id,
                "language": draft.language,
                "country": draft.country,
                "urgency": draft.urgency,
                "subject": draft.subject,
                "body": draft.text,
                "resources": [_resource(r.as_json()) for r in draft.resources],
            },
            draft.template,
            draft.problems,
        )


def store_and_draft(items: Iterator[Item], db: Database, config: Config) -> Iterator[Drafted]:
    from concierge.processing import Processor

    processor = Processor(db, config)
    for item in items:
        assert item.raw is not None
        fetched = Fetched(
            SOURCE, hashlib.sha256(item.raw).hexdigest(), item.raw, dt.datetime.now(dt.UTC)
        )
        with db.session() as session:
            outcome = ingest(session, fetched, config.max_message_bytes, config.from_address)
        processor.process([outcome.message_id])
        with db.session() as session:
            message = session.get(Message, outcome.message_id)
            draft = session.scalar(select(Draft).where(Draft.message_id == outcome.message_id))
            if message is None or draft is None:
                why = (
                    _why_not(message.category)
                    if message is not None and message.category != Category.PERSONAL
                    else "no draft: the message could not be triaged (see the worker's log)"
                )
                yield Drafted(item.path, None, skipped=why)
                continue
            yield Drafted(
                item.path,
                {
                    "message_id": message.message_id,
                    "language": draft.language,
                    "country": draft.country,
                    "urgency": draft.urgency,
                    "subject": draft.subject,
                    "body": draft.body_text,
                    "resources": [_resource(r) for r in draft.resources],
                },
                draft.template,
                tuple(draft.problems),
            )


def _resource(used: dict[str, Any]) -> dict[str, Any]:
    return {key: used.get(key) for key in ("name", "kind", "phone", "url")}


def _why_not(category: str) -> str:
    what = {
        Category.AUTO_REPLY: "an auto-reply",
        Category.BOUNCE: "a bounce",
        Category.BULK: "bulk mail",
        Category.OWN: "our own mail",
        Category.SHUNTED: "a message that could not be parsed",
    }.get(Category(category), category)
    return f"no draft: {what} is never answered"
