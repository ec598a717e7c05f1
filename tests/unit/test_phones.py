from __future__ import annotations

import phonenumbers
import pytest

from concierge.directory.phones import (
    emergency_numbers,
    normalize_phone,
    regions_with_emergency_numbers,
)


@pytest.mark.parametrize(
    ("raw", "country", "shown"),
    [
        ("988", "US", "988"),
        ("116 123", "GB", "116 123"),
        ("+44 116 123", "GB", "116 123"),
        ("0800 1110 111", "DE", "+49 800 1110111"),
        ("024", "ES", "024"),
        ("188", "BR", "188"),  # a crisis line libphonenumber's short-number data lacks
        ("*4141", "CL", "*4141"),
        ("+44 20 7946 0000", None, "+44 20 7946 0000"),
    ],
)
def test_valid_numbers_are_shown_as_dialled(raw: str, country: str | None, shown: str) -> None:
    assert normalize_phone(raw, country) == shown


@pytest.mark.parametrize(
    ("raw", "country", "problem"),
    [
        ("call us", "GB", "malformed phone number"),
        ("12", "GB", "not a valid number in GB"),
        ("1234567", "GB", "not a valid number in GB"),
        ("+33333114", "FR", "not a valid number in FR"),  # 3114 with its prefix doubled
        ("116123", None, "malformed"),  # a short code has no meaning without a country
    ],
)
def test_bad_numbers_are_refused_with_the_reason(
    raw: str, country: str | None, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        normalize_phone(raw, country)


def test_emergency_numbers_come_from_the_metadata_with_the_known_one_first() -> None:
    assert emergency_numbers("US")[0] == "911"
    assert emergency_numbers("GB")[0] == "999"
    assert emergency_numbers("AU")[0] == "000"
    assert emergency_numbers("DE")[0] == "112"
    assert set(emergency_numbers("JP")) == {"110", "119"}
    for region in ("FR", "IN", "BR", "KR"):
        for number in emergency_numbers(region):
            assert phonenumbers.is_emergency_number(number, region)


def test_every_region_with_emergency_metadata_is_derived() -> None:
    regions = regions_with_emergency_numbers()
    assert len(regions) >= 230
    assert "001" not in regions
