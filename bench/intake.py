"""Intake: ingest throughput from Dovecot into the database, and IDLE latency.

    .venv/bin/python bench/intake.py [--messages 2000] [--latency-samples 100]
                                     [--database-url URL]

Starts its own Dovecot (as the tests do; run as root, dovecot-imapd installed),
delivers messages with IMAP APPEND, then measures:
- ingest throughput on one core: the intake's pass over all of them (fetch, parse,
  store, mark), messages stored per second;
- the processing stage on one core, over the same messages: triage and drafts per
  second (the worker runs it in a second process, on the other core);
- latency: with the worker idling (IMAP IDLE) in another process, the time from
  the APPEND of one message to its row in the database, and to its draft.
Targets (the intake issue): at least 200 messages/s; 95th percentile under 2 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import triage as triage_bench

from concierge.config import load_config
from concierge.database import Database
from concierge.directory import service
from concierge.intake.worker import Worker
from concierge.processing import Processor
from concierge.triage.pipeline import warm_up
from tests.support.dovecot import Dovecot
from tests.support.mail import message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=100)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})  # one core for the worker
    logging.disable(logging.WARNING)  # "crisis message received", hundreds of times
    root = Path(tempfile.mkdtemp(prefix="concierge-bench-"))
    root.chmod(0o755)  # Dovecot's unprivileged processes must reach their folder
    dovecot = Dovecot(root / "dovecot")
    dovecot.start()
    try:
        url = args.database_url or f"sqlite:///{root / 'bench.sqlite3'}"
        throughput(dovecot, url, args.messages)
        if not args.database_url:
            latency(dovecot, root, args.latency_samples)
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


def throughput(dovecot: Dovecot, url: str, count: int) -> None:
    # Real variety: the labelled corpus and the sample inbox, in 28 languages, so that
    # triage (which the worker does as it stores) reads what it would read in life.
    dovecot.deliver(*triage_bench.messages(count))
    config = replace(load_config({}), database_url=url, **_imap(dovecot))
    db = Database(config)
    service.upgrade(db)
    worker = Worker(db, config)
    started = time.perf_counter()
    report = worker.ingest_once()
    elapsed = time.perf_counter() - started
    kind = url.split(":")[0]
    print(
        f"ingest: {report.stored} messages in {elapsed:.2f} s = "
        f"{report.stored / elapsed:,.0f} messages/s ({kind}, one core)"
    )
    warm_up()  # as the processing process does when it starts
    started = time.perf_counter()
    done = Processor(db, config).run_pending()
    spent = time.perf_counter() - started
    db.dispose()
    print(
        f"triage and drafts: {done.triaged} triaged, {done.drafted} drafted in {spent:.2f} s = "
        f"{done.triaged / spent:,.0f} messages/s ({kind}, one core); both stages on one core "
        f"one after the other (worker --once): {report.stored / (elapsed + spent):,.0f} messages/s"
    )


def latency(dovecot: Dovecot, root: Path, samples: int) -> None:
    path = root / "latency.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
    env.update(dovecot.env(), CONCIERGE_DATABASE_URL=f"sqlite:///{path}")
    subprocess.run([sys.executable, "-m", "concierge", "db", "upgrade"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    dovecot.deliver(message(0))  # the worker starts with one message waiting
    env["CONCIERGE_LOG_LEVEL"] = "INFO"
    # Both cores: the intake in the worker's process, triage and drafts in its child.
    worker = subprocess.Popen(
        [sys.executable, "-m", "concierge", "worker"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stderr is not None
    # Steady state: the worker first loads every language's rules, between looks at
    # the mailbox; mail that arrives meanwhile waits up to a language's loading.
    for line in worker.stderr:
        if "every language's rules loaded" in line:
            break
    threading.Thread(target=worker.stderr.read, daemon=True).start()  # keep it drained
    connection = sqlite3.connect(path, timeout=5)

    def count(table: str) -> int:
        return int(connection.execute(f"select count(*) from {table}").fetchone()[0])

    try:
        _wait(lambda: count("drafts") >= 1, 300)
        times: dict[str, list[float]] = {"stored": [], "drafted": []}
        for n in range(1, samples + 1):
            started = time.perf_counter()
            dovecot.deliver(message(10_000 + n, body=SAMPLE_BODY))
            _wait(lambda n=n: count("messages") >= n + 1, 30)  # type: ignore[misc]
            times["stored"].append(time.perf_counter() - started)
            _wait(lambda n=n: count("drafts") >= n + 1, 30)  # type: ignore[misc]
            times["drafted"].append(time.perf_counter() - started)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        connection.close()
    for what, found in times.items():
        found.sort()
        p95 = found[max(0, int(len(found) * 0.95) - 1)]
        print(
            f"arrival-to-{what} latency with IDLE over {len(found)} messages: "
            f"median {statistics.median(found) * 1000:.0f} ms, "
            f"95th percentile {p95 * 1000:.0f} ms, max {found[-1] * 1000:.0f} ms"
        )


def _wait(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("message not stored in time")
        time.sleep(0.01)


def _imap(dovecot: Dovecot) -> dict[str, object]:
    env = dovecot.env()
    return {
        "imap_host": env["CONCIERGE_IMAP_HOST"],
        "imap_port": int(env["CONCIERGE_IMAP_PORT"]),
        "imap_user": env["CONCIERGE_IMAP_USER"],
        "imap_password": env["CONCIERGE_IMAP_PASSWORD"],
        "imap_ssl": False,
    }


SAMPLE_BODY = (
    "Olá, sou técnico de som numa digressão pela Europa e há semanas que não durmo bem.\n"
    "Gostava de falar com alguém que perceba como é a vida na estrada. Obrigado.\n"
) * 4


if __name__ == "__main__":
    main()
