"""The intake worker: watch the mailbox, store every message exactly once.

With IDLE the server tells us of new mail as it arrives; without it (or for the
Maildir) an APScheduler interval job polls. Network errors reconnect with
exponential backoff; one bad message never stops the worker. Each message is
stored in a batch of at most BATCH in one transaction, and only then marked on the
server; if a batch's transaction fails, its messages are stored one by one. Triage
and drafts follow in the processing stage (concierge/processing.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from imapclient.exceptions import LoginError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from concierge.config import Config
from concierge.database import Database
from concierge.errors import ConciergeError, ConfigError
from concierge.intake.imap import CONNECTION_ERRORS, ImapMailbox, ImapSettings
from concierge.intake.ingest import Fetched, Outcome, ingest
from concierge.intake.maildir import MaildirSource
from concierge.intake.models import MailboxState, Message
from concierge.processing import Done, Processor, ProcessorProcess

log = logging.getLogger("concierge.intake")
T = TypeVar("T")
BATCH = 50  # messages stored in one transaction, then marked on the server together
RETRYABLE: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, SQLAlchemyError)


@dataclass
class PassReport:
    stored: int = 0
    already: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    processed: Done | None = None  # what triage and drafting did (--once)


class Backoff:
    """1, 2, 4 ... seconds, up to a ceiling; reset after a good connection."""

    def __init__(self, first: float = 1.0, ceiling: float = 60.0) -> None:
        self.first, self.ceiling, self.current = first, ceiling, first

    def next(self) -> float:
        delay, self.current = self.current, min(self.current * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self.current = self.first


class Worker:
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.stop = threading.Event()
        # Called after each batch that stored something, and after each pass: wakes the
        # triage process (and starts it again if it died).
        self.on_stored: Callable[[], None] = lambda: None
        # Checked now, so that a wrong setting stops the worker before it starts.
        self.maildir = MaildirSource(Path(config.maildir)) if config.maildir else None
        self.imap = None if self.maildir else imap_settings(config)

    # One pass ----------------------------------------------------------------

    def run_once(self) -> PassReport:
        """`concierge worker --once`: ingest what is new, triage and draft it, return."""
        report = self.ingest_once()
        report.processed = Processor(self.db, self.config).run_pending()
        return report

    def ingest_once(self) -> PassReport:
        if self.maildir:
            return self.pass_maildir(self.maildir)
        assert self.imap is not None
        mailbox = ImapMailbox(self.imap)
        where = f"{self.imap.host}:{self.imap.port}"
        try:
            mailbox.connect()
        except LoginError as error:
            raise ConfigError(
                f"CONCIERGE_IMAP_USER: {where} refused the login: {_reason(error)}"
            ) from None
        except CONNECTION_ERRORS as error:
            raise ConciergeError(
                f"CONCIERGE_IMAP_HOST: cannot reach the mailbox at {where}: {_reason(error)}"
            ) from None
        try:
            return self.pass_imap(mailbox)
        finally:
            mailbox.close()

    def pass_maildir(self, source: MaildirSource) -> PassReport:
        with self.db.session() as session:
            known = set(
                session.scalars(select(Message.source_key).where(Message.source == source.name))
            )
        report = PassReport()
        for batch in _batches(((None, f) for f in source.fetch(known)), BATCH):
            self._store_batch(batch, report)
        self.on_stored()  # also after a pass with nothing new: a look at the triage process
        return report

    def pass_imap(self, mailbox: ImapMailbox) -> PassReport:
        with self.db.session() as session:
            state = self._state(session, mailbox.name)
            if state.uidvalidity is not None and state.uidvalidity != mailbox.uidvalidity:
                log.warning(
                    "UIDVALIDITY changed: matching messages by Message-ID and content",
                    extra={
                        "mailbox": mailbox.name,
                        "old": state.uidvalidity,
                        "new": mailbox.uidvalidity,
                    },
                )
                state.last_uid = 0
            state.uidvalidity = mailbox.uidvalidity
            last_uid = state.last_uid
        uids = mailbox.unstored_uids(last_uid)
        report = PassReport()
        for batch in _batches(mailbox.fetch(uids), BATCH):
            stored = self._store_batch(batch, report)
            self._mark(mailbox, [uid for uid in stored if uid is not None])
        self.on_stored()  # also after a pass with nothing new: a look at the triage process
        return report

    def _mark(self, mailbox: ImapMailbox, uids: list[int]) -> None:
        """Tell the server these are stored, and remember the highest UID.

        The UID is only a shortcut for servers without keywords: a message fetched
        again after a crash is found stored by its UID and not stored twice.
        """
        if not uids:
            return
        mailbox.mark_stored(uids)
        with self.db.session() as session:
            state = self._state(session, mailbox.name)
            state.last_uid = max(state.last_uid, *uids)

    def _store_batch(
        self, batch: Sequence[tuple[int | None, Fetched]], report: PassReport
    ) -> list[int | None]:
        """Store a batch in one transaction, then wake the triage; the positions stored.

        If the transaction fails, each message is tried alone, so that one message
        the database refuses costs only itself (it is not marked, and the next pass
        tries it again).
        """
        limit, own = self.config.max_message_bytes, self.config.from_address
        try:
            with self.db.session() as session:
                outcomes = [(uid, ingest(session, fetched, limit, own)) for uid, fetched in batch]
        except SQLAlchemyError as error:
            if len(batch) == 1:
                self._not_stored(batch[0][1], error)
                return []
            stored: list[int | None] = []
            for item in batch:
                stored.extend(self._store_batch([item], report))
            return stored
        new: list[Outcome] = []
        for (_, fetched), (_, outcome) in zip(batch, outcomes, strict=True):
            if outcome.stored:
                new.append(outcome)
                report.stored += 1
                report.categories[outcome.category] = report.categories.get(outcome.category, 0) + 1
                log.info(
                    "message stored",
                    extra={"id": outcome.message_id, "key": fetched.source_key,
                           "category": outcome.category},
                )  # fmt: skip
            else:
                report.already += 1
        if new:
            self.on_stored()
        return [uid for uid, _ in outcomes]

    def _not_stored(self, fetched: Fetched, error: SQLAlchemyError) -> None:
        # Not stored, so not marked: the next pass tries it again.
        log.error(
            "could not store a message",
            extra={"key": fetched.source_key, "error": type(error).__name__},
        )

    def _state(self, session: Session, name: str) -> MailboxState:
        state = session.scalar(select(MailboxState).where(MailboxState.source == name))
        if state is None:
            state = MailboxState(source=name, uidvalidity=None, last_uid=0)
            session.add(state)
            session.flush()
        return state

    # For ever ----------------------------------------------------------------

    def run_forever(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop.set())
        processor = ProcessorProcess(self.config)
        processor.start()
        self.on_stored = processor.notify
        try:
            self._watch()
        finally:
            processor.close()

    def _watch(self) -> None:
        if self.maildir:
            source = self.maildir
            self._poll(lambda: self.pass_maildir(source))
            return
        settings = self.imap
        assert settings is not None
        backoff = Backoff()
        while not self.stop.is_set():
            mailbox = ImapMailbox(settings)
            try:
                mailbox.connect()
                backoff.reset()
                if not mailbox.can_idle:
                    mailbox.close()
                    self._poll(self._poll_imap_once)
                    return
                self._idle_loop(mailbox)
            except CONNECTION_ERRORS as error:
                delay = backoff.next()
                log.warning(
                    "mailbox connection lost; reconnecting",
                    extra={"error": type(error).__name__, "retry_in_s": delay},
                )
                self.stop.wait(delay)
            except SQLAlchemyError as error:
                delay = backoff.next()
                log.error(
                    "database error; retrying",
                    extra={"error": type(error).__name__, "retry_in_s": delay},
                )
                self.stop.wait(delay)
            finally:
                mailbox.close()

    def _idle_loop(self, mailbox: ImapMailbox) -> None:
        while not self.stop.is_set():
            self.pass_imap(mailbox)
            mailbox.wait(self.config.idle_seconds, self.stop)

    def _poll_imap_once(self) -> PassReport:
        assert self.imap is not None
        mailbox = ImapMailbox(self.imap)
        try:
            mailbox.connect()
            return self.pass_imap(mailbox)
        finally:
            mailbox.close()

    def _poll(self, job: Callable[[], object]) -> None:
        """Run `job` now and every CONCIERGE_POLL_SECONDS until stopped."""

        def guarded() -> None:
            try:
                job()
            except RETRYABLE as error:
                log.warning(
                    "poll failed; next poll will retry", extra={"error": type(error).__name__}
                )

        scheduler = BackgroundScheduler()
        scheduler.add_job(
            guarded,
            "interval",
            seconds=self.config.poll_seconds,
            max_instances=1,
            coalesce=True,
            next_run_time=dt.datetime.now(dt.UTC),
        )
        scheduler.start()
        try:
            self.stop.wait()
        finally:
            scheduler.shutdown(wait=True)


def imap_settings(config: Config) -> ImapSettings:
    if not config.imap_host:
        raise ConfigError(
            "CONCIERGE_IMAP_HOST: not set; set it (and the other CONCIERGE_IMAP_* settings), "
            "or set CONCIERGE_MAILDIR to read a Maildir instead"
        )
    if not config.imap_user:
        raise ConfigError("CONCIERGE_IMAP_USER: not set")
    if not (config.imap_password or config.imap_oauth2_command):
        raise ConfigError("CONCIERGE_IMAP_PASSWORD: not set (or set CONCIERGE_IMAP_OAUTH2_COMMAND)")
    port = config.imap_port or (993 if config.imap_ssl else 143)
    return ImapSettings(
        host=config.imap_host,
        port=port,
        user=config.imap_user,
        password=config.imap_password,
        use_ssl=config.imap_ssl,
        folder=config.imap_folder,
        oauth2_command=config.imap_oauth2_command,
    )


def _reason(error: BaseException) -> str:
    """An exception's message for a person: IMAP server replies arrive as bytes reprs."""
    text = str(error)
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return text or type(error).__name__


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
