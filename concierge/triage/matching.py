"""spaCy does the reading: tokens, normal forms, lemmas, and the matching itself.

One blank pipeline per language (no model is downloaded, ever). Words are compared
by their normal form: lower case, accents removed, and a long word that is a near
miss of a crisis word (a misspelling) takes that word's form. Where spaCy's lookup
tables (spacy-lookups-data) know the language, each word of a rule also matches the
other forms of the same lemma. Chinese, Japanese, Thai and Korean are read character
by character, so that a phrase matches wherever it stands, with or without spaces.

Phrases go to a PhraseMatcher (a phrase with `...` gaps as its pieces, joined up
afterwards); staff-written token patterns go to a Matcher. Before any of that, a
cheap look at the message's words tells whether a language's rules can match at all:
every phrase and pattern has an anchor, a word that must be in the text for it to
match, and a message with no anchor of a language (nor a near miss of a crisis word)
is not read with that language's rules. Most mail is not read in English twice.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy
import spacy
from rapidfuzz import fuzz, process
from spacy.attrs import IDS, LEMMA, NORM, ORTH
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from concierge.triage.rules import (
    LEXEME_PATTERN_ATTRIBUTES,
    LanguageRules,
    Rule,
    RulesError,
    Settings,
)
from concierge.triage.words import cache_dir, stop_words

CHARACTER_LANGUAGES = frozenset({"zh", "ja", "th", "ko"})
LEXEME_ATTRIBUTES = frozenset(
    IDS[name] for name in LEXEME_PATTERN_ATTRIBUTES | {"NORM", "IS_SPACE"}
)
GAP = "..."


def fold_text(text: str) -> str:
    """Lower case without accents: the form words are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


# Words and names recur; a whole message does not, and must not fill the cache.
fold = lru_cache(maxsize=50_000)(fold_text)


