"""The intake worker: watch the mailbox, store every message exactly once.

With IDLE the server tells us of new mail as it arrives; without it (or for the
Maildir) an APScheduler interval job polls. Network errors reconnect with
exponential backoff; one bad message never stops the worker. Each message is
stored in its own transaction, and only then marked on the server.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from imapclient.exceptions import LoginError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from concierge.config import Config
from concierge.database import Database
from concierge.errors import ConciergeError, ConfigError
from concierge.intake.imap import CONNECTION_ERRORS, ImapMailbox, ImapSettings
from concierge.intake.ingest import Fetched, ingest
from concierge.intake.maildir import MaildirSource
from concierge.intake.models import MailboxState, Message
from concierge.intake.parse import ParsedMessage

log = logging.getLogger("concierge.intake")
MARK_EVERY = 50
RETRYABLE: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, SQLAlchemyError)


@dataclass
class PassReport:
    stored: int = 0
    already: int = 0
    categories: dict[str, int] = field(default_factory=dict)


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
        self.warm = False  # every language's rules loaded
        # Checked now, so that a wrong setting stops the worker before it starts.
        self.maildir = MaildirSource(Path(config.maildir)) if config.maildir else None
        self.imap = None if self.maildir else imap_settings(config)

    # One pass ----------------------------------------------------------------

    def run_once(self) -> PassReport:
        """`concierge worker --once`: ingest what is new, then return."""
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
        return self._store_all(source.fetch(known))

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
        stored_uids: list[int] = []
        for uid, fetched in mailbox.fetch(uids):
            if self._store(fetched, report):
                stored_uids.append(uid)
            if len(stored_uids) >= MARK_EVERY:
                self._mark(mailbox, stored_uids)
                stored_uids = []
        self._mark(mailbox, stored_uids)
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

    def _store_all(self, fetched: Iterable[Fetched]) -> PassReport:
        report = PassReport()
        for item in fetched:
            self._store(item, report)
        return report

    def _store(self, fetched: Fetched, report: PassReport) -> bool:
        """Store one message in its own transaction; True once it is safely stored."""
        try:
            with self.db.session() as session:
                outcome = ingest(
                    session, fetched, self.config.max_message_bytes, self.config.from_address
                )
        except SQLAlchemyError as error:
            # Not stored, so not marked: the next pass tries it again.
            log.error(
                "could not store a message",
                extra={"key": fetched.source_key, "error": type(error).__name__},
            )
            return False
        if outcome.stored:
            self._triage(outcome.message_id, outcome.parsed)
            report.stored += 1
            report.categories[outcome.category] = report.categories.get(outcome.category, 0) + 1
            log.info(
                "message stored",
                extra={
                    "id": outcome.message_id,
                    "key": fetched.source_key,
                    "category": outcome.category,
                },
            )
        else:
            report.already += 1
        return True

    def _triage(self, message_id: int, parsed: ParsedMessage | None = None) -> None:
        """Right after the message is safely stored, in a transaction of its own."""
        from concierge.triage.store import triage_stored
        from concierge.triage.urgency import default_classifier

        try:
            # A plain connection: a select and an update need no ORM session.
            with self.db.engine.begin() as connection:
                urgency = triage_stored(
                    connection,
                    message_id,
                    default_classifier(),
                    self.config.max_message_bytes,
                    self.config.from_address,
                    parsed,
                )
        except SQLAlchemyError as error:
            log.error(
                "could not store the triage",
                extra={"id": message_id, "error": type(error).__name__},
            )
            return
        if urgency == "crisis":
            log.warning("crisis message received", extra={"id": message_id})

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
        from concierge.triage.pipeline import warm_up, warm_up_essentials

        started = time.monotonic()
        warm_up_essentials()
        log.info("triage ready", extra={"seconds": round(time.monotonic() - started, 2)})
        if self.maildir:
            warm_up()
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
                    warm_up()
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
        from concierge.triage.pipeline import warm_up_next

        while not self.stop.is_set():
            self.pass_imap(mailbox)
            # At start-up, one more language's rules between looks at the mailbox
            # (half a second each), so that new mail never waits for all of them.
            if not self.warm:
                if warm_up_next():
                    continue
                self.warm = True
                log.info("triage: every language's rules loaded")
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
