"""Triage, stage by stage: parse -> language -> country -> urgency, with the evidence.

One call, `triage(raw)`, returns a `TriageResult` that records what each stage
found and why; the intake worker stores it with the message and the review screen
shows it. Nothing here needs a database, a mail server or the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from concierge.intake.kinds import Category
from concierge.intake.parse import ParsedMessage, parse_message
from concierge.triage.country import detect_country
from concierge.triage.language import UNDETERMINED, detect_language
from concierge.triage.urgency import UrgencyClassifier, default_classifier

AUTOMATIC = frozenset({Category.AUTO_REPLY, Category.BOUNCE, Category.BULK, Category.OWN})
MAX_BYTES = 25 * 1024 * 1024
MAX_TEXT = 50_000  # characters of new text read by triage
MAX_SIGNATURE = 2_000


@dataclass
class TriageResult:
    message_id: str | None
    language: str
    language_confidence: float
    country: str | None
    country_confidence: float
    country_evidence: list[dict[str, Any]] = field(default_factory=list)
    urgency: str = "routine"
    reasons: list[dict[str, Any]] = field(default_factory=list)
    auto_reply: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "language": self.language,
            "language_confidence": self.language_confidence,
            "country": self.country,
            "country_confidence": self.country_confidence,
            "country_evidence": self.country_evidence,
            "urgency": self.urgency,
            "reasons": self.reasons,
            "auto_reply": self.auto_reply,
        }


def triage(
    raw: bytes,
    classifier: UrgencyClassifier | None = None,
    conversation_countries: Sequence[str] = (),
) -> TriageResult:
    parsed = parse_message(raw, MAX_BYTES)
    return triage_parsed(parsed, classifier, conversation_countries)


def triage_parsed(
    parsed: ParsedMessage,
    classifier: UrgencyClassifier | None = None,
    conversation_countries: Sequence[str] = (),
) -> TriageResult:
    classifier = classifier or default_classifier()
    # What a person writes fits many times in this; a pasted book does not need reading
    # to the end, and the worker must not stall on it.
    new_text = parsed.new_text[:MAX_TEXT]
    language = detect_language(new_text, parsed.subject)
    place_text = "\n".join((parsed.subject, new_text, parsed.signature[:MAX_SIGNATURE]))
    country = detect_country(
        place_text, parsed.sender, parsed.headers.get("date"), conversation_countries
    )
    text = f"{parsed.subject}\n{new_text}"
    urgency = classifier.classify(text, _languages_to_read(language.language, classifier))
    return TriageResult(
        message_id=parsed.message_id,
        language=language.language,
        language_confidence=language.confidence,
        country=country.country,
        country_confidence=country.confidence,
        country_evidence=[item.as_json() for item in country.evidence],
        urgency=urgency.level,
        reasons=[reason.as_json() for reason in urgency.reasons],
        auto_reply=parsed.category in AUTOMATIC,
    )


def _languages_to_read(language: str, classifier: UrgencyClassifier) -> list[str]:
    """The message's language and English; every language when the language is unsure.

    A crisis must not slip through because a short message's language was unclear.
    """
    if language == UNDETERMINED:
        return ["en", *sorted(classifier.book.languages)]
    return [language, "en"]


def warm_up(classifier: UrgencyClassifier | None = None) -> None:
    """Load every language's rules and the place index now, not with the first crisis."""
    warm_up_essentials(classifier)
    while warm_up_next(classifier):
        pass


def warm_up_essentials(classifier: UrgencyClassifier | None = None) -> None:
    """What every message needs: the rules book, English, the detectors, the places.

    The worker's triage process calls this before it starts to wait for work, then
    `warm_up_next` between runs, so that mail arriving at start-up waits for at most
    one language's rules, not for all of them.
    """
    classifier = classifier or default_classifier()
    classifier.matcher("en")
    detect_language("warm up")
    detect_country("Lisboa. Mieszkam w Warszawie", None)  # names, and names with endings


def warm_up_next(classifier: UrgencyClassifier | None = None) -> bool:
    """Load one more language's rules; False when all are loaded."""
    classifier = classifier or default_classifier()
    for language in sorted(classifier.book.languages):
        if not classifier.loaded(language):
            classifier.matcher(language)
            return True
    return False
