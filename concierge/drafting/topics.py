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
from concierge.triage.rules import TOPICS
from concierge.triage.urgency import default_classifier

# A letter, for word edges: \w lacks the vowel signs of Indic scripts (Devanagari's
# are marks), so "मैनिफ़ेस्टो" would contain a word "फ़ेस्ट".
_LETTER = r"[\w\u0900-\u0dff]"
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


def _fold(text: str) -> str:
    return fold_text(text).translate(_APOSTROPHES)


@cache
def _patterns(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    # The rule book triage already loaded: the topics stand in the same files.
    rules = default_classifier().book.languages.get(language)
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
            pattern = rf"(?<!{_LETTER})(?:{body})(?!{_LETTER})" if bounded else f"(?:{body})"
            found.append((topic, re.compile(pattern)))
    return tuple(found)


def find_topics(text: str, language: str | None) -> tuple[str, ...]:
    """The topics a text touches, in the order of TOPICS, read in the text's language.

    English phrases are read only in English (or undetermined) text: "tour" is a walk
    in French and a sightseeing trip in Italian.
    """
    folded = _fold(text)
    found: set[str] = set()
    for code in (language,) if language and language != "und" else ("en",):
        for topic, pattern in _patterns(code):
            if topic not in found and pattern.search(folded):
                found.add(topic)
    return tuple(topic for topic in TOPICS if topic in found)
