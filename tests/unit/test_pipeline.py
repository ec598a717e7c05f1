"""Triage as a whole, on messages built here: warning signs, and what is too long."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from concierge.triage.pipeline import MAX_TEXT, triage, warm_up_essentials, warm_up_next
from concierge.triage.rules import load_rules
from concierge.triage.urgency import UrgencyClassifier


def _mail(body: str, subject: str = "") -> bytes:
    message = EmailMessage()
    message["From"] = "someone@example.com"
    message["To"] = "global@backline.care"
    message["Subject"] = subject
    message.set_content(body)
    return bytes(message)


def test_a_huge_message_is_read_up_to_the_cap_and_still_triaged() -> None:
    filler = "We played three nights in a row and the van broke down again. " * 20_000
    assert len(filler) > 10 * MAX_TEXT
    result = triage(_mail("I want to kill myself tonight.\n\n" + filler))
    assert result.urgency == "crisis"
    assert result.language == "en"


def test_two_kinds_of_warning_signs_make_a_crisis_in_the_shipped_rules() -> None:
    body = (
        "Thanks for everything you did for me this year. I've given my guitars to my "
        "nephew and sent Sarah the passwords. You can cancel my appointment next week."
    )
    result = triage(_mail(body, "thanks"))
    assert result.urgency == "crisis"
    kinds = {reason["kind"] for reason in result.reasons if reason["level"] == "signal"}
    assert any("+" in kind for kind in kinds)


def test_one_warning_sign_alone_is_not_a_crisis() -> None:
    body = "Thanks for everything! The festival was wonderful and the crew loved it."
    assert triage(_mail(body, "festival")).urgency == "routine"


def test_the_worker_warms_up_one_language_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text(
        "language: en\ncrisis:\n  - id: en.c\n    phrases: [want to die]\n", encoding="utf-8"
    )
    (tmp_path / "pt.yaml").write_text(
        "language: pt\ncrisis:\n  - id: pt.c\n    phrases: [quero morrer]\n", encoding="utf-8"
    )
    classifier = UrgencyClassifier(load_rules(tmp_path))
    warm_up_essentials(classifier)
    assert classifier.loaded("en") and not classifier.loaded("pt")
    assert warm_up_next(classifier) is True
    assert classifier.loaded("pt")
    assert warm_up_next(classifier) is False
