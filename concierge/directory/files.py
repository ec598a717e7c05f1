"""Resource files in and out: CSV, JSON and YAML, all or nothing.

Every bad row is reported as `FILE, row N: reason`, where N is the line of a CSV file
(the header is line 1) or the position of a record in a JSON or YAML list, counting
from 1. One bad row rejects the whole file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import yaml

from concierge.directory.records import (
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    ResourceRecord,
    record_from_mapping,
    record_to_mapping,
    record_to_row,
)
from concierge.errors import ImportRejected

FORMATS = ("csv", "json", "yaml")
MAX_PROBLEMS = 50


def read_records(path: Path, label: str | None = None) -> list[ResourceRecord]:
    """Parse and check a whole file, or raise ImportRejected listing its bad rows."""
    name = label or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportRejected(name, [f"{name}: file not found"]) from None
    except UnicodeDecodeError as error:
        raise ImportRejected(name, [f"{name}: not UTF-8 text ({error.reason})"]) from None
    except OSError as error:
        raise ImportRejected(name, [f"{name}: cannot read: {error.strerror}"]) from None
    rows = _rows(text, _format_of(path, name), name)
    return check_rows(rows, name)


def check_rows(rows: Iterable[tuple[int, Any]], name: str) -> list[ResourceRecord]:
    records: list[ResourceRecord] = []
    problems: list[str] = []
    first_row_of_key: dict[str, int] = {}
    for number, row in rows:
        try:
            if isinstance(row, str):
                raise ValueError(row)
            if not isinstance(row, dict):
                raise ValueError("not a record (expected a mapping of field to value)")
            record = record_from_mapping(row)
        except ValueError as error:
            problems.append(f"{name}, row {number}: {error}")
        else:
            if record.key in first_row_of_key:
                problems.append(
                    f"{name}, row {number}: key {record.key!r} already used in row "
                    f"{first_row_of_key[record.key]}"
                )
            first_row_of_key.setdefault(record.key, number)
            records.append(record)
        if len(problems) >= MAX_PROBLEMS:
            problems.append(f"{name}: stopped after {MAX_PROBLEMS} bad rows")
            break
    if problems:
        raise ImportRejected(name, problems)
    return records


def write_records(records: Iterable[ResourceRecord], fmt: str, out: IO[str]) -> None:
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(record_to_row(record) for record in records)
    elif fmt == "json":
        json.dump([record_to_mapping(r) for r in records], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "yaml":
        data = {"resources": [record_to_mapping(r) for r in records]}
        yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
    else:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


def _format_of(path: Path, name: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "yml":
        return "yaml"
    if suffix not in FORMATS:
        raise ImportRejected(
            name,
            [f"{name}: unknown file type {path.suffix or '(none)'!r}; use .csv, .json or .yaml"],
        )
    return suffix


def _rows(text: str, fmt: str, name: str) -> list[tuple[int, Any]]:
    if fmt == "csv":
        return _csv_rows(text, name)
    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise ImportRejected(
            name, [f"{name}, line {error.lineno}: not valid JSON: {error.msg}"]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ImportRejected(name, [f"{name}{where}: not valid YAML: {problem}"]) from None
    if isinstance(data, dict) and "resources" in data:
        data = data["resources"]
    if not isinstance(data, list):
        raise ImportRejected(
            name, [f"{name}: expected a list of resources (or a mapping with 'resources')"]
        )
    return list(enumerate(data, start=1))


def _csv_rows(text: str, name: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    header = [column.strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportRejected(name, [f"{name}, row 1: missing columns: {', '.join(missing)}"])
    rows: list[tuple[int, Any]] = []
    try:
        for row in reader:
            if None in row:
                rows.append((reader.line_num, "more cells than the header has columns"))
                continue
            if not any((value or "").strip() for value in row.values()):
                continue
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise ImportRejected(name, [f"{name}, row {reader.line_num}: {error}"]) from None
    return rows
