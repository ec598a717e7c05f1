"""What a message is about, for the reply's offers: touring, therapy costs, ...

The phrases are data in `rules/<language>.yaml` under `topics:`, next to the urgency
rules, so staff edit both in one place. A phrase matches whole words of the folded
text (lower case, no accents); a `*` at its end allows any ending ("festival*").
Languages written without spaces (zh, ja, th, ko) match anywhere.
"""

from __future__ import annotations

import re
from functools import cache

from concierge.triage.matching import CHARACTER_LANGUAGES, fold_text
from concierge.triage.rules import TOPICS, RuleBook, load_rules

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


def _fold(text: str) -> str:
    return fold_text(text).translate(_APOSTROPHES)


@cache
def _book() -> RuleBook:
    return load_rules()


@cache
def _patterns(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    rules = _book().languages.get(language)
    if rules is None:
        return ()
    found = []
    bounded = language not in CHARACTER_LANGUAGES
    for topic, phrases in rules.topics.items():
        parts = []
        for phrase in phrases:
            stem = phrase.rstrip("*")
            part = r"\s+".join(re.escape(word) for word in _fold(stem).split())
            if phrase.endswith("*"):
                part += r"\w*"
            parts.append(part)
        if parts:
            body = "|".join(parts)
            pattern = rf"(?<!\w)(?:{body})(?!\w)" if bounded else f"(?:{body})"
            found.append((topic, re.compile(pattern)))
    return tuple(found)


def find_topics(text: str, language: str | None) -> tuple[str, ...]:
    """The topics a text touches, in the order of TOPICS; read in its language and English."""
    folded = _fold(text)
    found: set[str] = set()
    for code in dict.fromkeys((language or "en", "en")):
        for topic, pattern in _patterns(code):
            if topic not in found and pattern.search(folded):
                found.add(topic)
    return tuple(topic for topic in TOPICS if topic in found)
