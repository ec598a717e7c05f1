"""The crisis check: a crisis reply must name help that fits where the sender is.

It passes when the text (as drafted, or as a person edited it) names a crisis line or
an emergency number of the sender's country, or the international fallback (a
helpline directory that finds the nearest line, by its web address). Numbers are
compared by their digits, so "213 544 545", "213-544-545" and "+351 213 544 545" are
the same number. Problems come back in plain words for the person approving.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from concierge.directory.models import ContactKind, ResourceKind
from concierge.directory.records import ResourceRecord

# A phone number as people write it: digit groups joined by one space, dot or dash,
# a leading + and an area code in brackets allowed. "112 or 911" is two numbers.
_NUMBER = re.compile(r"\+?\(?\d+\)?(?:[ .\-]?\(?\d+\)?)*")
_SHORTEST_SUFFIX = 7  # "+351 213 544 545" names "213 544 545"; "2112" does not name "112"


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def numbers_in(text: str) -> set[str]:
    return {digits(found.group()) for found in _NUMBER.finditer(text)}


def names_number(text: str, number: str, found: set[str] | None = None) -> bool:
    wanted = digits(number)
    if not wanted:
        return False
    found = numbers_in(text) if found is None else found
    return any(_same_number(run, wanted) for run in found)


def _same_number(one: str, other: str) -> bool:
    """Equal, or one is the other without its country code ("213 544 545" and
    "+351 21 354 4545") or with a trunk 0 ("0800 58 58 58" and "+44 800 58 58 58")."""
    if one == other:
        return True
    short, long = sorted((one.lstrip("0"), other.lstrip("0")), key=len)
    return len(short) >= _SHORTEST_SUFFIX and long.endswith(short)


def crisis_problems(text: str, country: str | None, records: Sequence[ResourceRecord]) -> list[str]:
    """Empty when the reply is safe to send to someone in crisis; else what is missing."""
    country = country.upper() if country else None
    found = numbers_in(text)
    local = [
        r for r in records
        if r.active and country and r.country == country
        and r.kind in (ResourceKind.CRISIS_LINE, ResourceKind.EMERGENCY)
    ]  # fmt: skip
    for record in local:
        for contact in record.contacts:
            if contact.kind in (ContactKind.PHONE, ContactKind.SMS) and names_number(
                text, contact.value, found
            ):
                return []
    fallback = [
        r for r in records
        if r.active and r.country is None and r.kind == ResourceKind.CRISIS_LINE
    ]  # fmt: skip
    for record in fallback:
        for contact in record.contacts:
            if contact.kind == ContactKind.WEB and _names_url(text, contact.value):
                return []
    examples = _examples(local) or "the local emergency number"
    where = f"for {country}" if country else "for the sender's country"
    directories = ", ".join(
        c.value for r in fallback for c in r.contacts if c.kind == ContactKind.WEB
    )
    return [
        f"This crisis reply names no crisis line and no emergency number {where} "
        f"(such as {examples}), and not the international helpline directory"
        + (f" ({directories})" if directories else "")
        + ". Add one before approving."
    ]


def _names_url(text: str, url: str) -> bool:
    bare = re.sub(r"^https?://(www\.)?", "", url).rstrip("/").lower()
    return bool(bare) and bare in text.lower()


def _examples(records: list[ResourceRecord]) -> str:
    shown = []
    for record in sorted(records, key=lambda r: r.kind != ResourceKind.EMERGENCY):
        phones = [c.value for c in record.contacts if c.kind == ContactKind.PHONE]
        if phones:
            shown.append(phones[0])
        if len(shown) == 2:
            break
    return " or ".join(shown)