class CharacterTokenizer:
    """One token per character, spaces dropped: substring matching for zh, ja, th, ko."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        chars = [c for c in text if not c.isspace()]
        spaces = []
        for index, char in enumerate(text):
            if not char.isspace():
                nxt = text[index + 1] if index + 1 < len(text) else ""
                spaces.append(nxt.isspace())
        return Doc(self.vocab, words=chars, spaces=spaces)


@dataclass(frozen=True)
class Hit:
    rule: Rule
    start: int  # token indices
    end: int
    text: str
    fuzzy: tuple[tuple[str, str], ...] = ()  # (as written, read as): near misses


class LanguageMatcher:
    """The compiled rules of one language."""

    def __init__(self, rules: LanguageRules, settings: Settings) -> None:
        self.rules = rules
        self.settings = settings
        self.language = rules.language
        self.characters = rules.language in CHARACTER_LANGUAGES
        self.nlp = _pipeline(rules.language)
        self.by_id = {rule.id: rule for rule in rules.rules}
        self.lemma_forms = _lemma_forms(rules)
        # Every form of a rule word reads as one representative form, its "lemma".
        self.lemma_of = {form: min(forms) for forms in self.lemma_forms.values() for form in forms}
        self.lemma_groups: dict[str, set[str]] = {}
        for form, lemma in self.lemma_of.items():
            self.lemma_groups.setdefault(lemma, set()).add(form)
        self.crisis_words = sorted(
            {
                word
                for rule in rules.of_level("crisis")
                for phrase in rule.phrases
                for word in self._norms(phrase)
                if len(word) >= settings.fuzzy_min_length and word != GAP
            }
        )
        self._crisis_word_set = frozenset(self.crisis_words)
        self._near: dict[str, str | None] = {}
        self._lemmas: dict[int, int] = {}  # a word's orth -> its rule lemma, as string ids
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.patterns: list[_Patterns] = []  # staff-written token patterns, by rule
        self.gapped: list[tuple[int, tuple[str, ...]]] = []  # (rule, the keys of its pieces)
        self.splits = _split_words(self.nlp)
        self.anchors: set[str] | None = None if self.characters else set()
        for rule in rules.rules:
            self._add(rule)
        self.cues = self.context_cues(rules)

    def context_cues(self, rules: LanguageRules) -> dict[str, list[list[str]]]:
        """Negation, past, song and general cues as word lists; `...` is a gap."""
        return {
            kind: [self._norms(cue) for cue in getattr(rules, kind)]
            for kind in ("negation", "past", "song", "general")
        }

    def _norms(self, text: str) -> list[str]:
        doc = self.nlp.make_doc(text.replace(GAP, " \u2026 "))
        return [GAP if t.text == "\u2026" else self.norm(t.text) for t in doc if not t.is_space]

    def norm(self, text: str) -> str:
        """Accents folded, except in zh, ja, th, ko, where marks are letters (が, ไม่)."""
        return _character_norm(text) if self.characters else fold(text)

    def _lemma(self, norm: str) -> str:
        return self.lemma_of.get(norm, norm) or norm or " "

    def _add(self, rule: Rule) -> None:
        plain = []
        for phrase in rule.phrases:
            pieces = [piece.strip() for piece in phrase.split(GAP) if piece.strip()]
            if len(pieces) == 1:
                plain.append(self._doc(pieces[0]))
            elif pieces:
                keys = []
                for piece in pieces:
                    doc = self._doc(piece)
                    key = "piece:" + " ".join(token.lemma_ for token in doc)
                    if key not in self.phrase_matcher:
                        self.phrase_matcher.add(key, [doc])
                    keys.append(key)
                self.gapped.append((self.nlp.vocab.strings.add(rule.id), tuple(keys)))
            if rule.level != "exception":
                self._anchor([self._norms(piece) for piece in pieces])
        if plain:
            self.phrase_matcher.add(rule.id, plain)
        if rule.patterns:
            matcher = Matcher(self.nlp.vocab)
            try:
                matcher.add(rule.id, [list(p) for p in rule.patterns])
            except ValueError as error:  # spaCy's own check of a token pattern
                problem = " ".join(str(error).split())[:300]
                raise RulesError(f"{rule.source}: rule {rule.id}: bad pattern: {problem}") from None
            # A rule's Matcher reads a text only near a pattern's surest word, and only
            # where the text has a word for every token that the pattern requires.
            gates: list[tuple[list[set[int]], set[int], int]] | None = []
            strings = self.nlp.vocab.strings
            for pattern in rule.patterns:
                required = self._anchor_pattern(pattern, rule.level != "exception")
                most = _longest(pattern)
                if gates is None or not required or most is None:
                    gates = None
                    continue
                sets = [{strings.add(form) for form in forms} for forms in required]
                gates.append((sets, min(sets, key=len), most))
            self.patterns.append(_Patterns(rule.level == "exception", matcher, gates))

    def _anchor(self, pieces: list[list[str]]) -> None:
        """Keep a phrase's most telling word (in all its forms): without it, no match."""
        if self.anchors is None:
            return
        stops = stop_words((self.language,)).get(self.language, frozenset())
        choices = [
            (word not in stops, min(len(run) for run in runs), runs)
            for piece in pieces
            for word in piece
            if word != GAP and (runs := self._runs(self._equivalents(word)))
        ]
        if not choices:
            self.anchors = None  # this language's rules read every message
            return
        self.anchors |= max(choices, key=lambda choice: choice[:2])[2]

    def _anchor_pattern(self, pattern: tuple[dict[str, Any], ...], anchor: bool) -> list[set[str]]:
        """For each token that a pattern requires by its words, the normal forms it takes.

        The surest of them also anchors the language's rules (where `anchor`); with no
        such token (every token optional, or matched by other attributes), the
        language's rules read every message.
        """
        required: list[set[str]] = []
        for token in pattern:
            if not _required(token.get("OP")):
                continue
            for key, value in token.items():
                values = value.get("IN") if isinstance(value, dict) else [value]
                if key.upper() not in _ANCHOR_ATTRS or not isinstance(values, list):
                    continue
                if key.upper() == "LEMMA":
                    forms = {f for v in values for f in self._equivalents(str(v), lemma=True)}
                else:
                    forms = {self.norm(str(v)) for v in values}
                if forms:
                    required.append(forms)
        if anchor and self.anchors is not None:
            runs = [found for forms in required if (found := self._runs(forms))]
            if runs:
                self.anchors |= max(runs, key=lambda found: min(len(r) for r in found))
            else:
                self.anchors = None
        return required

    def _runs(self, forms: set[str]) -> set[str] | None:
        """The longest run of letters or digits of each form, or None if one has none.

        A token "itsemurha-ajatuksia" can only be in a text whose words include
        "itsemurha".
        """
        found = set()
        for form in forms:
            runs = _word_runs().findall(form)
            if not runs:
                return None
            found.add(max(runs, key=len))
        return found or None

    def _equivalents(self, word: str, lemma: bool = False) -> set[str]:
        """Every normal form that a token may have to match `word` by lemma."""
        target = word if lemma else self._lemma(word)
        found = set(self.lemma_groups.get(target, ()))
        if target not in self.lemma_of:
            found.add(target)
        return found

    def may_match(self, words: frozenset[str]) -> bool:
        """Whether a crisis or urgent rule can match a text with these words (`words_of`).

        Exact, not a guess: every phrase and pattern needs its anchor, and a misspelt
        word can only count through a near miss of a crisis word.
        """
        if self.anchors is None or not words.isdisjoint(self.anchors):
            return True
        # Words the tokenizer cuts out of a longer one ("whend" -> "when", "d").
        for word in words.intersection(self.splits):
            if not self.splits[word].isdisjoint(self.anchors):
                return True
        least = self.settings.fuzzy_min_length
        return any(self._near_miss(word) for word in words if len(word) >= least)

    def _near_miss(self, norm: str) -> str | None:
        """The crisis word that a long word is a near miss of, if any (remembered)."""
        if norm in self._crisis_word_set:
            return None
        if norm not in self._near:
            if len(self._near) > 200_000:
                self._near.clear()
            near = process.extractOne(
                norm,
                self.crisis_words,
                scorer=fuzz.ratio,
                score_cutoff=self.settings.fuzzy_threshold,
            )
            self._near[norm] = near[0] if near is not None else None
        return self._near[norm]

    def _doc(self, text: str) -> Doc:
        return self._annotate(self.nlp.make_doc(text))

    def _annotate(self, doc: Doc) -> Doc:
        """Each token's rule lemma (its normal form if it has none).

        The normal form itself belongs to the word, not the token: the vocabulary
        sets it once, when it first meets the word (see `_pipeline`).
        """
        strings = self.nlp.vocab.strings
        lemmas = self._lemmas
        values = []
        for orth in doc.to_array(ORTH).tolist():
            lemma = lemmas.get(orth)
            if lemma is None:
                lemma = lemmas[orth] = strings.add(self._lemma(self.norm(strings[orth])))
            values.append(lemma)
        if values:
            doc.from_array([LEMMA], numpy.array(values, dtype="uint64"))  # type: ignore[arg-type]
        if len(lemmas) > 500_000:
            lemmas.clear()
        return doc

    def read(self, text: str) -> Doc:
        """The text as tokens with their forms."""
        return self._annotate(self.nlp.make_doc(text))

    def _near_misses(self, doc: Doc) -> dict[int, tuple[str, str]]:
        """Long words that are near misses of a crisis word: position -> (written, read as)."""
        if self.characters or not self.crisis_words:
            return {}
        found: dict[int, tuple[str, str]] = {}
        least = self.settings.fuzzy_min_length
        strings = self.nlp.vocab.strings
        for index, norm_id in enumerate(doc.to_array(NORM).tolist()):
            norm = strings[norm_id]
            if len(norm) >= least:
                near = self._near_miss(norm)
                if near is not None:
                    found[index] = (doc[index].text, near)
        return found

    def hits(self, doc: Doc) -> list[Hit]:
        found: dict[tuple[str, int, int], Hit] = {}
        for match_id, start, end in self._spans(doc):
            rule = self.by_id[self.nlp.vocab.strings[match_id]]
            found[(rule.id, start, end)] = Hit(rule, start, end, doc[start:end].text)
        # Misspelt crisis words are read again on a copy, so that the correction
        # cannot change what any other rule (an idiom, an urgent phrase) sees.
        near = self._near_misses(doc)
        if near:
            corrected = doc.copy()
            for index, (_, read_as) in near.items():
                corrected[index].norm_ = read_as
                corrected[index].lemma_ = self._lemma(read_as)
            for match_id, start, end in self._spans(corrected):
                rule = self.by_id[self.nlp.vocab.strings[match_id]]
                fixed = tuple(near[i] for i in range(start, end) if i in near)
                if rule.level == "crisis" and fixed and (rule.id, start, end) not in found:
                    found[(rule.id, start, end)] = Hit(rule, start, end, doc[start:end].text, fixed)
        return _longest_per_rule(found.values())

    def _spans(self, doc: Doc) -> list[tuple[int, int, int]]:
        strings = self.nlp.vocab.strings
        spans: list[tuple[int, int, int]] = []
        pieces: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self.phrase_matcher(doc):
            key = strings[match_id]
            if key.startswith("piece:"):
                pieces.setdefault(key, []).append((start, end))
            else:
                spans.append((match_id, start, end))
        if pieces:
            gap = self.settings.gap_characters if self.characters else self.settings.gap_words
            for rule_id, keys in self.gapped:
                if all(key in pieces for key in keys):
                    for start, end in _chains(pieces, keys, gap):
                        spans.append((rule_id, start, end))
        if self.patterns:
            norms = doc.to_array(NORM).tolist()
            present = set(norms)
            # Idioms only take matches back: their patterns are read only where a crisis,
            # urgent or signal rule has matched.
            found = any(self.by_id[strings[m_id]].level != "exception" for m_id, _, _ in spans)
            for exception in (False, True):
                for patterns in self.patterns:
                    if patterns.exception == exception and (found or not exception):
                        matches = patterns.find(doc, norms, present)
                        spans += matches
                        found = found or (bool(matches) and not exception)
        return spans


