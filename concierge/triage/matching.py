"""spaCy does the reading: tokens, normal forms, lemmas, and the matching itself.

One blank pipeline per language (no model is downloaded, ever). Words are compared
by their normal form: lower case, accents removed, and a long word that is a near
miss of a crisis word (a misspelling) takes that word's form. Where spaCy's lookup
tables (spacy-lookups-data) know the language, each word of a rule also matches the
other forms of the same lemma. Chinese, Japanese, Thai and Korean are read character
by character, so that a phrase matches wherever it stands, with or without spaces.

Phrases without gaps go to a PhraseMatcher; phrases with `...` gaps, lemma forms and
staff-written token patterns go to a Matcher.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import spacy
from rapidfuzz import fuzz, process
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from concierge.triage.rules import LanguageRules, Rule, RulesError, Settings
from concierge.triage.words import cache_dir, stop_words

CHARACTER_LANGUAGES = frozenset({"zh", "ja", "th", "ko"})
GAP = "..."


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower case without accents: the form words are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


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
        return Doc(self.vocab, words=chars or [""], spaces=spaces or [False])


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
        self.crisis_words = sorted(
            {
                word
                for rule in rules.of_level("crisis")
                for phrase in rule.phrases
                for word in self._norms(phrase)
                if len(word) >= settings.fuzzy_min_length and word != GAP
            }
        )
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.matcher = Matcher(self.nlp.vocab)
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
        return unicodedata.normalize("NFKC", text).lower() if self.characters else fold(text)

    def _add(self, rule: Rule) -> None:
        plain, patterns = [], []
        for phrase in rule.phrases:
            words = [part.strip() for part in phrase.split(GAP)]
            if len(words) == 1:
                plain.append(self._doc(phrase))
            else:
                patterns.append(self._pattern(words))
        if plain:
            self.phrase_matcher.add(rule.id, plain)
        patterns.extend(list(p) for p in rule.patterns)
        if patterns:
            try:
                self.matcher.add(rule.id, patterns)
            except ValueError as error:  # spaCy's own check of a token pattern
                problem = " ".join(str(error).split())[:300]
                raise RulesError(f"{rule.source}: rule {rule.id}: bad pattern: {problem}") from None

    def _doc(self, text: str) -> Doc:
        return self._annotate(self.nlp.make_doc(text))

    def _annotate(self, doc: Doc) -> Doc:
        """Each token's normal form, and its rule lemma (the normal form if it has none)."""
        for token in doc:
            norm = self.norm(token.text)
            token.norm_ = norm
            token.lemma_ = self.lemma_of.get(norm, norm) or norm or " "
        return doc

    def _pattern(self, pieces: list[str]) -> list[dict[str, Any]]:
        gap = self.settings.gap_characters if self.characters else self.settings.gap_words
        pattern: list[dict[str, Any]] = []
        for index, piece in enumerate(pieces):
            if index:
                pattern.extend({"OP": "?"} for _ in range(gap))
            for norm in self._norms(piece):
                pattern.append({"LEMMA": self.lemma_of.get(norm, norm) or norm or " "})
        return pattern

    def read(self, text: str) -> Doc:
        doc = self._annotate(self.nlp(text))
        doc.user_data["norms"] = [token.norm_ for token in doc]
        return doc

    def _near_misses(self, doc: Doc) -> dict[int, tuple[str, str]]:
        """Long words that are near misses of a crisis word: position -> (written, read as)."""
        if self.characters or not self.crisis_words:
            return {}
        known = set(self.crisis_words)
        found: dict[int, tuple[str, str]] = {}
        for token in doc:
            norm = token.norm_
            if len(norm) < self.settings.fuzzy_min_length or norm in known:
                continue
            near = process.extractOne(
                norm,
                self.crisis_words,
                scorer=fuzz.ratio,
                score_cutoff=self.settings.fuzzy_threshold,
            )
            if near is not None:
                found[token.i] = (token.text, near[0])
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
                corrected[index].lemma_ = self.lemma_of.get(read_as, read_as)
            for match_id, start, end in self._spans(corrected):
                rule = self.by_id[self.nlp.vocab.strings[match_id]]
                fixed = tuple(near[i] for i in range(start, end) if i in near)
                if rule.level == "crisis" and fixed and (rule.id, start, end) not in found:
                    found[(rule.id, start, end)] = Hit(rule, start, end, doc[start:end].text, fixed)
        return _longest_per_rule(found.values())

    def _spans(self, doc: Doc) -> list[tuple[int, int, int]]:
        spans: list[tuple[int, int, int]] = []
        if len(self.phrase_matcher):
            spans += [(m_id, s, e) for m_id, s, e in self.phrase_matcher(doc)]
        if len(self.matcher):
            spans += [(m_id, s, e) for m_id, s, e in self.matcher(doc)]
        return spans


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
    nlp.add_pipe("sentencizer")
    return nlp


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
