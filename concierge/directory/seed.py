"""The seed directory shipped in `db/seed/`, loaded into an empty database.

Three sources, each keeping its own provenance:
- the curated YAML files (crisis lines, music-industry organisations, the
  nonprofit's programs, international fallbacks), each entry checked by a person;
- the open-helplines data set (CC0), converted with the corrections its README
  asks for (`_OPEN_HELPLINES_*` below);
- emergency numbers derived from libphonenumber's short-number metadata for every
  region it knows, never typed by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import phonenumbers

from concierge import paths
from concierge.directory.files import check_rows, read_records
from concierge.directory.phones import emergency_numbers, regions_with_emergency_numbers
from concierge.directory.records import ResourceRecord, country_codes
from concierge.errors import ImportRejected

CURATED_FILES = ("crisis_lines.yaml", "music_industry.yaml", "programs.yaml", "international.yaml")

EMERGENCY_SOURCE = (
    "https://github.com/google/libphonenumber/blob/master/resources/ShortNumberMetadata.xml"
)
# The day these numbers were last compared with the metadata of the pinned library.
EMERGENCY_VERIFIED_ON = dt.date(2026, 11, 24)

# Records that crisis_lines.yaml holds in a form re-checked on 2026-11-24 (the data
# set's US record still carries the 1-800 number that 988 replaced; France's 3114
# is stored as +33333114).
_OPEN_HELPLINES_REPLACED = frozenset(
    {
        "br-cvv-188",
        "ca-988-suicide-crisis-helpline",
        "fr-3114",
        "in-tele-manas",
        "kr-109-suicide-crisis",
        "us-988-lifeline",
    }
)
# Contacts left out: a short code stored with an area code, which is not how it is
# dialled and which libphonenumber cannot confirm.
_OPEN_HELPLINES_DROPPED = frozenset({("ph-ncmh-crisis-hotline", "+6321553")})
_OPEN_HELPLINES_METHODS = {
    "phone": "phone", "text": "sms", "chat": "chat", "email": "email", "app": "web", "url": "web",
}  # fmt: skip


def load_seed(seed_dir: Path | None = None) -> list[ResourceRecord]:
    """Every seed resource, checked; raises ImportRejected naming the file and row."""
    folder = seed_dir or paths.seed_dir()
    records: list[ResourceRecord] = []
    for name in CURATED_FILES:
        records.extend(read_records(folder / name, label=f"db/seed/{name}"))
    records.extend(open_helplines(folder / "open-helplines"))
    records.extend(emergency_records())
    _reject_duplicate_keys(records)
    return records


def open_helplines(folder: Path) -> list[ResourceRecord]:
    records: list[ResourceRecord] = []
    for path in sorted(folder.glob("countries/*/helplines.json")):
        label = f"db/seed/open-helplines/{path.parent.name}/helplines.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            (number, _from_open_helpline(item))
            for number, item in enumerate(data["records"], start=1)
            if item["id"] not in _OPEN_HELPLINES_REPLACED
        ]
        records.extend(check_rows(rows, label))
    return records


def _from_open_helpline(item: dict[str, Any]) -> dict[str, Any]:
    contacts = [
        {
            "kind": _OPEN_HELPLINES_METHODS[contact["method"]],
            "value": contact.get("number") or contact.get("url"),
            "hours": contact.get("hours"),
        }
        for contact in item["contacts"]
        if (item["id"], contact.get("number")) not in _OPEN_HELPLINES_DROPPED
    ]
    if item.get("website"):
        contacts.append({"kind": "web", "value": item["website"]})
    languages = list(dict.fromkeys(lang for c in item["contacts"] for lang in c["languages"]))
    texts = [{"language": "en", "name": item["name"], "description": item["description"]}]
    local = [lang for lang in languages if lang != "en"]
    if item.get("local_name") and local:
        texts.append({"language": local[0], "name": item["local_name"]})
    all_free = all(contact.get("free") is True for contact in item["contacts"])
    return {
        "key": item["id"],
        "country": item["country"],
        "kind": "crisis_line",
        "texts": texts,
        "contacts": contacts,
        "languages": languages,
        "cost": "free" if all_free else None,
        "audience": ["youth"] if item["category"] == "youth" else [],
        "source_url": item["source"],
        "verified_on": item["verified_at"],
    }


def emergency_records() -> list[ResourceRecord]:
    """One `emergency` resource for each country libphonenumber knows numbers for."""
    rows = []
    for number, region in enumerate(regions_with_emergency_numbers(), start=1):
        if region not in country_codes():
            continue
        numbers = emergency_numbers(region)
        rows.append(
            (
                number,
                {
                    "key": f"{region.lower()}-emergency",
                    "country": region,
                    "kind": "emergency",
                    "name": "Emergency services",
                    "description": "Police, ambulance and fire. Call if a life is in danger.",
                    "contacts": [
                        {"kind": "phone", "value": value, "hours": "24/7"} for value in numbers
                    ],
                    "cost": "free",
                    "source_url": EMERGENCY_SOURCE,
                    "verified_on": EMERGENCY_VERIFIED_ON.isoformat(),
                },
            )
        )
    return check_rows(rows, f"phonenumbers {phonenumbers.__version__} short-number metadata")


def _reject_duplicate_keys(records: list[ResourceRecord]) -> None:
    seen: set[str] = set()
    for record in records:
        if record.key in seen:
            raise ImportRejected("db/seed", [f"db/seed: key {record.key!r} is used twice"])
        seen.add(record.key)