@dataclass
class _Patterns:
    """One rule's staff-written token patterns, and where in a text they can match."""

    exception: bool
    matcher: Matcher
    # For each pattern: the words each required token may be, the surest of those,
    # and the pattern's longest match in tokens. None: read the whole text.
    gates: list[tuple[list[set[int]], set[int], int]] | None

    def find(self, doc: Doc, norms: list[int], present: set[int]) -> list[tuple[int, int, int]]:
        if self.gates is None:
            return list(self.matcher(doc))
        # Every match holds its pattern's surest word, so the windows around those
        # words hold every match; spaCy's Matcher is slow on a whole long text.
        positions: set[int] = set()
        reach = 0
        for required, surest, most in self.gates:
            if all(not words.isdisjoint(present) for words in required):
                positions.update(i for i, norm in enumerate(norms) if norm in surest)
                reach = max(reach, most)
        windows: list[list[int]] = []
        for position in sorted(positions):
            start, end = max(0, position - reach + 1), min(len(doc), position + reach)
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end)
            else:
                windows.append([start, end])
        return [
            (match_id, start + first, end + first)
            for first, last in windows
            for match_id, start, end in self.matcher(doc[first:last])
        ]


def _longest(pattern: tuple[dict[str, Any], ...]) -> int | None:
    """The most tokens a pattern can match, or None if it has no bound ("+", "*")."""
    total = 0
    for token in pattern:
        op = token.get("OP")
        if op in (None, "!", "?", "1"):
            total += 1
        elif isinstance(op, str) and op.startswith("{") and op.endswith("}"):
            bounds = op[1:-1].split(",")
            if bounds[-1].strip() == "":
                return None
            total += int(bounds[-1])
        else:
            return None
    return total


