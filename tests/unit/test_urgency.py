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
  - id: en.crisis.pattern
    patterns: [[{LOWER: alone}, {NORM: forever, OP: "?"}, {NORM: tonight}]]
urgent:
  - id: en.urgent.panic
    phrases: [panic attack]
signals:
  - id: en.signal.means
    kind: means
    phrases: [my gun, saved up ... pills]
  - id: en.signal.farewell
    kind: farewell
    phrases: [thanks for everything, sorry for the mess]
  - id: en.signal.giving_away
    kind: giving_away
    phrases: [gave my guitars to]
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
    phrases: [quero morrer, não quero viver, vou matarme]
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
        ("Ten years ago I tried to kill myself.", "routine"),  # history, told as over
        ("Ten years ago I tried to kill myself. I've saved up pills again.", "crisis"),
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


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Thanks for everything, you were great at the festival.", "routine"),
        ("I keep my gun in the van.", "routine"),
        ("Thanks for everything. Sorry for the mess.", "routine"),  # two of one kind
        ("Thanks for everything. I've saved up enough pills now.", "crisis"),
        ("I gave my guitars to my nephew. Sorry for the mess.", "crisis"),
    ],
)
def test_warning_signs_of_two_kinds_make_a_crisis(
    classifier: UrgencyClassifier, text: str, level: str
) -> None:
    result = classifier.classify(text, ["en"])
    assert result.level == level
    if level == "crisis":
        assert {r.level for r in result.reasons} == {"signal"}
        assert all("+" in r.kind for r in result.reasons)


def test_a_signal_needs_a_known_kind(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text(
        "language: en\nsignals:\n  - id: s\n    kind: mood\n    phrases: [x]\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError, match=r"en.yaml:3: rule s: a signal needs a kind"):
        load_rules(tmp_path)


def test_staff_patterns_match(classifier: UrgencyClassifier) -> None:
    assert classifier.classify("I'll be ALONE tonight", ["en"]).level == "crisis"
    assert classifier.classify("alone forever tonight", ["en"]).level == "crisis"
    assert classifier.classify("alone today", ["en"]).level == "routine"


def test_the_prefilter_never_changes_a_verdict(classifier: UrgencyClassifier) -> None:
    """A language's rules are skipped only where none of them could match."""
    texts = [
        "Nothing here but a question about grants.",
        "I feel suicdal and ALONE tonight",
        "vou matar-me hoje",  # a near miss only as one token: the prefilter must see it
        "Thanks for everything. I've saved up all my pills.",
        "quero morrer",
        "Eu não queria viver.",
        "もう死にたい",
    ]
    for text in texts:
        for languages in (["en"], ["pt", "en"], ["ja", "en"]):
            found = classifier.classify(text, languages)
            matchers = [classifier.matcher(language) for language in languages]
            for matcher in matchers:
                assert matcher is not None
                matcher.anchors = None  # read everything
            assert classifier.classify(text, languages) == found, (text, languages)
            classifier._matchers.clear()


def test_words_cut_out_of_longer_ones_count_for_the_prefilter(
    classifier: UrgencyClassifier,
) -> None:
    matcher = classifier.matcher("en")
    assert matcher is not None
    assert "got" in matcher.splits["gotta"]  # English reads "gotta" as "got" "ta"
    matcher.anchors = {"got"}
    assert matcher.may_match(frozenset({"i", "gotta", "go"}))
    assert not matcher.may_match(frozenset({"i", "have", "to", "go"}))


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
    # a near miss that is one token ("matar-me") but not any of its parts
    assert classifier.classify("vou matar-me hoje", ["pt", "en"]).level == "crisis"


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
            "language: en\ncrisis:\n  - id: a\n    patterns: [[{SHAPE: Xxx}]]\n",
            r"en.yaml:3: rule a: a pattern uses SHAPE; patterns may use",
        ),
        (
            "language: en\ncrisis:\n  - id: a\n    patterns: [[{NORM: x}, {OP: '{0,20}'}]]\n",
            r"en.yaml:3: rule a: a pattern skips any number of words",
        ),
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
