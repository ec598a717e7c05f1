"""The embedded mailbox: a Maildir or a folder of .eml files, with no mail server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from concierge.errors import ConfigError
from concierge.intake.imap import _oauth2_token
from tests.support.mail import message

Run = Callable[..., subprocess.CompletedProcess[str]]
SAMPLE_INBOX = Path(__file__).resolve().parents[2] / "db" / "sample_inbox"


def test_the_sample_inbox_is_stored_once_and_queued(run_cli: Run) -> None:
    env = {"CONCIERGE_MAILDIR": str(SAMPLE_INBOX)}
    first = run_cli("worker", "--once", env=env)
    assert first.returncode == 0, first.stderr
    total = len(list(SAMPLE_INBOX.glob("*.eml")))
    assert first.stdout.startswith(f"stored {total} new messages (1 auto_reply, 1 bulk, ")
    again = run_cli("worker", "--once", env=env)
    assert again.stdout.strip() == "stored 0 new messages; 0 already stored"
    rows = [json.loads(line) for line in run_cli("queue", "list", "--json").stdout.splitlines()]
    assert len(rows) == total - 2  # the auto-reply and the newsletter wait for no one
    assert set(rows[0]) == {
        "id", "message_id", "sender", "subject", "received_at", "language", "country",
        "urgency", "status",
    }  # fmt: skip
    # Triaged as stored: every row has its language and urgency, crises first.
    assert {row["status"] for row in rows} == {"drafted"}
    assert all(row["language"] and row["urgency"] for row in rows)
    urgencies = [row["urgency"] for row in rows]
    assert urgencies[0] == "crisis"
    assert urgencies == sorted(urgencies, key=["crisis", "urgent", "routine"].index)


def test_a_real_maildir_is_read_without_being_changed(run_cli: Run, tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.M1P1.host").write_bytes(message(1))
    (maildir / "cur" / "1700000001.M2P1.host:2,S").write_bytes(message(2))
    before = sorted(p.name for p in maildir.rglob("*") if p.is_file())
    env = {"CONCIERGE_MAILDIR": str(maildir)}
    result = run_cli("worker", "--once", env=env)
    assert result.stdout.startswith("stored 2 new messages"), result.stderr
    # A mail program moves the first message to cur/ and flags it: still the same message.
    (maildir / "new" / "1700000000.M1P1.host").rename(maildir / "cur" / "1700000000.M1P1.host:2,S")
    assert run_cli("worker", "--once", env=env).stdout.startswith("stored 0 new messages")
    assert len(before) == 2


def test_a_missing_maildir_is_one_clear_line(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("worker", "--once", env={"CONCIERGE_MAILDIR": str(tmp_path / "nope")})
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"concierge: CONCIERGE_MAILDIR: '{tmp_path / 'nope'}' is not a folder"
    )


def test_the_oauth2_token_comes_from_the_command() -> None:
    assert _oauth2_token("printf 'ya29.token\\n'") == "ya29.token"
    with pytest.raises(ConfigError, match="CONCIERGE_IMAP_OAUTH2_COMMAND: could not get a token"):
        _oauth2_token("false")
    with pytest.raises(ConfigError, match="printed no token"):
        _oauth2_token("true")
