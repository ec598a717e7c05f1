"""Urgency: crisis rules first, then urgent ones, every decision with its evidence.

A crisis match stands unless the context takes it back, and only in the ways the
rules allow: an exception (an idiom) that overlaps it; a negation cue, where the
rule says `negatable`; a song title in quotation marks. A resolved past lowers it to
urgent but never drops it. Safety wins ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from spacy.tokens import Doc

from concierge.triage.matching import Hit, LanguageMatcher
from concierge.triage.rules import RuleBook, load_rules


@dataclass(frozen=True)
class Reason:
    rule: str
    level: str  # the rule's level: crisis, urgent, exception
    effect: str  # crisis, urgent, or what cancelled it: "idiom ...", "negated by ...", ...
    text: str
    start: int  # character offsets in the text that was read
    end: int

    def as_json(self) -> dict[str, object]:
        return vars(self).copy()


@dataclass(frozen=True)
class Urgency:
    level: str  # crisis | urgent | routine
    reasons: tuple[Reason, ...]


class UrgencyClassifier:
    def __init__(self, book: RuleBook) -> None:
        self.book = book
        self._matchers: dict[str, LanguageMatcher] = {}

    def matcher(self, language: str) -> LanguageMatcher | None:
        if language not in self.book.languages:
            return None
        if language not in self._matchers:
            self._matchers[language] = LanguageMatcher(
                self.book.languages[language], self.book.settings
            )
        return self._matchers[language]

    def classify(self, text: str, languages: list[str]) -> Urgency:
        reasons: list[Reason] = []
        for language in dict.fromkeys(languages):
            matcher = self.matcher(language)
            if matcher is not None:
                reasons.extend(self._read(matcher, text))
        effects = {reason.effect for reason in reasons}
        level = "crisis" if "crisis" in effects else "urgent" if "urgent" in effects else "routine"
        order = {"crisis": 0, "urgent": 1}
        reasons.sort(key=lambda r: (order.get(r.effect, 2), r.start))
        return Urgency(level, tuple(reasons))

    def _read(self, matcher: LanguageMatcher, text: str) -> list[Reason]:
        doc = matcher.read(text)
        hits = matcher.hits(doc)
        exceptions = [h for h in hits if h.rule.level == "exception"]
        reasons = []
        for hit in hits:
            if hit.rule.level == "exception":
                continue
            effect = self._effect(matcher, doc, hit, exceptions)
            span = doc[hit.start : hit.end]
            note = "".join(f" ({written!r} read as {read!r})" for written, read in hit.fuzzy)
            reasons.append(
                Reason(
                    hit.rule.id,
                    hit.rule.level,
                    effect,
                    span.text + note,
                    span.start_char,
                    span.end_char,
                )
            )
        return reasons

    def _effect(self, matcher: LanguageMatcher, doc: Doc, hit: Hit, exceptions: list[Hit]) -> str:
        for exception in exceptions:
            if exception.start < hit.end and hit.start < exception.end:
                return f"cancelled: figure of speech ({exception.rule.id})"
        sentence = doc[hit.start].sent
        if hit.rule.negatable:
            window = matcher.settings.negation_window
            before = [t.norm_ for t in doc[max(sentence.start, hit.start - window) : hit.start]]
            for cue in matcher.negation:
                if _contains(before, cue):
                    return f"cancelled: negated by {' '.join(cue)!r}"
        if _in_song_title(doc, hit, matcher) and any(
            _contains([t.norm_ for t in sentence], cue) for cue in matcher.song
        ):
            return "cancelled: inside a quoted title"
        if hit.rule.past_resolves and any(
            _contains([t.norm_ for t in sentence], cue) for cue in matcher.past
        ):
            return "urgent" if hit.rule.level == "crisis" else "routine"
        return hit.rule.level


def _contains(words: list[str], cue: list[str]) -> bool:
    size = len(cue)
    return size > 0 and any(words[i : i + size] == cue for i in range(len(words) - size + 1))


def _in_song_title(doc: Doc, hit: Hit, matcher: LanguageMatcher) -> bool:
    text = doc.text
    start, end = doc[hit.start].idx, doc[hit.end - 1].idx + len(doc[hit.end - 1].text)
    for opening, closing in matcher.settings.quote_marks:
        left = text.rfind(opening, 0, start)
        if left == -1 or text.count("\n", left, start):
            continue
        right = text.find(closing, end)
        if right != -1 and not text.count("\n", end, right):
            return True
    return False


@cache
def default_classifier() -> UrgencyClassifier:
    return UrgencyClassifier(load_rules())
