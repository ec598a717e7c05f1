"""After intake: triage every stored message, then draft its reply.

The work is found in the database, never handed over in memory: a message stored
and not yet triaged has no urgency and no triage evidence (a message triage failed
on keeps the error there, and waits for a person); one triaged and awaiting a draft
has status `triaged`. Automatic mail is triaged too (a crisis written through a
mailing-list service shows in its urgency) but never drafted. So a crash anywhere
loses nothing, and the next run picks up where the last stopped.

`concierge worker` runs this in a process of its own, next to the intake (a second
core triages while the first stores); the intake wakes it after each stored batch.
`concierge worker --once` runs it in the same process after the intake pass.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.synchronize
import signal
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from concierge.config import Config
from concierge.database import Database
from concierge.drafting.store import DirectoryCache, draft_pending
from concierge.drafting.templates import TemplateError
from concierge.intake.models import Category, Message

log = logging.getLogger("concierge.processing")
BATCH = 50  # messages triaged (and then drafted) in one transaction
WAKE_EVERY = 30.0  # seconds: look for work even when nobody said there is some


@dataclass
class Done:
    triaged: int = 0
    drafted: int = 0
    crises: int = 0


class Processor:
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.directory = DirectoryCache()
        self.warm = False  # every language's rules loaded

    def run_pending(self) -> Done:
        """Triage and draft everything waiting, a batch at a time, oldest first."""
        done = Done()
        while True:
            ids = self._untriaged()
            if not ids:
                break
            triaged = self._triage(ids, done)
            if triaged is None:
                break  # the database refused; a later run tries again
            self._draft(triaged, done)
        self._draft(None, done)  # triaged earlier, drafted never (a crash, a bad template)
        return done

    def process(self, ids: list[int]) -> Done:
        """Triage and draft these messages (those not done already)."""
        done = Done()
        untriaged = self._untriaged(ids)
        if untriaged:
            self._triage(untriaged, done)
        self._draft(ids, done)
        return done

    def _untriaged(self, among: list[int] | None = None) -> list[int]:
        query = (
            select(Message.id)
            .where(
                Message.urgency.is_(None),
                Message.triage.is_(None),  # not tried, or tried and failed
                Message.category != Category.SHUNTED,
            )
            .order_by(Message.id)
            .limit(BATCH)
        )
        if among is not None:
            query = query.where(Message.id.in_(among))
        with self.db.session() as session:
            return list(session.scalars(query))

    def _triage(self, ids: list[int], done: Done) -> list[int] | None:
        """One transaction for the batch; the ids it triaged (None: the database failed).

        A message triage itself fails on has its error recorded and counts as done.
        """
        from concierge.triage.store import triage_stored
        from concierge.triage.urgency import default_classifier

        classifier = default_classifier()
        found: list[tuple[int, str | None]] = []
        try:
            # A plain connection: a select and an update need no ORM session.
            with self.db.engine.begin() as connection:
                for message_id in ids:
                    urgency = triage_stored(
                        connection,
                        message_id,
                        classifier,
                        self.config.max_message_bytes,
                        self.config.from_address,
                    )
                    found.append((message_id, urgency))
        except SQLAlchemyError as error:
            log.error("could not store the triage", extra={"error": type(error).__name__})
            return None
        for message_id, urgency in found:
            if urgency == "crisis":
                done.crises += 1
                log.warning("crisis message received", extra={"id": message_id})
        done.triaged += sum(1 for _, urgency in found if urgency is not None)
        return [message_id for message_id, urgency in found if urgency is not None]

    def _draft(self, ids: list[int] | None, done: Done) -> None:
        """A draft for each triaged message awaiting one (`None`: all of them)."""
        if ids == []:
            return
        try:
            with self.db.session() as session:
                drafted = draft_pending(
                    session,
                    self.directory.get(session),
                    self.config.from_address,
                    self.config.stale_months,
                    ids,
                )
        except (SQLAlchemyError, TemplateError) as error:
            # The messages wait in the queue without a draft; the next run tries again.
            log.error("could not compose drafts", extra={"error": type(error).__name__})
            return
        done.drafted += len(drafted)

    def run_forever(
        self,
        wake: multiprocessing.synchronize.Event,
        stop: multiprocessing.synchronize.Event,
    ) -> None:
        from concierge.triage.pipeline import warm_up_essentials, warm_up_next

        started = time.monotonic()
        warm_up_essentials()
        log.info("triage ready", extra={"seconds": round(time.monotonic() - started, 2)})
        while not stop.is_set():
            wake.clear()
            try:
                self.run_pending()
            except SQLAlchemyError as error:
                log.error("database error; retrying", extra={"error": type(error).__name__})
                stop.wait(1.0)
            # At start-up, one more language's rules between runs (up to a few seconds
            # each), so that new mail never waits for all of them.
            if not self.warm:
                if warm_up_next():
                    continue
                self.warm = True
                log.info("triage: every language's rules loaded")
            wake.wait(WAKE_EVERY)


def _child(
    config: Config,
    wake: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
) -> None:
    from concierge import logs

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, through `stop`
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logs.configure(config.log_level)
    db = Database(config)
    try:
        Processor(db, config).run_forever(wake, stop)
    finally:
        db.dispose()


class ProcessorProcess:
    """The processor in a child process, restarted if it dies."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.context = multiprocessing.get_context("spawn")
        self.wake = self.context.Event()
        self.stop = self.context.Event()
        self.process: multiprocessing.process.BaseProcess | None = None
        self.restarts = 0

    def start(self) -> None:
        self.process = self.context.Process(
            target=_child,
            args=(self.config, self.wake, self.stop),
            name="concierge-processor",
            daemon=True,
        )
        self.process.start()

    def notify(self) -> None:
        """New mail is stored: triage it now. Restarts the process if it died."""
        if self.process is not None and not self.process.is_alive() and not self.stop.is_set():
            self.restarts += 1
            log.error(
                "the triage process stopped; restarting it",
                extra={"exitcode": self.process.exitcode, "restarts": self.restarts},
            )
            self.start()
        self.wake.set()

    def close(self, timeout: float = 30.0) -> None:
        self.stop.set()
        self.wake.set()
        if self.process is not None:
            self.process.join(timeout)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(5)
