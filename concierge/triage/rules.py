"""The urgency rules in `rules/`: loaded, checked, and explained when they are wrong.

Errors name the file and the line, so the person who edited a rule can fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from concierge import paths
from concierge.errors import ConciergeError
from concierge.triage.language import SUPPORTED

LEVELS = ("crisis", "urgent")
_RULE_KEYS = {"id", "description", "phrases", "patterns", "negatable", "past_resolves", "kind"}
_FILE_KEYS = {
    "language", "crisis", "urgent", "signals", "exceptions", "negation", "negation_follows", "past",
    "song", "general", "topics",
}  # fmt: skip
# What a message may be about, for the reply's offers (db/seed/programs.yaml's topics).
TOPICS = ("therapy_costs", "touring", "songwriting", "festivals")
# Warning signs: one alone decides nothing; two of different kinds in one message are
# a crisis (a farewell and a means; belongings given away and "I won't need it").
SIGNAL_KINDS = ("means", "farewell", "giving_away", "hopeless", "plan", "unreachable")


class RulesError(ConciergeError):
    """A rules file cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Rule:
    id: str
    level: str  # crisis | urgent | signal | exception
    phrases: tuple[str, ...]
    patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    description: str = ""
    negatable: bool = False
    past_resolves: bool = False
    kind: str = ""  # a signal's kind, one of SIGNAL_KINDS
    source: str = ""  # file:line, for messages


@dataclass(frozen=True)
class LanguageRules:
    language: str
    rules: tuple[Rule, ...]
    negation: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    song: tuple[str, ...] = ()
    general: tuple[str, ...] = ()
    negation_follows: bool = False
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)  # topic -> phrases

    def of_level(self, level: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.level == level]


@dataclass(frozen=True)
class Settings:
    gap_words: int = 3
    gap_characters: int = 6
    fuzzy_threshold: int = 88
    fuzzy_min_length: int = 6
    negation_window: int = 3
    signals_for_crisis: int = 2  # warning signs of this many kinds make a crisis
    quote_marks: tuple[tuple[str, str], ...] = (('"', '"'), ("“", "”"), ("«", "»"), ("„", "“"))


@dataclass(frozen=True)
class RuleBook:
    settings: Settings
    languages: dict[str, LanguageRules] = field(default_factory=dict)


def load_rules(folder: Path | None = None) -> RuleBook:
    folder = folder or paths.project_dir("rules")
    settings = _settings(folder / "shared.yaml")
    languages: dict[str, LanguageRules] = {}
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "shared.yaml":
            continue
        rules = _language_file(path)
        for rule in rules.rules:
            if rule.id in seen:
                raise RulesError(
                    f"{rule.source}: rule id {rule.id!r} is already used at {seen[rule.id]}"
                )
            seen[rule.id] = rule.source
        languages[rules.language] = rules
    return RuleBook(settings, languages)


def missing_languages(book: RuleBook) -> list[str]:
    return [
        code
        for code in SUPPORTED
        if not book.languages.get(code, None) or not book.languages[code].of_level("crisis")
    ]


def _settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    data = _yaml(path)
    if not isinstance(data, dict):
        raise RulesError(f"{path}: expected a mapping of settings")
    marks = data.get("quote_marks")
    values: dict[str, Any] = {}
    for key in (
        "gap_words",
        "gap_characters",
        "fuzzy_threshold",
        "fuzzy_min_length",
        "negation_window",
        "signals_for_crisis",
    ):
        if key in data:
            if not isinstance(data[key], int) or data[key] < 0:
                raise RulesError(f"{path}: {key} must be a whole number, got {data[key]!r}")
            values[key] = data[key]
    if marks is not None:
        if not all(isinstance(pair, str) and len(pair) == 2 for pair in marks):
            raise RulesError(f"{path}: quote_marks must be two-character strings such as '«»'")
        values["quote_marks"] = tuple((pair[0], pair[1]) for pair in marks)
    unknown = set(data) - set(Settings.__dataclass_fields__)
    if unknown:
        raise RulesError(f"{path}: unknown setting {sorted(unknown)[0]!r}")
    return Settings(**values)


def _language_file(path: Path) -> LanguageRules:
    data = _yaml(path)
    if not isinstance(data, dict):
        raise RulesError(f"{path}: expected a mapping with language, crisis, urgent, ...")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise RulesError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    language = data.get("language")
    if language != path.stem:
        raise RulesError(
            f"{path}: language is {language!r}, but the file is named for {path.stem!r}"
        )
    if language not in SUPPORTED:
        raise RulesError(f"{path}: language {language!r} is not supported")
    lines = _line_numbers(path)
    rules: list[Rule] = []
    levels = (("crisis", "crisis"), ("urgent", "urgent"), ("signal", "signals"))
    for level, key in (*levels, ("exception", "exceptions")):
        entries = data.get(key) or []
        if not isinstance(entries, list):
            raise RulesError(f"{path}: {key} must be a list of rules")
        for entry in entries:
            rules.append(_rule(entry, level, path, lines))
    return LanguageRules(
        language=language,
        rules=tuple(rules),
        negation=_words(data, "negation", path),
        past=_words(data, "past", path),
        song=_words(data, "song", path),
        general=_words(data, "general", path),
        negation_follows=bool(data.get("negation_follows", False)),
        topics=_topics(data, path),
    )