def _chains(
    pieces: dict[str, list[tuple[int, int]]], keys: tuple[str, ...], gap: int
) -> Iterator[tuple[int, int]]:
    """Each way the pieces follow one another, at most `gap` tokens apart."""

    def follow(index: int, after: int) -> Iterator[int]:
        if index == len(keys):
            yield after
            return
        for start, end in pieces[keys[index]]:
            if after <= start <= after + gap:
                yield from follow(index + 1, end)

    for start, end in pieces[keys[0]]:
        for last in follow(1, end):
            yield start, last


_ANCHOR_ATTRS = frozenset({"NORM", "LOWER", "ORTH", "TEXT", "LEMMA"})


def _required(op: object) -> bool:
    """Whether a token pattern's operator makes the token required ("+", "{2}", "{1,3}")."""
    if op is None or op in ("+", "1"):
        return True
    return isinstance(op, str) and op.startswith("{") and op[1:2] not in ("0", ",")


@cache
def _word_runs() -> re.Pattern[str]:
    """A run of letters (with their combining marks: Hindi vowel signs) or of digits."""
    marks = "".join(
        chr(code) for code in range(0x0300, 0x10000) if unicodedata.category(chr(code))[0] == "M"
    )
    return re.compile(rf"(?:[^\W\d_]|[{marks}])+|\d+")


def words_of(text: str) -> frozenset[str]:
    """The words of a text as `may_match` compares them: folded runs of letters or digits.

    Runs joined by marks inside a word ("tirar-me", "l'ami"), with a mark on either
    side, are there too: a tokenizer may keep them as one token, and such a token may
    be a near miss of a crisis word ("tirar-me" of "tirarme").
    """
    runs = _word_runs()
    folded = fold_text(text)
    found = set(runs.findall(folded))
    for chunk in folded.split():
        spans = [match.span() for match in runs.finditer(chunk)]
        if len(spans) == 1 and spans[0] == (0, len(chunk)):
            continue
        for first in range(len(spans)):
            for last in range(first, min(len(spans), first + 4)):
                start, end = spans[first][0], spans[last][1]
                for left in {start, max(0, start - 1)}:
                    found.add(chunk[left:end])
                    found.add(chunk[left : end + 1])
    return frozenset(found)


