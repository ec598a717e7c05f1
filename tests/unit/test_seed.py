"""The shipped directory: sourced, dated, and covering the countries it must."""

from __future__ import annotations

import datetime as dt

import pytest

from concierge.directory.lookup import lookup
from concierge.directory.phones import regions_with_emergency_numbers
from concierge.directory.records import country_codes
from concierge.directory.seed import load_seed

# The 30 largest recorded-music markets (IFPI Global Music Report, 2023 and 2024
# editions together) and a few that move in and out of that list.
TOP_MARKETS = [
    *("US", "JP", "GB", "DE", "CN", "FR", "KR", "CA", "BR", "AU", "IT", "NL", "ES", "MX"),
    *("SE", "IN", "PL", "CH", "AT", "BE", "NO", "DK", "AR", "CO", "ZA", "CL", "PT", "ID"),
    *("PH", "PE", "NZ", "IE", "TW", "FI", "RU"),
]


@pytest.fixture(scope="module")
def seed() -> list:
    return load_seed()


def test_crisis_lines_cover_at_least_60_countries_and_every_top_market(seed: list) -> None:
    countries = {r.country for r in seed if r.kind == "crisis_line" and r.country}
    assert len(countries) >= 60
    assert sorted(set(TOP_MARKETS) - countries) == []


def test_every_resource_has_a_source_and_a_verification_date(seed: list) -> None:
    for record in seed:
        assert record.source_url.startswith(("https://", "http://")), record.key
        assert record.verified_on <= dt.date.today(), record.key


def test_every_region_libphonenumber_knows_has_its_emergency_number(seed: list) -> None:
    emergency = {r.country for r in seed if r.kind == "emergency" and r.country}
    expected = {region for region in regions_with_emergency_numbers() if region in country_codes()}
    assert emergency == expected
    assert len(emergency) >= 230


def test_known_corrections_of_the_open_helplines_data_are_applied(seed: list) -> None:
    by_key = {r.key: r for r in seed}
    assert "us-988-lifeline" not in by_key  # its 1-800 number was replaced by 988
    us = lookup(seed, "US", "en", "crisis")
    phones = [c.value for m in us.matches for c in m.record.contacts_of("phone")]
    assert phones[:2] == ["911", "112"]
    assert "988" in phones
    assert "+1 800-273-8255" not in phones
    fr = lookup(seed, "FR", "fr", "crisis")
    assert "3114" in [c.value for m in fr.matches for c in m.record.contacts]


def test_the_nonprofits_programs_are_in_the_directory(seed: list) -> None:
    programs = {r.key: r for r in seed if r.kind == "program"}
    assert programs["us-therapy-grants"].country == "US"
    assert programs["us-therapy-grants"].eligibility
    assert {"touring", "therapy_costs", "songwriting", "festivals"} <= {
        topic for r in programs.values() for topic in r.topics
    }


@pytest.mark.parametrize("country", TOP_MARKETS)
def test_a_crisis_answer_names_a_local_line_and_emergency_number(seed: list, country: str) -> None:
    answer = lookup(seed, country, None, "crisis")
    kinds = [(m.record.kind, m.level) for m in answer.matches]
    assert kinds[0] == ("emergency", "country")
    assert ("crisis_line", "country") in kinds
