"""spaCy's stop-word lists for the supported languages, cached on disk.

Importing spaCy's 28 language packages to read their lists takes seconds; the lists
only change with spaCy, so they are read once per spaCy version and kept.
"""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from pathlib import Path

from spacy.about import __version__ as spacy_version


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "concierge"


@cache
def stop_words(languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    path = cache_dir() / f"stop-words-{spacy_version}-{'-'.join(languages)}.json"
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {language: frozenset(words) for language, words in data.items()}
        except (OSError, ValueError):
            pass
    found: dict[str, list[str]] = {}
    for language in languages:
        try:
            module = importlib.import_module(f"spacy.lang.{language}.stop_words")
        except ImportError:
            found[language] = []
            continue
        found[language] = sorted(word.lower() for word in module.STOP_WORDS)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass  # a read-only home: read again next time
    return {language: frozenset(words) for language, words in found.items()}
