"""Urgency: crisis rules first, then urgent ones, every decision with its evidence.

A crisis match stands unless the context takes it back, and only in the ways the
rules allow: an exception (an idiom) that overlaps it; a negation cue, where the
rule says `negatable`; a song title in quotation marks. A past attempt told as
resolved ("years ago ... I am well now") is history: routine on its own, a crisis
with any warning sign of now. Safety wins ties.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from functools import cache

from spacy.attrs import IS_PUNCT, NORM, ORTH
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from concierge.triage.matching import GAP, Hit, LanguageMatcher, words_of
from concierge.triage.rules import RuleBook, load_rules

RESOLVED = "resolved past"  # the effect of a crisis match told as a resolved past


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

    def loaded(self, language: str) -> bool:
        return language in self._matchers

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
        """Warning signs of enough different kinds together are a crisis.

        A past attempt counts as one kind ("history"): with a warning sign of now it
        is a crisis (an earlier attempt is the strongest known risk factor).
        """
        kinds = {reason.kind for reason in reasons if reason.effect == "signal"}
        if kinds and any(reason.effect == RESOLVED for reason in reasons):
            kinds.add("history")
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
        reading = Reading(doc)
        exceptions = [h for h in hits if h.rule.level == "exception"]
        judged = [
            (hit, self._effect(matcher, reading, hit, exceptions, cues, follows))
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
        reading: Reading,
        hit: Hit,
        exceptions: list[Hit],
        cues: dict[str, list[list[str]]],
        follows: bool,
    ) -> str:
        for exception in exceptions:
            if exception.start < hit.end and hit.start < exception.end:
                return f"cancelled: figure of speech ({exception.rule.id})"
        norms = reading.norms
        start, end = reading.sentence(hit.start)
        words = norms[start:end]
        if hit.rule.negatable:
            window = matcher.settings.negation_window
            before = norms[max(start, hit.start - window) : hit.start]
            after = norms[hit.end : min(end, hit.end + window)] if follows else []
            for cue in cues.get("negation", []):
                if _contains(before, cue) or _contains(after, cue):
                    return f"cancelled: negated by {' '.join(cue)!r}"
            for cue in cues.get("general", []):
                if _contains(words, cue):
                    return f"cancelled: a general question ({' '.join(cue)!r})"
        if _in_song_title(reading, hit, matcher) and any(
            _contains(words, c) for c in cues.get("song", [])
        ):
            return "cancelled: inside a quoted title"
        if hit.rule.past_resolves:
            # The sentence before and the one after count too: a past cue may stand there.
            before_start = reading.sentence(start - 1)[0] if start > 0 else start
            after_end = reading.sentence(end)[1] if end < len(norms) else end
            if any(_contains(norms[before_start:after_end], c) for c in cues.get("past", [])):
                return RESOLVED if hit.rule.level == "crisis" else "routine"
        return hit.rule.level


class Reading:
    """What context needs of a matched text: its words' normal forms and sentences.

    Sentences end at a sentence-final mark (. ! ? and their kin in other scripts);
    marks that follow it, and closing quotes, stay with it.
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        strings = doc.vocab.strings
        self.norms = [strings[norm] for norm in doc.to_array(NORM).tolist()]
        self.starts = [0]
        seen_end = False
        for index, (orth, punct) in enumerate(doc.to_array([ORTH, IS_PUNCT]).tolist()):
            final = strings[orth] in _SENTENCE_FINAL
            if seen_end and not punct and not final:
                self.starts.append(index)
                seen_end = False
            elif final:
                seen_end = True

    def sentence(self, index: int) -> tuple[int, int]:
        """The token range of the sentence holding token `index`."""
        number = bisect.bisect_right(self.starts, index) - 1
        end = self.starts[number + 1] if number + 1 < len(self.starts) else len(self.norms)
        return self.starts[number], end


# The marks that end a sentence: those of spaCy's sentencizer.
_SENTENCE_FINAL = frozenset(Sentencizer.default_punct_chars)


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


def _in_song_title(reading: Reading, hit: Hit, matcher: LanguageMatcher) -> bool:
    text, doc = reading.text, reading.doc
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
