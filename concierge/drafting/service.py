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
        fields = draft_json(
            parsed.message_id, draft.language, draft.country, draft.urgency, draft.subject,
            draft.text, [r.as_json() for r in draft.resources],
        )  # fmt: skip
        yield Drafted(item.path, fields, draft.template, draft.problems)


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
            fields = draft_json(
                message.message_id, draft.language, draft.country, draft.urgency,
                draft.subject, draft.body_text, draft.resources,
            )  # fmt: skip
            yield Drafted(item.path, fields, draft.template, tuple(draft.problems))


def draft_json(
    message_id: str | None,
    language: str,
    country: str | None,
    urgency: str,
    subject: str,
    body: str,
    resources: list[dict[str, Any]],
) -> dict[str, Any]:
    """The fields of `concierge draft --json`, an interface other tools rely on."""
    return {
        "message_id": message_id,
        "language": language,
        "country": country,
        "urgency": urgency,
        "subject": subject,
        "body": body,
        "resources": [
            {key: r.get(key) for key in ("name", "kind", "phone", "url")} for r in resources
        ],
    }


def _why_not(category: str) -> str:
    what = {
        Category.AUTO_REPLY: "an auto-reply",
        Category.BOUNCE: "a bounce",
        Category.BULK: "bulk mail",
        Category.OWN: "our own mail",
        Category.SHUNTED: "a message that could not be parsed",
    }.get(Category(category), category)
    return f"no draft: {what} is never answered"
