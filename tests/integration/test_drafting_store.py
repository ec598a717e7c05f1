"""Triage and drafts after intake, on SQLite and PostgreSQL: once each, picked up after a crash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from concierge.database import Database
from concierge.directory import service
from concierge.drafting import store as drafts
from concierge.drafting.models import Draft, DraftStatus
from concierge.intake.ingest import Fetched, ingest
from concierge.intake.models import Message, Status
from concierge.processing import Processor
from concierge.triage import store as triage_store
from tests.support.mail import message

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
CRISIS = "Não aguento mais. Quero morrer. Moro em Lisboa."


@pytest.fixture
def db(make_db: Callable[[], Database]) -> Database:
    database = make_db()
    service.upgrade(database)
    return database


def store(db: Database, raw: bytes, key: str) -> int:
    with db.session() as session:
        fetched = Fetched("test:inbox", key, raw, NOW)
        return ingest(session, fetched, 1 << 20, "global@backline.care").message_id


def the_draft(db: Database, message_id: int) -> Draft:
    with db.session() as session:
        draft = session.scalar(select(Draft).where(Draft.message_id == message_id))
        assert draft is not None
        session.expunge(draft)
        return draft


def test_stored_messages_are_triaged_and_drafted_once(db: Database) -> None:
    # Stored, then the process died before triage: the next run finds the work by status.
    crisis = store(db, message(1, body=CRISIS), "1")
    routine = store(
        db,
        message(2, sender="joao@example.pt", body="Olá! Podem recomendar um terapeuta no Porto?"),
        "2",
    )
    auto = store(
        db, message(3, sender="x@example.pt", headers={"Auto-Submitted": "auto-replied"}), "3"
    )
    processor = Processor(db, db.config)
    done = processor.run_pending()
    assert (done.triaged, done.drafted, done.crises) == (3, 2, 1)
    assert processor.run_pending().triaged == processor.run_pending().drafted == 0
    with db.session() as session:
        assert session.scalar(select(func.count(Draft.id))) == 2
        statuses = {
            row.id: row.status for row in session.execute(select(Message.id, Message.status))
        }
    assert statuses[crisis] == statuses[routine] == Status.DRAFTED
    assert statuses[auto] == Status.CLOSED  # triaged, never answered
    draft = the_draft(db, crisis)
    assert (draft.language, draft.country, draft.urgency) == ("pt", "PT", "crisis")
    assert draft.template == "pt/crisis" and len(draft.template_version) == 12
    assert draft.problems == []
    assert {r["kind"] for r in draft.resources} >= {"emergency", "crisis_line"}
    assert "112" in draft.body_text and draft.body_html.startswith("<!DOCTYPE html>")
    assert draft.in_reply_to and draft.subject.startswith("Re: ")
    assert the_draft(db, routine).template == "pt/routine"


def test_a_follow_up_gets_the_follow_up_template(db: Database) -> None:
    first = store(
        db, message(1, message_id="<one@example.pt>", body="Preciso de um terapeuta."), "1"
    )
    second = store(
        db,
        message(2, body="Esqueci de dizer: estou no Porto.",
                headers={"In-Reply-To": "<one@example.pt>", "References": "<one@example.pt>"}),
        "2",
    )  # fmt: skip
    Processor(db, db.config).run_pending()
    assert the_draft(db, first).template == "pt/routine"
    follow_up = the_draft(db, second)
    assert follow_up.template == "pt/follow_up"
    assert follow_up.references == ["<one@example.pt>", follow_up.in_reply_to]


def test_an_edited_crisis_draft_is_checked_again(db: Database) -> None:
    message_id = store(db, message(1, body=CRISIS), "1")
    Processor(db, db.config).run_pending()
    with db.session() as session:
        draft = session.scalar(select(Draft).where(Draft.message_id == message_id))
        assert draft is not None
        drafts.edit(session, draft, "Olá,\n\nEstamos a pensar em si.\n", "staff@backline.care")
        assert (
            draft.problems and "no crisis line and no emergency number for PT" in draft.problems[0]
        )
        with pytest.raises(drafts.ApprovalRefused, match="cannot be approved: This crisis reply"):
            drafts.approve(session, draft, "staff@backline.care")
        assert draft.status == DraftStatus.DRAFT
        drafts.edit(
            session, draft, "Olá,\n\nLigue já 112, ou SOS Voz Amiga 213 544 545.\n", "staff"
        )
        assert draft.problems == []
        drafts.approve(session, draft, "staff@backline.care")
        assert draft.status == DraftStatus.APPROVED and draft.decided_by == "staff@backline.care"
        with pytest.raises(drafts.ApprovalRefused, match="is approved; only a draft"):
            drafts.reject(draft, "someone")


def test_a_message_triage_fails_on_waits_for_a_person_and_is_not_retried(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug of ours cannot be caused for real on purpose: this one fault is simulated.
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    message_id = store(db, message(1, body=CRISIS), "1")
    monkeypatch.setattr(triage_store, "triage_parsed", broken)
    done = Processor(db, db.config).run_pending()
    assert (done.triaged, done.drafted) == (0, 0)
    with db.session() as session:
        row = session.get(Message, message_id)
        assert row is not None and row.urgency is None
        assert row.triage is not None and row.triage["error"].startswith("RuntimeError at ")
        assert row.status == Status.RECEIVED  # still in the queue, above routine mail
    monkeypatch.undo()
    assert Processor(db, db.config).run_pending().triaged == 0  # not tried again and again


def test_drafts_use_the_directory_as_admins_change_it(db: Database, tmp_path: Path) -> None:
    processor = Processor(db, db.config)
    store(db, message(1, body=CRISIS), "1")
    processor.run_pending()
    update = tmp_path / "pt.yaml"
    update.write_text(
        "resources:\n"
        "- key: pt-test-line\n  country: PT\n  kind: crisis_line\n  name: Linha de Teste\n"
        "  phone: '+351 800 000 111'\n  hours: 24/7\n  languages: [pt]\n"
        "  source_url: https://example.org/\n  verified_on: '2026-11-30'\n",
        "utf-8",
    )
    service.import_file(db, update)
    second = store(db, message(2, sender="rui@example.pt", body=CRISIS), "2")
    processor.run_pending()
    assert "Linha de Teste" in the_draft(db, second).body_text


def test_worker_once_ingests_triages_and_drafts(db: Database, tmp_path: Path) -> None:
    from concierge.intake.worker import Worker

    box = tmp_path / "box"
    box.mkdir()
    (box / "1.eml").write_bytes(message(1, body=CRISIS))
    config = replace(db.config, maildir=str(box))
    report = Worker(db, config).run_once()
    assert report.stored == 1
    assert report.processed is not None and report.processed.drafted == 1


def test_one_message_triage_fails_on_does_not_hold_up_the_rest(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = triage_store.triage_parsed

    def broken_on_the_first(parsed, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "Mensagem 1." in parsed.new_text:
            raise RuntimeError("bug")  # a bug of ours, simulated: it cannot be caused for real
        return real(parsed, *args, **kwargs)

    monkeypatch.setattr(triage_store, "triage_parsed", broken_on_the_first)
    monkeypatch.setattr("concierge.processing.BATCH", 2)
    for number in range(1, 6):
        store(db, message(number, sender=f"p{number}@example.pt"), str(number))
    done = Processor(db, db.config).run_pending()  # one run, three batches
    assert (done.triaged, done.drafted) == (4, 4)
