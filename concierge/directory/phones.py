"""Phone numbers: checked against libphonenumber's metadata, never guessed.

Crisis lines are often short codes (988, 116 123, 3114) that the full-number
metadata calls invalid, so a number is accepted when it is a valid full number for
the country or a valid short number there. Short codes are stored as dialled inside
the country, full numbers in international format.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from phonenumbers import PhoneNumberFormat, shortnumberinfo
from phonenumbers.phonemetadata import PhoneMetadata

_ALLOWED = re.compile(r"^\+?[0-9 ()./-]+$")
_STAR_CODE = re.compile(r"^[*#][0-9]{2,6}$")
_SHORT_CODE = re.compile(r"^[1-9][0-9]{2,5}$")

# The number most people in a region know comes first where the metadata lists several.
_WELL_KNOWN_FIRST = ("999", "000", "112")


def normalize_phone(raw: str, country: str | None) -> str:
    """Return the number as it should be shown, or raise ValueError saying why.

    Full numbers must be valid for the country. Short codes (3 to 6 digits) are kept
    as dialled inside the country: the short-number metadata lags behind new crisis
    lines (Brazil's 188, Korea's 109), so an unknown short code is not an error, but a
    short code is never accepted for an international resource, which has no country
    to dial it in, nor an unknown one written with a country prefix (+33 333114 is
    not how anyone dials 3114).
    """
    text = raw.strip()
    if country is not None and _STAR_CODE.match(text):
        return text  # a mobile-network code such as Chile's *4141: no metadata covers them
    if not text or not _ALLOWED.match(text):
        raise ValueError(f"malformed phone number {raw!r}")
    if country is not None and text.isdigit() and text in emergency_numbers(country):
        return text  # Uzbekistan's 001 would otherwise parse as an international prefix
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise ValueError(f"malformed phone number {raw!r}") from None
    region = country or phonenumbers.region_code_for_number(number)
    if region and phonenumbers.is_valid_number_for_region(number, region):
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = str(number.national_number)
    if (
        country is not None
        and number.country_code == phonenumbers.country_code_for_region(country)
        and (
            shortnumberinfo.is_valid_short_number_for_region(number, country)
            or (_SHORT_CODE.match(national) and not text.startswith("+"))
        )
    ):
        return _as_dialled(text, national, number.country_code)
    where = f" in {country}" if country else ""
    raise ValueError(f"phone number {raw!r} is not a valid number{where}")


def _as_dialled(text: str, national: str, country_code: int) -> str:
    """A short code as dialled at home: no country prefix, the writer's spacing kept.

    Spain's 024 keeps its leading zero, which the parsed national number drops.
    """
    if not text.startswith("+"):
        return text
    local = re.sub(rf"^\+\s*{country_code}\s*", "", text).strip()
    return local if re.sub(r"\D", "", local) == national else national


@cache
def emergency_numbers(country: str) -> tuple[str, ...]:
    """The emergency numbers libphonenumber's short-number metadata knows for a region.

    The metadata gives a pattern, not a list, so every string of a possible length is
    tried against it: a few thousand matches per region, done once.
    """
    metadata = PhoneMetadata.short_metadata_for_region(country)
    if metadata is None or metadata.emergency is None:
        return ()
    desc = metadata.emergency
    if not desc.national_number_pattern:
        return ()
    pattern = re.compile(desc.national_number_pattern)
    lengths = desc.possible_length or (3,)
    found = [
        candidate
        for length in lengths
        for candidate in (str(n).zfill(length) for n in range(10**length))
        if pattern.fullmatch(candidate)
    ]
    return tuple(sorted(found, key=lambda number: _emergency_order(number, country)))


def _emergency_order(number: str, country: str) -> tuple[int, int, str]:
    # 911 is the number people know in North America; elsewhere it is often only
    # forwarded, so there the GSM standard 112 and the old national numbers come first.
    preferred = ("911", *_WELL_KNOWN_FIRST) if _is_nanp(country) else _WELL_KNOWN_FIRST
    if number in preferred:
        return (preferred.index(number), len(number), number)
    metadata = PhoneMetadata.short_metadata_for_region(country)
    example = metadata.emergency.example_number if metadata and metadata.emergency else None
    return (len(preferred) + (number != example), len(number), number)


def _is_nanp(country: str) -> bool:
    return phonenumbers.country_code_for_region(country) == 1


def regions_with_emergency_numbers() -> list[str]:
    return sorted(
        region
        for region in phonenumbers.SUPPORTED_SHORT_REGIONS
        if region != "001" and emergency_numbers(region)
    )
