"""The shipped rules on both labelled corpora: the targets of the triage issue.

Both corpora have been used to tune the rules, so these figures guard against a
rule change that breaks what worked; they do not promise the same on new mail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from concierge.triage.evaluation import Report, describe, evaluate, load_corpus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["corpus", "holdout"])
def report(request: pytest.FixtureRequest) -> Report:
    return evaluate(load_corpus(ROOT / "tests" / request.param))


def test_crisis_recall_and_precision(report: Report) -> None:
    assert report.crisis_recall() == 1.0, describe(report)
    assert report.crisis_precision() >= 0.9, describe(report)


def test_language(report: Report) -> None:
    assert report.language_accuracy() >= 0.99, describe(report)


def test_country(report: Report) -> None:
    assert report.country_signal_right / report.country_signal_total >= 0.85, describe(report)
    assert report.country_null_right / report.country_null_total >= 0.9, describe(report)
