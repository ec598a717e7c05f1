"""Urgency: crisis rules first, then urgent ones, every decision with its evidence.

A crisis match stands unless the context takes it back, and only in the ways the
rules allow: an exception (an idiom) that overlaps it; a negation cue, where the
rule says `negatable`; a song title in quotation marks. A resolved past lowers it to
urgent but never drops it. Safety wins ties.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from spacy.tokens import Doc, Span

from concierge.triage.matching import GAP, Hit, LanguageMatcher, words_of
from concierge.triage.rules import RuleBook, load_rules


@dataclass(frozen=True)
class Reason:
    rule: str
    level: str  # the rule's level: crisis, urgent, signal, exception
    effect: str  # crisis, urgent, signal (alone), or what cancelled it: "negated by ...", ...
    text: str
    start: int  # character offsets in the text that was read
    end: int
    kind: str = ""  # a warning sign's kind (and, once they make a crisis, the kinds together)

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
        languages = list(dict.fromkeys(languages))
        matchers = [m for m in (self.matcher(language) for language in languages) if m]
        primary = matchers[0].cues if matchers else {}
        words = words_of(text)
        reasons: list[Reason] = []
        for matcher in (m for m in matchers if m.may_match(words)):
            # Each language's rules hear their own context words and those of the
            # message's language: English rules on Norwegian mail hear "ikke", but
            # Spanish rules never hear English "no".
            cues = {kind: found + [c for c in primary.get(kind, []) if c not in found]
                    for kind, found in matcher.cues.items()}  # fmt: skip
            # Negation after a match only for the rules of a language that puts it there.
            reasons.extend(self._read(matcher, text, cues, matcher.rules.negation_follows))
        reasons = self._signals(reasons)
        effects = {reason.effect for reason in reasons}
        level = "crisis" if "crisis" in effects else "urgent" if "urgent" in effects else "routine"
        order = {"crisis": 0, "urgent": 1}
        reasons.sort(key=lambda r: (order.get(r.effect, 2), r.start))
        return Urgency(level, tuple(reasons))

    def _signals(self, reasons: list[Reason]) -> list[Reason]:
        """Warning signs of enough different kinds together are a crisis."""
        kinds = {reason.kind for reason in reasons if reason.effect == "signal"}
        if len(kinds) < self.book.settings.signals_for_crisis:
            return reasons
        together = " + ".join(sorted(kinds))
        return [
            replace(reason, effect="crisis", kind=f"{reason.kind} ({together})")
            if reason.effect == "signal"
            else reason
            for reason in reasons
        ]

    def _read(
        self,
        matcher: LanguageMatcher,
        text: str,
        cues: dict[str, list[list[str]]],
        follows: bool,
    ) -> list[Reason]:
        doc = matcher.read(text)
        hits = matcher.hits(doc)
        if not hits:
            return []
        matcher.sentences(doc)
        exceptions = [h for h in hits if h.rule.level == "exception"]
        judged = [
            (hit, self._effect(matcher, doc, hit, exceptions, cues, follows))
            for hit in hits
            if hit.rule.level != "exception"
        ]
        reasons = []
        for hit, effect in judged:
            # The longest match governs: "end my life" inside a resolved "tried to end
            # my life" takes the longer match's verdict.
            for other, other_effect in judged:
                longer = other.end - other.start > hit.end - hit.start
                if longer and other.start <= hit.start and hit.end <= other.end:
                    effect = other_effect if other_effect != other.rule.level else effect
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
                    hit.rule.kind,
                )
            )
        return reasons

    def _effect(
        self,
        matcher: LanguageMatcher,
        doc: Doc,
        hit: Hit,
        exceptions: list[Hit],
        cues: dict[str, list[list[str]]],
        follows: bool,
    ) -> str:
        for exception in exceptions:
            if exception.start < hit.end and hit.start < exception.end:
                return f"cancelled: figure of speech ({exception.rule.id})"
        sentence = doc[hit.start].sent
        words = [t.norm_ for t in sentence]
        if hit.rule.negatable:
            window = matcher.settings.negation_window
            before = [t.norm_ for t in doc[max(sentence.start, hit.start - window) : hit.start]]
            after = (
                [t.norm_ for t in doc[hit.end : min(sentence.end, hit.end + window)]]
                if follows
                else []
            )
            for cue in cues.get("negation", []):
                if _contains(before, cue) or _contains(after, cue):
                    return f"cancelled: negated by {' '.join(cue)!r}"
            for cue in cues.get("general", []):
                if _contains(words, cue):
                    return f"cancelled: a general question ({' '.join(cue)!r})"
        if _in_song_title(doc, hit, matcher) and any(
            _contains(words, c) for c in cues.get("song", [])
        ):
            return "cancelled: inside a quoted title"
        if hit.rule.past_resolves:
            nearby = [
                t.norm_ for t in doc[_sentence_start(doc, sentence) : _sentence_end(doc, sentence)]
            ]
            if any(_contains(nearby, cue) for cue in cues.get("past", [])):
                return "urgent" if hit.rule.level == "crisis" else "routine"
        return hit.rule.level


def _sentence_start(doc: Doc, sentence: Span) -> int:
    """The start of the sentence before, so that a past cue may come just before."""
    return doc[sentence.start - 1].sent.start if sentence.start > 0 else sentence.start


def _sentence_end(doc: Doc, sentence: Span) -> int:
    return doc[sentence.end].sent.end if sentence.end < len(doc) else sentence.end


def _contains(words: list[str], cue: list[str]) -> bool:
    """Whether the cue's words stand in `words` in order; `...` skips up to 3 words."""
    if not cue:
        return False
    pieces: list[list[str]] = [[]]
    for word in cue:
        if word == GAP:
            pieces.append([])
        else:
            pieces[-1].append(word)
    pieces = [piece for piece in pieces if piece]
    for start in range(len(words)):
        position, matched = start, True
        for number, piece in enumerate(pieces):
            limit = position + (4 if number else 1)
            found = next(
                (i for i in range(position, min(limit, len(words) - len(piece) + 1))
                 if words[i : i + len(piece)] == piece),
                None,
            )  # fmt: skip
            if found is None:
                matched = False
                break
            position = found + len(piece)
        if matched:
            return True
    return False


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