def _split_words(nlp: Language) -> dict[str, set[str]]:
    """Words that the tokenizer cuts out of a longer run, by that run.

    English "gotta" is read as "got" "ta", "whend" as "when" "d": a text with "gotta"
    has the word "got" for the rules, though not as a run of its own.
    """
    found: dict[str, set[str]] = {}
    rules = getattr(nlp.tokenizer, "rules", None) or {}
    for key, pieces in rules.items():
        runs = set(_word_runs().findall(fold(key)))
        cut = {fold(piece.get(ORTH, "")) for piece in pieces} - runs
        cut = {word for word in cut if _word_runs().fullmatch(word)}
        for run in runs if cut else ():
            found.setdefault(run, set()).update(cut)
    return found


def _longest_per_rule(hits: Iterable[Hit]) -> list[Hit]:
    """Drop a hit contained in a longer hit of the same rule."""
    ordered = sorted(hits, key=lambda h: (h.rule.id, h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in ordered:
        if any(
            k.rule.id == hit.rule.id and k.start <= hit.start and hit.end <= k.end for k in kept
        ):
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.end))


@cache
def _pipeline(language: str) -> Language:
    if language in CHARACTER_LANGUAGES:
        nlp = spacy.blank("xx")
        nlp.tokenizer = CharacterTokenizer(nlp.vocab)
    elif language == "vi":
        # spaCy's Vietnamese tokenizer splits only at spaces without pyvi ("chết." stays
        # one token); the multi-language tokenizer also splits off punctuation.
        nlp = spacy.blank("xx")
    else:
        nlp = spacy.blank(language)
    norm = _character_norm if language in CHARACTER_LANGUAGES else fold
    return word_forms(nlp, norm, LEXEME_ATTRIBUTES)


def word_forms(nlp: Language, norm: Callable[[str], str], keep: frozenset[int]) -> Language:
    """Give every word of `nlp`'s vocabulary `norm` as its normal form (NORM), once.

    The vocabulary sets a word's attributes when it first meets the word, and keeps
    them: matchers compare NORM, and no token needs setting one by one. Each other
    attribute is computed by a Python function for every new word, so only those in
    `keep` (the ones rules may test) are computed at all: a third less work per new word.
    """
    getters = nlp.vocab.lex_attr_getters  # type: ignore[attr-defined]
    for attr in list(getters):
        if attr not in keep:
            del getters[attr]
    getters[NORM] = norm
    for lexeme in nlp.vocab:
        lexeme.norm_ = norm(lexeme.orth_)
    return nlp


def _character_norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _lemma_forms(rules: LanguageRules) -> dict[str, set[str]]:
    """For each word in the rules, the other forms of its lemma (from spacy-lookups-data).

    The full tables are large (up to a million forms), so only the part the rules
    need is kept, and cached on disk until the rules change.
    """
    if rules.language in CHARACTER_LANGUAGES:
        return {}
    # Short words and stop words (pronouns, auxiliaries) keep their own form only:
    # "mich" must not match "dich", nor Spanish "voy" match "va".
    stops = stop_words((rules.language,)).get(rules.language, frozenset())
    words = sorted(
        {
            fold(w)
            for rule in rules.rules
            for phrase in rule.phrases
            for w in phrase.split()
            if w != GAP and len(w) >= 4 and not (len(w) <= 4 and w.lower() in stops)
        }
    )
    digest = hashlib.sha256("\n".join(words).encode()).hexdigest()[:16]
    cache_file = cache_dir() / f"lemmas-v3-{rules.language}-{digest}.json"
    if cache_file.exists():
        data = json.loads(cache_file.read_text(encoding="utf-8"))
        return {word: set(forms) for word, forms in data.items()}
    table = _lookup_table(rules.language)
    forms: dict[str, set[str]] = {}
    if table:
        wanted = {table.get(word, word) for word in words}
        by_lemma: dict[str, set[str]] = {}
        for form, lemma in table.items():
            if lemma in wanted:
                by_lemma.setdefault(lemma, set()).add(fold(form))
        for word in words:
            lemma = table.get(word, word)
            if lemma in by_lemma:
                forms[word] = by_lemma[lemma] | {word, lemma}  # the dictionary form too
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        cache_file.write_text(
            json.dumps({w: sorted(f) for w, f in forms.items()}), encoding="utf-8"
        )
    except OSError:
        pass  # a read-only home: the table is rebuilt next time
    return forms


def _lookup_table(language: str) -> dict[str, str]:
    try:
        import spacy_lookups_data
    except ImportError:
        return {}
    folder = Path(spacy_lookups_data.__file__).parent / "data"
    table: dict[str, str] = {}
    for path in sorted(folder.glob(f"{language}_lemma_lookup*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for form, lemma in json.load(handle).items():
                if isinstance(lemma, list):  # French and Catalan list the lemmas
                    lemma = lemma[0] if lemma else None
                if isinstance(lemma, str):
                    table.setdefault(fold(form), fold(lemma))
    return table
