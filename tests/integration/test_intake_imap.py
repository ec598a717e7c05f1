"""The intake worker against a real Dovecot server: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot
from tests.support.mail import message

KEYWORD = "$ConciergeStored"


def env_for(dovecot: Dovecot, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
    env.update(dovecot.env())
    env["CONCIERGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env.update(extra)
    return env


def concierge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concierge", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def count(tmp_path: Path, where: str = "1=1") -> int:
    path = tmp_path / "db.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as connection:
            return int(
                connection.execute(f"select count(*) from messages where {where}").fetchone()[0]
            )
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def processor_pid(parent: int) -> int:
    """The worker's child process (triage and drafts)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    assert len(children) >= 1, "the worker has no child process"
    for child in children:
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    raise AssertionError(f"no processor among {children}")


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    """`concierge worker` running for ever, as in production."""
    return subprocess.Popen(
        [sys.executable, "-m", "concierge", "worker"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen[str]) -> str:
    """SIGTERM, as a service manager sends: the worker must stop cleanly."""
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
    return output


def test_once_stores_each_message_once_and_marks_it(dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.deliver(*(message(n) for n in range(5)))
    env = env_for(dovecot, tmp_path)
    first = concierge(env, "worker", "--once")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        "stored 5 new messages (5 personal); 0 already stored; triaged 5, drafted 5"
    )
    again = concierge(env, "worker", "--once")
    assert again.stdout.strip() == "stored 0 new messages; 0 already stored"
    assert dovecot.keyword_count(KEYWORD) == 5
    listing = concierge(env, "queue", "list", "--json")
    assert len(listing.stdout.splitlines()) == 5
    client = dovecot.client()
    try:  # people's \Seen flags are left alone
        assert all(b"\\Seen" not in flags for flags in client.get_flags(client.search()).values())
    finally:
        client.logout()


def test_a_crash_mid_batch_loses_nothing_and_stores_nothing_twice(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    total = 1000
    dovecot.deliver(*(message(n) for n in range(total)))
    env = env_for(dovecot, tmp_path)
    assert concierge(env, "db", "upgrade").returncode == 0
    worker = subprocess.Popen(
        [sys.executable, "-m", "concierge", "worker", "--once"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(lambda: count(tmp_path) >= 100 or worker.poll() is not None)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    stored_before = count(tmp_path)
    assert 0 < stored_before < total, "the worker was not killed in the middle of the batch"
    assert dovecot.keyword_count(KEYWORD) <= stored_before
    finish = concierge(env, "worker", "--once")
    assert finish.returncode == 0, finish.stderr
    assert count(tmp_path) == total
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        ids = [row[0] for row in connection.execute("select message_id from messages")]
    assert len(set(ids)) == total
    assert dovecot.keyword_count(KEYWORD) == total
    # Triaged and drafted once each, whatever the kill interrupted.
    assert count(tmp_path, "urgency is not null") == total
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        drafted = [row[0] for row in connection.execute("select message_id from drafts")]
    assert len(drafted) == len(set(drafted)) == total


def test_a_uidvalidity_reset_reingests_nothing(dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.deliver(*(message(n) for n in range(3)))
    env = env_for(dovecot, tmp_path, CONCIERGE_LOG_LEVEL="INFO")
    assert concierge(env, "worker", "--once").returncode == 0
    dovecot.reset_uidvalidity()
    dovecot.deliver(message(99))
    result = concierge(env, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "UIDVALIDITY changed" in result.stderr
    assert "stored 1 new messages (1 personal); 3 already stored" in result.stdout
    assert count(tmp_path) == 4


def test_idle_stores_new_mail_at_once_and_survives_a_dropped_connection(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    env = env_for(dovecot, tmp_path, CONCIERGE_POLL_SECONDS="3600")
    assert concierge(env, "db", "upgrade").returncode == 0
    dovecot.deliver(message(0))
    worker = start_worker(env)
    try:
        # Ready once the waiting message is stored (the worker loads triage first).
        wait_for(lambda: count(tmp_path) == 1, seconds=120)
        time.sleep(0.5)  # idling
        dovecot.deliver(message(1))
        wait_for(lambda: count(tmp_path) == 2, seconds=10)
        dovecot.kick()
        time.sleep(0.5)
        dovecot.deliver(message(2))
        wait_for(lambda: count(tmp_path) == 3, seconds=30)
        # Triaged and drafted by the worker's second process, right after.
        wait_for(lambda: count(tmp_path, "status = 'drafted'") == 3, seconds=30)
        # That process dies: the worker starts it again with the next mail.
        child = processor_pid(worker.pid)
        os.kill(child, signal.SIGKILL)
        time.sleep(0.5)
        dovecot.deliver(message(3))
        wait_for(lambda: count(tmp_path, "status = 'drafted'") == 4, seconds=60)
    finally:
        output = stop_worker(worker)
    assert "the triage process stopped; restarting it" in output
    assert "mailbox connection lost; reconnecting" in output
    assert "Olá" not in output and "preciso" not in output  # no message text in the logs


@pytest.fixture
def dovecot_without_idle(dovecot: Dovecot) -> Dovecot:
    dovecot.stop()
    with dovecot.config.open("a") as config:
        config.write("imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE\n")
    dovecot.start()
    return dovecot


def test_without_idle_the_worker_polls(dovecot_without_idle: Dovecot, tmp_path: Path) -> None:
    dovecot = dovecot_without_idle
    env = env_for(dovecot, tmp_path, CONCIERGE_POLL_SECONDS="1")
    assert concierge(env, "db", "upgrade").returncode == 0
    worker = start_worker(env)
    try:
        dovecot.deliver(message(1))
        wait_for(lambda: count(tmp_path) == 1, seconds=120)  # after loading triage
        dovecot.deliver(message(2))
        wait_for(lambda: count(tmp_path) == 2, seconds=15)
    finally:
        output = stop_worker(worker)
    assert "'idle': False" in output or "idle=False" in output


def test_bad_imap_settings_are_one_clear_line(dovecot: Dovecot, tmp_path: Path) -> None:
    env = env_for(dovecot, tmp_path, CONCIERGE_IMAP_SSL="maybe")
    result = concierge(env, "worker", "--once")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "concierge: CONCIERGE_IMAP_SSL: got 'maybe', expected true or false"
    )
    env = env_for(dovecot, tmp_path)
    del env["CONCIERGE_IMAP_HOST"]
    result = concierge(env, "worker", "--once")
    assert result.returncode == 1
    assert result.stderr.startswith("concierge: CONCIERGE_IMAP_HOST: not set")


def test_unreachable_server_and_wrong_password_are_one_clear_line(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    env = env_for(dovecot, tmp_path, CONCIERGE_IMAP_PASSWORD="wrong")
    result = concierge(env, "worker", "--once")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("concierge: CONCIERGE_IMAP_USER: 127.0.0.1:")
    assert last.endswith("refused the login: [AUTHENTICATIONFAILED] Authentication failed.")
    assert "Traceback" not in result.stderr
    dovecot.stop()
    result = concierge(env_for(dovecot, tmp_path), "worker", "--once")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("concierge: CONCIERGE_IMAP_HOST: cannot reach the mailbox")


def test_every_message_of_cpythons_email_test_data_through_imap(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    folders = [Path(p) / "test" / "test_email" / "data" for p in sys.path]
    folder = next((f for f in folders if f.is_dir()), None)
    if folder is None:
        pytest.skip("this Python has no test/test_email/data folder")
    originals = sorted(p.read_bytes() for p in folder.glob("msg_*.txt"))
    dovecot.deliver(*originals)
    env = env_for(dovecot, tmp_path)
    result = concierge(env, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert count(tmp_path) == len(originals)
    assert count(tmp_path, "category = 'shunted'") == 0


@pytest.fixture
def dovecot_with_tls(make_dovecot: Callable[..., Dovecot]) -> Dovecot:
    return make_dovecot(tls=True)


@pytest.mark.parametrize("implicit_tls", [True, False], ids=["ssl", "starttls"])
def test_tls_and_starttls(dovecot_with_tls: Dovecot, tmp_path: Path, implicit_tls: bool) -> None:
    dovecot = dovecot_with_tls
    dovecot.deliver(message(1))
    env = env_for(dovecot, tmp_path, SSL_CERT_FILE=str(dovecot.certificate))
    if implicit_tls:
        env.update(CONCIERGE_IMAP_SSL="true", CONCIERGE_IMAP_PORT=str(dovecot.tls_port))
    result = concierge(env, "worker", "--once")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stored 1 new messages")
    # Without trusting the certificate, the connection is refused, never downgraded.
    del env["SSL_CERT_FILE"]
    result = concierge(env, "worker", "--once")
    assert result.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr.splitlines()[-1]