def _topics(data: dict[str, Any], path: Path) -> dict[str, tuple[str, ...]]:
    """`topics: {touring: [tour, on the road, ...], ...}`; a phrase may end in * (any ending)."""
    topics = data.get("topics") or {}
    if not isinstance(topics, dict):
        raise RulesError(f"{path}: topics must map each topic to a list of phrases")
    unknown = set(topics) - set(TOPICS)
    if unknown:
        raise RulesError(
            f"{path}: unknown topic {sorted(unknown)[0]!r} (topics are {', '.join(TOPICS)})"
        )
    return {topic: _words(topics, topic, path) for topic in topics}


def _rule(entry: Any, level: str, path: Path, lines: dict[str, int]) -> Rule:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise RulesError(f"{path}: every rule needs an id (a rule without one is near {level})")
    rule_id = entry["id"]
    where = f"{path}:{lines.get(rule_id, 0)}"
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise RulesError(f"{where}: rule {rule_id}: unknown key {sorted(unknown)[0]!r}")
    phrases = entry.get("phrases") or []
    patterns = entry.get("patterns") or []
    if isinstance(phrases, list) and any(isinstance(p, bool) for p in phrases):
        raise RulesError(f"{where}: rule {rule_id}: a phrase is true/false{_YAML_BOOLEAN_HINT}")
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise RulesError(f"{where}: rule {rule_id}: phrases must be a list of non-empty text")
    if not isinstance(patterns, list) or not all(
        isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in patterns
    ):
        raise RulesError(f"{where}: rule {rule_id}: patterns must be lists of token patterns")
    if not phrases and not patterns:
        raise RulesError(f"{where}: rule {rule_id}: no phrases and no patterns")
    for pattern in patterns:
        for token in pattern:
            unknown = {key.upper() for key in token} - PATTERN_ATTRIBUTES
            if unknown:
                raise RulesError(
                    f"{where}: rule {rule_id}: a pattern uses {sorted(unknown)[0]}; patterns"
                    f" may use {', '.join(sorted(PATTERN_ATTRIBUTES))}"
                )
            if _wide_wildcard(token):
                raise RulesError(
                    f"{where}: rule {rule_id}: a pattern skips any number of words"
                    f" ({token}): at most {MAX_WILDCARD} (OP: '{{0,{MAX_WILDCARD}}}'), or use"
                    " `...` in a phrase, or signals"
                )
    kind = entry.get("kind", "")
    if level == "signal" and kind not in SIGNAL_KINDS:
        raise RulesError(
            f"{where}: rule {rule_id}: a signal needs a kind, one of {', '.join(SIGNAL_KINDS)}"
            f" (got {kind!r})"
        )
    if level != "signal" and kind:
        raise RulesError(f"{where}: rule {rule_id}: only signals have a kind")
    for phrase in phrases:
        if phrase.strip().startswith("...") or phrase.strip().endswith("..."):
            raise RulesError(
                f"{where}: rule {rule_id}: phrase {phrase!r} cannot start or end with ..."
            )
    return Rule(
        id=rule_id,
        level=level,
        phrases=tuple(p.strip() for p in phrases),
        patterns=tuple(tuple(p) for p in patterns),
        description=str(entry.get("description", "")),
        negatable=bool(entry.get("negatable", False)),
        past_resolves=bool(entry.get("past_resolves", False)),
        kind=str(kind),
        source=where,
    )


# What a token in a staff-written pattern may test. Of the attributes words carry in
# spaCy, only these are computed (the others cost time on every new word).
LEXEME_PATTERN_ATTRIBUTES = frozenset(
    {"LOWER", "IS_ALPHA", "IS_PUNCT", "IS_DIGIT", "LIKE_NUM", "IS_UPPER", "IS_TITLE"}
)
PATTERN_ATTRIBUTES = LEXEME_PATTERN_ATTRIBUTES | {
    "ORTH", "TEXT", "NORM", "LEMMA", "LENGTH", "SPACY", "IS_SENT_START", "OP",
}  # fmt: skip
MAX_WILDCARD = 6  # words a pattern may skip at one place; more makes spaCy's Matcher crawl


def _wide_wildcard(token: dict[str, Any]) -> bool:
    """A token that matches any word, repeated without a small bound."""
    if set(token) - {"OP"}:
        return False
    op = str(token.get("OP", ""))
    if op in ("*", "+") or (op.startswith("{") and op.endswith(",}")):
        return True
    if op.startswith("{") and op.endswith("}"):
        return int(op[1:-1].split(",")[-1] or 0) > MAX_WILDCARD
    return False


_YAML_BOOLEAN_HINT = (
    "; put words such as no, yes, on, off in quotes ('no'): YAML reads them as true or false"
)


def _words(data: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    words = data.get(key) or []
    if isinstance(words, list) and any(isinstance(w, bool) for w in words):
        raise RulesError(f"{path}: {key} has a true/false value{_YAML_BOOLEAN_HINT}")
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise RulesError(f"{path}: {key} must be a list of words")
    return tuple(w.strip() for w in words)


# libyaml's parser where PyYAML has it (its wheels do): ten times faster on 20,000 phrases.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise RulesError(
            f"{path}{where}: not valid YAML: {getattr(error, 'problem', error)}"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(f"{path}: cannot read: {error}") from None


def _line_numbers(path: Path) -> dict[str, int]:
    """The line of each `id:`, so that messages can point at the rule."""
    found: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip().lstrip("-").strip()
        if stripped.startswith("id:"):
            found.setdefault(stripped[3:].strip().strip("'\""), number)
    return found
