from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from concierge.directory.lookup import lookup
from concierge.directory.records import ResourceRecord, record_from_mapping

TODAY = dt.date(2026, 11, 24)


def resource(name: str, **fields: Any) -> ResourceRecord:
    row = {
        "kind": "crisis_line",
        "name": name,
        "source_url": "https://example.org/source",
        "verified_on": "2026-10-01",
        **fields,
    }
    return record_from_mapping(row, today=TODAY)


DIRECTORY = [
    resource("Emergency PT", country="PT", kind="emergency", phone="112"),
    resource("Linha PT", country="PT", phone="1411", languages="pt"),
    resource("English line PT", country="PT", phone="808 200 204", languages="en"),
    resource("Old line PT", country="PT", phone="213 544 545", verified_on="2020-01-01"),
    resource("Europe-wide", region="europe"),
    resource("Find A Helpline", url="https://findahelpline.com/"),
    resource("Local emergency number", kind="emergency", url="https://example.org/112"),
    resource("MusiCares", country="US", kind="music_industry"),
    resource("Therapy grants", country="US", kind="program", topics="therapy_costs"),
    resource("Mind The Music", kind="program", topics="touring"),
    resource(
        "Festival day 2025",
        kind="program",
        topics="festivals",
        starts_on="2025-06-01",
        ends_on="2025-06-02",
    ),
    resource(
        "Festival day 2027",
        kind="program",
        topics="festivals",
        starts_on="2027-06-01",
        ends_on="2027-06-02",
        location="Lisbon",
    ),
    resource("Retired line", country="PT", active="false"),
]


def names(country: str | None, **kw: Any) -> list[str]:
    answer = lookup(DIRECTORY, country, today=TODAY, **kw)
    return [match.name for match in answer.matches]


def test_crisis_puts_the_emergency_number_then_lines_in_the_senders_language_first() -> None:
    assert names("PT", language="en", urgency="crisis") == [
        "Emergency PT",
        "English line PT",
        "Linha PT",
        "Old line PT",
    ]
    assert names("PT", language="pt", urgency="crisis")[:2] == ["Emergency PT", "Linha PT"]


def test_unverified_resources_rank_last_and_are_marked_stale() -> None:
    answer = lookup(DIRECTORY, "PT", "pt", "crisis", today=TODAY)
    stale = {match.name: match.stale for match in answer.matches}
    assert stale["Old line PT"] is True
    assert stale["Linha PT"] is False


def test_a_country_without_lines_falls_back_to_its_region() -> None:
    answer = lookup(DIRECTORY, "ES", "es", "crisis", today=TODAY)
    assert [(m.name, m.level) for m in answer.matches] == [
        ("Local emergency number", "international"),
        ("Europe-wide", "region"),
    ]


def test_a_country_outside_any_region_falls_back_to_the_international_directories() -> None:
    assert names("JP", urgency="crisis") == ["Local emergency number", "Find A Helpline"]


def test_unknown_country_is_never_an_empty_answer() -> None:
    answer = lookup(DIRECTORY, None, "en", "crisis", today=TODAY)
    assert [m.name for m in answer.matches] == ["Local emergency number", "Find A Helpline"]
    assert answer.fallback == "international"


def test_programs_come_by_topic_and_only_where_they_apply() -> None:
    assert "Therapy grants" in names("US", topics=["therapy_costs"])
    assert "Therapy grants" not in names("PT", topics=["therapy_costs"])
    assert "Therapy grants" not in names("US")
    assert "Mind The Music" in names("PT", topics=["touring"])


def test_past_events_and_inactive_resources_are_left_out() -> None:
    found = names("PT", topics=["festivals"])
    assert "Festival day 2027" in found
    assert "Festival day 2025" not in found
    assert "Retired line" not in names("PT", urgency="crisis")


def test_unknown_urgency_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown urgency 'panic'"):
        lookup(DIRECTORY, "PT", urgency="panic")
