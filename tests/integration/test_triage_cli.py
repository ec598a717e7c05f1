"""`concierge triage`, `concierge eval` and `concierge check` as people run them."""

from __future__ import annotations

import json
import mailbox
import subprocess
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INBOX = ROOT / "db" / "sample_inbox"
KEYS = [
    "path", "message_id", "language", "language_confidence", "country", "country_confidence",
    "country_evidence", "urgency", "reasons", "auto_reply",
]  # fmt: skip


def test_triage_json_has_the_promised_keys_and_finds_the_crises(run_cli: Run) -> None:
    result = run_cli("triage", str(SAMPLE_INBOX), "--json")
    assert result.returncode == 0, result.stderr
    rows = {Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert len(rows) == 16
    assert all(list(row) == KEYS for row in rows.values())
    for name in (
        "06-farewell-message.eml",
        "08-sao-paulo-crisis.eml",
        "10-singer-goodbye-texts.eml",
    ):
        assert rows[name]["urgency"] == "crisis", rows[name]["reasons"]
        assert rows[name]["reasons"][0]["effect"] == "crisis"
    assert rows["09-tour-idioms-wellness-events.eml"]["urgency"] == "routine"
    assert rows["13-out-of-office.eml"]["auto_reply"] is True
    assert rows["14-industry-newsletter.eml"]["auto_reply"] is True
    assert rows["02-lisbon-therapist.eml"]["country"] == "PT"
    assert rows["06-farewell-message.eml"]["language"] == "ja"


def test_a_file_that_is_not_mail_is_one_error_and_the_others_still_run(
    run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "photo.eml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    good = SAMPLE_INBOX / "01-nashville-therapy-costs.eml"
    result = run_cli("triage", str(tmp_path / "photo.eml"), str(good), "--json")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"concierge: {tmp_path / 'photo.eml'}: not an email message (binary data)"
    )
    assert json.loads(result.stdout)["path"] == str(good)


def test_an_mbox_file_is_read_message_by_message(run_cli: Run, tmp_path: Path) -> None:
    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    for path in sorted(SAMPLE_INBOX.glob("0[1-3]*.eml")):
        box.add(path.read_bytes())
    box.close()
    result = run_cli("triage", str(tmp_path / "inbox.mbox"), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["path"] for row in rows] == [f"{tmp_path / 'inbox.mbox'}#{n}" for n in (1, 2, 3)]
    assert [row["language"] for row in rows] == ["en", "pt", "es"]


def test_check_validates_the_shipped_rules_and_seed(run_cli: Run) -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert "rules: 28 languages" in result.stdout


def test_eval_reports_the_figures(run_cli: Run) -> None:
    result = run_cli("eval", str(ROOT / "tests" / "corpus"))
    assert result.returncode == 0, result.stderr
    for label in ("language accuracy", "crisis recall", "crisis precision", "confusion"):
        assert label in result.stdout
