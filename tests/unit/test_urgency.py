"""The rule engine's behaviour, on a small rule book written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from concierge.triage.rules import RulesError, load_rules, missing_languages
from concierge.triage.urgency import UrgencyClassifier

BOOK = {
    "shared.yaml": "gap_words: 3\nquote_marks: ['\"\"', '“”']\n",
    "en.yaml": """
language: en
crisis:
  - id: en.crisis.suicidal
    phrases: [suicidal]
    negatable: true
  - id: en.crisis.die
    phrases: [want to die, don't want to live, end ... life]
  - id: en.crisis.attempt
    phrases: [tried to kill myself]
    past_resolves: true
  - id: en.crisis.other
    phrases: [sent goodbye texts]
urgent:
  - id: en.urgent.panic
    phrases: [panic attack]
exceptions:
  - id: en.except.killing
    phrases: [is killing me, dying to]
negation: [not, never]
past: [years ago]
song: [song, single]
""",
    "pt.yaml": """
language: pt
crisis:
  - id: pt.crisis.morrer
    phrases: [quero morrer, não quero viver]
exceptions:
  - id: pt.except.rir
    phrases: [morrer de rir]
""",
    "ja.yaml": """
language: ja
crisis:
  - id: ja.crisis.kieru
    phrases: [死にたい, 消えたい]
""",
}


@pytest.fixture
def classifier(tmp_path: Path) -> UrgencyClassifier:
    for name, text in BOOK.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return UrgencyClassifier(load_rules(tmp_path))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I don't want to live anymore.", "crisis"),  # a negation word, but not negatable
        ("I'm not suicidal, just exhausted.", "routine"),  # this rule is negatable
        ("I feel suicidal tonight.", "crisis"),
        ("This tour is killing me.", "routine"),
        ('Our new single is called "I want to die".', "routine"),
        ("I want to die. Our song is about grief.", "crisis"),  # not in quotes
        ("Ten years ago I tried to kill myself.", "urgent"),  # a resolved past is lowered
        ("I tried to kill myself last night.", "crisis"),
        ("My bassist sent goodbye texts.", "crisis"),
        ("I had a panic attack before the show.", "urgent"),
        ("I want to end it, my whole life.", "routine"),
        ("I want to end my whole life.", "crisis"),  # "..." skips up to three words
        ("I've been feeling suicdal.", "crisis"),  # a near miss of a crisis word
        ("Can you recommend a therapist in Lisbon?", "routine"),
    ],
)
def test_english(classifier: UrgencyClassifier, text: str, level: str) -> None:
    assert classifier.classify(text, ["en"]).level == level


def test_crisis_wins_over_urgent_and_keeps_all_evidence(classifier: UrgencyClassifier) -> None:
    result = classifier.classify("Panic attack again. I want to die. This is killing me.", ["en"])
    assert result.level == "crisis"
    assert [(r.rule, r.effect) for r in result.reasons] == [
        ("en.crisis.die", "crisis"),
        ("en.urgent.panic", "urgent"),
    ]
    assert result.reasons[0].text == "want to die"


def test_accents_case_and_lemmas(classifier: UrgencyClassifier) -> None:
    assert classifier.classify("NAO QUERO VIVER", ["pt"]).level == "crisis"
    assert classifier.classify("Eu não queria viver.", ["pt"]).level == "crisis"  # querer
    assert classifier.classify("Vou morrer de rir com isto", ["pt"]).level == "routine"


def test_characters_languages_match_inside_words(classifier: UrgencyClassifier) -> None:
    assert classifier.classify("もう 死に たい です", ["ja"]).level == "crisis"
    assert classifier.classify("死にたくない", ["ja"]).level == "routine"


def test_an_idiom_cancels_only_what_it_covers(classifier: UrgencyClassifier) -> None:
    result = classifier.classify("I'm dying to see you. I want to die.", ["en"])
    assert result.level == "crisis"


def test_missing_languages_are_reported(tmp_path: Path) -> None:
    for name, text in BOOK.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    missing = missing_languages(load_rules(tmp_path))
    assert "de" in missing and "en" not in missing and "ja" not in missing


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("language: en\ncrisis:\n  - id: x\n    phrases: [a\n", r"en.yaml:\d+: not valid YAML"),
        ("language: en\ncrisis:\n  - phrases: [x]\n", "every rule needs an id"),
        (
            "language: en\ncrisis:\n  - id: a\n    phrase: [x]\n",
            r"en.yaml:3: rule a: unknown key 'phrase'",
        ),
        ("language: en\nnegation: [not, no]\n", "put words such as no, yes, on, off in quotes"),
        ("language: de\n", "the file is named for 'en'"),
        ("language: en\ncrisis:\n  - id: a\n    phrases: [... x]\n", "cannot start or end with"),
        (
            "language: en\ncrisis:\n  - id: a\n    phrases: [x]\n"
            "urgent:\n  - id: a\n    phrases: [y]\n",
            "rule id 'a' is already used",
        ),
    ],
)
def test_bad_rule_files_name_the_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "en.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=problem):
        load_rules(tmp_path)
