"""`concierge eval`: the triage measured against a labelled corpus.

A corpus is a folder of YAML files, each a list of messages:
`{id, from, subject, date, body, expect: {language, country, urgency}}`.
Reported: language accuracy per language, country accuracy where the message has
a signal and the null rate where it has none, crisis recall and precision, and the
urgency confusion matrix.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

from concierge.errors import ConciergeError
from concierge.triage.pipeline import TriageResult, triage
from concierge.triage.urgency import UrgencyClassifier

URGENCIES = ("crisis", "urgent", "routine")


@dataclass
class Case:
    id: str
    raw: bytes
    language: str
    country: str | None
    urgency: str


@dataclass
class Report:
    total: int = 0
    language_right: Counter[str] = field(default_factory=Counter)
    language_total: Counter[str] = field(default_factory=Counter)
    country_signal_right: int = 0
    country_signal_total: int = 0
    country_null_right: int = 0
    country_null_total: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def crisis_recall(self) -> float:
        actual = sum(n for (want, _), n in self.confusion.items() if want == "crisis")
        return self.confusion[("crisis", "crisis")] / actual if actual else 1.0

    def crisis_precision(self) -> float:
        flagged = sum(n for (_, got), n in self.confusion.items() if got == "crisis")
        return self.confusion[("crisis", "crisis")] / flagged if flagged else 1.0

    def language_accuracy(self) -> float:
        total = sum(self.language_total.values())
        return sum(self.language_right.values()) / total if total else 1.0

    def urgency_accuracy(self) -> float:
        right = sum(n for (want, got), n in self.confusion.items() if want == got)
        return right / self.total if self.total else 1.0


def load_corpus(path: Path) -> list[Case]:
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise ConciergeError(f"{path}: no corpus files (*.yaml)")
    cases = []
    for file in files:
        try:
            entries = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ConciergeError(f"{file}: cannot read the corpus: {error}") from None
        for number, entry in enumerate(entries or [], start=1):
            try:
                cases.append(_case(entry))
            except (KeyError, TypeError) as error:
                raise ConciergeError(f"{file}, entry {number}: missing {error}") from None
    return cases


def _case(entry: dict[str, Any]) -> Case:
    message = EmailMessage()
    message["From"] = entry["from"]
    message["To"] = "global@backline.care"
    message["Subject"] = entry.get("subject") or ""
    if entry.get("date"):
        message["Date"] = entry["date"]
    message["Message-ID"] = f"<{entry['id']}@corpus.invalid>"
    message.set_content(entry["body"])
    expect = entry["expect"]
    return Case(
        id=str(entry["id"]),
        raw=bytes(message),
        language=str(expect["language"]),
        country=expect.get("country"),
        urgency=str(expect["urgency"]),
    )


def evaluate(cases: list[Case], classifier: UrgencyClassifier | None = None) -> Report:
    report = Report()
    for case in cases:
        result = triage(case.raw, classifier)
        _score(report, case, result)
    return report


def _score(report: Report, case: Case, result: TriageResult) -> None:
    report.total += 1
    report.language_total[case.language] += 1
    if result.language == case.language:
        report.language_right[case.language] += 1
    else:
        report.misses.append(f"{case.id}: language {result.language}, expected {case.language}")
    if case.country:
        report.country_signal_total += 1
        report.country_signal_right += result.country == case.country
        if result.country != case.country:
            report.misses.append(f"{case.id}: country {result.country}, expected {case.country}")
    else:
        report.country_null_total += 1
        report.country_null_right += result.country is None
        if result.country is not None:
            report.misses.append(f"{case.id}: country {result.country}, expected none")
    report.confusion[(case.urgency, result.urgency)] += 1
    if result.urgency != case.urgency:
        rules = ", ".join(r["rule"] + ":" + r["effect"] for r in result.reasons) or "no rule"
        report.misses.append(
            f"{case.id}: urgency {result.urgency}, expected {case.urgency} ({rules})"
        )


def describe(report: Report) -> str:
    lines = [f"{report.total} messages"]
    lines.append(f"language accuracy: {report.language_accuracy():.1%}")
    per = defaultdict(str)
    for language in sorted(report.language_total):
        right, total = report.language_right[language], report.language_total[language]
        per[language] = f"{language} {right}/{total}"
    lines.append("  " + "  ".join(per.values()))
    if report.country_signal_total:
        lines.append(
            f"country accuracy where a signal exists: "
            f"{report.country_signal_right / report.country_signal_total:.1%} "
            f"({report.country_signal_right}/{report.country_signal_total})"
        )
    if report.country_null_total:
        lines.append(
            f"country null where none exists: "
            f"{report.country_null_right / report.country_null_total:.1%} "
            f"({report.country_null_right}/{report.country_null_total})"
        )
    lines.append(f"crisis recall: {report.crisis_recall():.1%}")
    lines.append(f"crisis precision: {report.crisis_precision():.1%}")
    lines.append(f"urgency accuracy: {report.urgency_accuracy():.1%}")
    lines.append("confusion (rows: expected, columns: found):")
    lines.append("           " + "".join(f"{u:>9}" for u in URGENCIES))
    for want in URGENCIES:
        lines.append(
            f"  {want:<9}" + "".join(f"{report.confusion[(want, got)]:>9}" for got in URGENCIES)
        )
    if report.misses:
        lines.append("misses:")
        lines.extend(f"  {miss}" for miss in report.misses)
    return "\n".join(lines)
