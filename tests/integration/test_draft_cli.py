"""`concierge draft` as people and other tools run it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INBOX = ROOT / "db" / "sample_inbox"
KEYS = ["message_id", "language", "country", "urgency", "subject", "body", "resources"]
CRISES = ("06-farewell-message.eml", "08-sao-paulo-crisis.eml", "10-singer-goodbye-texts.eml")


def test_dry_run_prints_the_promised_keys_and_writes_nothing(run_cli: Run, tmp_path: Path) -> None:
    paths = [str(SAMPLE_INBOX / name) for name in CRISES]
    result = run_cli("draft", *paths, "--json", "--dry-run")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert all(list(row) == KEYS for row in rows)
    assert all(set(r) == {"name", "kind", "phone", "url"} for row in rows for r in row["resources"])
    by_language = {row["language"]: row for row in rows}
    assert set(by_language) == {"ja", "pt", "en"}
    assert all(row["urgency"] == "crisis" for row in rows)
    brazil = by_language["pt"]
    assert brazil["country"] == "BR" and "188" in brazil["body"]  # CVV, Brazil's line
    assert brazil["message_id"].startswith("<") and brazil["subject"].startswith("Re: ")
    assert not (tmp_path / "var").exists()  # no database was created


def test_drafts_are_stored_once_and_wait_in_the_queue(run_cli: Run) -> None:
    path = str(SAMPLE_INBOX / "08-sao-paulo-crisis.eml")
    first = run_cli("draft", path, "--json")
    assert first.returncode == 0, first.stderr
    again = run_cli("draft", path, "--json")
    assert json.loads(again.stdout) == json.loads(first.stdout)  # the stored draft, not a new one
    queue = [json.loads(line) for line in run_cli("queue", "list", "--json").stdout.splitlines()]
    assert len(queue) == 1 and queue[0]["status"] == "drafted"


def test_text_output_and_what_gets_no_draft(run_cli: Run, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes\n", "utf-8")
    result = run_cli(
        "draft", str(SAMPLE_INBOX / "02-lisbon-therapist.eml"),
        str(SAMPLE_INBOX / "13-out-of-office.eml"), str(junk), "--dry-run",
    )  # fmt: skip
    assert result.returncode == 1
    assert "02-lisbon-therapist.eml: routine pt PT (pt/routine)" in result.stdout
    assert "Subject: Re: " in result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].endswith("13-out-of-office.eml: no draft: an auto-reply is never answered")
    assert errors[1] == f"concierge: {junk}: not an email message (no mail headers)"
