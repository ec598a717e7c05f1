"""The one question the directory answers: whom do we name for this person?

`lookup(records, country, language, urgency, topics)` ranks resources for a sender.
The fallback chain, for each kind of resource that the urgency calls for:

1. the sender's country, resources serving the sender's language first;
2. otherwise the sender's world region (resources with no country and a region);
3. otherwise the international directories (no country, no region).

The emergency number is always the country's own; with no country known, the
international entry says to call the local emergency number (112 reaches it from a
mobile phone in most countries). So an answer is never empty. Resources not
verified within `stale_months` rank below verified ones and are marked stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from concierge.directory.models import ResourceKind
from concierge.directory.records import ResourceRecord, region_of

URGENCIES = ("crisis", "urgent", "routine")

# What each urgency calls for, most important first. Programs come only by topic.
_KINDS_BY_URGENCY: dict[str, tuple[str, ...]] = {
    "crisis": (
        ResourceKind.EMERGENCY,
        ResourceKind.CRISIS_LINE,
        ResourceKind.MUSIC_INDUSTRY,
        ResourceKind.PEER_SUPPORT,
    ),
    "urgent": (
        ResourceKind.CRISIS_LINE,
        ResourceKind.MUSIC_INDUSTRY,
        ResourceKind.THERAPY,
        ResourceKind.PEER_SUPPORT,
        ResourceKind.EMERGENCY,
    ),
    "routine": (
        ResourceKind.MUSIC_INDUSTRY,
        ResourceKind.THERAPY,
        ResourceKind.PEER_SUPPORT,
        ResourceKind.CRISIS_LINE,
    ),
}
LEVELS = ("country+language", "country", "region", "international")


@dataclass(frozen=True)
class Match:
    record: ResourceRecord
    level: str
    stale: bool

    @property
    def name(self) -> str:
        return self.record.texts[0].name


@dataclass(frozen=True)
class Answer:
    country: str | None
    language: str | None
    urgency: str
    topics: tuple[str, ...]
    matches: tuple[Match, ...]

    @property
    def fallback(self) -> str:
        """The widest level the answer had to reach for."""
        return max((m.level for m in self.matches), key=LEVELS.index, default="international")


def lookup(
    records: Iterable[ResourceRecord],
    country: str | None,
    language: str | None = None,
    urgency: str = "routine",
    topics: Sequence[str] = (),
    today: dt.date | None = None,
    stale_months: int = 12,
) -> Answer:
    if urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {urgency!r} (expected one of {', '.join(URGENCIES)})")
    today = today or dt.date.today()
    country = country.upper() if country else None
    region = region_of(country) if country else None
    stale_before = months_before(today, stale_months)
    usable = [r for r in records if r.active and not (r.ends_on and r.ends_on < today)]
    kinds = _KINDS_BY_URGENCY[urgency]

    chosen: list[tuple[ResourceRecord, str]] = []
    for kind in kinds:
        of_kind = [r for r in usable if r.kind == kind]
        chosen.extend(_nearest(of_kind, country, region, language))
    wanted_topics = set(topics)
    if wanted_topics:
        programs = [
            r for r in usable if r.kind == ResourceKind.PROGRAM and wanted_topics & set(r.topics)
        ]
        chosen.extend(_applicable(programs, country, region, language))

    def rank(item: tuple[ResourceRecord, str]) -> tuple[int, bool, int, bool, str]:
        record, level = item
        kind_rank = kinds.index(record.kind) if record.kind in kinds else len(kinds)
        return (
            kind_rank,
            record.verified_on < stale_before,
            LEVELS.index(level),
            not _always_open(record),
            record.texts[0].name.lower(),
        )

    chosen.sort(key=rank)
    matches = tuple(
        Match(record, level, record.verified_on < stale_before) for record, level in chosen
    )
    return Answer(country, language, urgency, tuple(topics), matches)


def _nearest(
    records: list[ResourceRecord], country: str | None, region: str | None, language: str | None
) -> list[tuple[ResourceRecord, str]]:
    """The resources of one kind at the nearest level that has any."""
    local = [r for r in records if country and r.country == country]
    if local:
        return [(r, _country_level(r, language)) for r in local]
    if local == [] and records and records[0].kind == ResourceKind.EMERGENCY:
        return [(r, "international") for r in records if r.country is None]
    regional = [r for r in records if region and r.country is None and r.region == region]
    if regional:
        return [(r, "region") for r in regional]
    return [(r, "international") for r in records if r.country is None and r.region is None]


def _applicable(
    records: list[ResourceRecord], country: str | None, region: str | None, language: str | None
) -> list[tuple[ResourceRecord, str]]:
    """Programs apply where they are offered: everywhere, in a region, or in one country."""
    found: list[tuple[ResourceRecord, str]] = []
    for record in records:
        if record.country is not None:
            if record.country == country:
                found.append((record, _country_level(record, language)))
        elif record.region is not None:
            if record.region == region:
                found.append((record, "region"))
        else:
            found.append((record, "international"))
    return found


def _country_level(record: ResourceRecord, language: str | None) -> str:
    return "country+language" if language and language in record.languages else "country"


def _always_open(record: ResourceRecord) -> bool:
    return any((contact.hours or "").strip() == "24/7" for contact in record.contacts)


def months_before(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, 28)
    return dt.date(year, month + 1, day)
