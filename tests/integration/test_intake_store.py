"""Storing mail on SQLite and PostgreSQL: exactly once, in its conversation, never lost."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from concierge.database import Database
from concierge.directory import service
from concierge.intake import ingest as ingest_module
from concierge.intake import queue
from concierge.intake.ingest import Fetched, ingest
from concierge.intake.models import Case, Category, Message
from tests.support.mail import message

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(make_db: Callable[[], Database]) -> Database:
    database = make_db()
    service.upgrade(database)
    return database


def store(db: Database, raw: bytes, key: str, minutes: int = 0, max_bytes: int = 1 << 20) -> int:
    fetched = Fetched("test:inbox", key, raw, NOW + dt.timedelta(minutes=minutes))
    with db.session() as session:
        return ingest(session, fetched, max_bytes, "global@backline.care").message_id


def messages(db: Database) -> list[Message]:
    with db.session() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def test_the_same_message_is_stored_once(db: Database) -> None:
    raw = message(1)
    first = store(db, raw, "1:1")
    assert store(db, raw, "1:1") == first  # same position
    assert store(db, raw, "2:7") == first  # same bytes after a UIDVALIDITY reset
    assert len(messages(db)) == 1


def test_follow_ups_join_their_conversation(db: Database) -> None:
    store(db, message(1, message_id="<first@example.pt>"), "1")
    store(db, message(2, headers={"In-Reply-To": "<first@example.pt>"}), "2", minutes=5)
    store(db, message(3, sender="other@example.es"), "3", minutes=6)
    store(db, message(4), "4", minutes=7)  # same sender, case still open
    stored = messages(db)
    assert stored[0].case_id == stored[1].case_id == stored[3].case_id
    assert stored[2].case_id != stored[0].case_id
    with db.session() as session:
        case = session.get(Case, stored[0].case_id)
        assert case is not None
        assert ingest_module.aware(case.last_message_at) == NOW + dt.timedelta(minutes=7)


def test_references_find_the_conversation_from_another_address(db: Database) -> None:
    store(db, message(1, message_id="<a@example.pt>"), "1")
    store(
        db,
        message(2, sender="ana.work@example.com", headers={"References": "<x@y> <a@example.pt>"}),
        "2",
    )
    first, second = messages(db)
    assert first.case_id == second.case_id


def test_automatic_mail_is_stored_but_kept_out_of_the_queue(db: Database) -> None:
    store(db, message(1, headers={"Auto-Submitted": "auto-replied"}), "1")
    store(db, message(2, headers={"List-Id": "<news.example.com>"}), "2")
    store(db, message(3, sender="global@backline.care"), "3")
    store(db, message(4), "4")
    categories = [m.category for m in messages(db)]
    assert categories == [Category.AUTO_REPLY, Category.BULK, Category.OWN, Category.PERSONAL]
    assert [m.case_id is None for m in messages(db)] == [True, True, True, False]
    with db.session() as session:
        assert [m.subject for m in queue.awaiting_review(session)] == ["Pedido de ajuda 4"]


def test_queue_order_is_crisis_urgent_untriaged_routine_oldest_first(db: Database) -> None:
    for number, minutes in ((1, 0), (2, 1), (3, 2), (4, 3), (5, 4)):
        store(db, message(number, sender=f"p{number}@example.pt"), str(number), minutes=minutes)
    with db.session() as session:
        rows = {m.subject[-1]: m for m in session.scalars(select(Message))}
        rows["1"].urgency, rows["2"].urgency = "routine", "crisis"
        rows["3"].urgency, rows["5"].urgency = "urgent", "crisis"
    with db.session() as session:
        order = [m.subject[-1] for m in queue.awaiting_review(session)]
    assert order == ["2", "5", "3", "4", "1"]


def test_nasty_messages_are_all_stored_with_their_text_readable(db: Database) -> None:
    nasty = [
        b"",
        b"\x00\x01\x02 not an email \xff\xfe",
        b"Subject: =?x-unknown?q?hi?=\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
        b"\xe9\x00t\xe9",
        b"From: Zo\xc3\xab <z@example.nl>\r\nSubject: 8bit \xe2\x80\x93 header\r\n\r\nhoi",
        message(9, body="x" * 200_000),
    ]
    for number, raw in enumerate(nasty):
        store(db, raw, f"n{number}", max_bytes=100_000)
    stored = messages(db)
    assert [m.raw for m in stored] == nasty  # the original is kept whole
    assert stored[4].oversized
    assert all("\x00" not in m.body_text for m in stored)


def test_a_bug_in_parsing_shunts_the_message_instead_of_losing_it(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A parser bug cannot be caused for real (the parser has no known crash), so it is
    # simulated here: the one mock in these tests.
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("Olá, preciso: text that must not reach the logs")

    monkeypatch.setattr(ingest_module, "parse_message", broken)
    raw = message(1)
    with caplog.at_level(logging.INFO, logger="concierge"):
        store(db, raw, "1")
    [stored] = messages(db)
    assert stored.category == Category.SHUNTED
    assert stored.error == "RuntimeError while parsing"
    assert stored.raw == raw
    assert "Olá" not in caplog.text and "preciso" not in caplog.text
    with db.session() as session:
        assert [m.id for m in queue.shunted(session)] == [stored.id]


def test_cpython_email_test_data_is_all_stored(db: Database) -> None:
    import sys

    folders = [Path(p) / "test" / "test_email" / "data" for p in sys.path]
    folder = next((f for f in folders if f.is_dir()), None)
    if folder is None:
        pytest.skip("this Python has no test/test_email/data folder")
    files = sorted(p for p in folder.iterdir() if p.is_file())
    for path in files:
        store(db, path.read_bytes(), path.name)
    assert len(messages(db)) == len({p.read_bytes() for p in files})
