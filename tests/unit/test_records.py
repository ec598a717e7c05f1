from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from concierge.directory import files
from concierge.directory.records import record_from_mapping, record_to_mapping, record_to_row
from concierge.errors import ImportRejected

MINIMAL = {
    "country": "PT",
    "kind": "crisis_line",
    "name": "Linha 1411",
    "phone": "1411",
    "url": "https://www.sns24.gov.pt/",
    "languages": "pt",
    "source_url": "https://www.sns24.gov.pt/",
    "verified_on": "2026-10-01",
}


def test_a_minimal_row_becomes_a_record() -> None:
    record = record_from_mapping(MINIMAL)
    assert record.key == "pt-linha-1411"
    assert record.country == "PT"
    assert [(c.kind, c.value) for c in record.contacts] == [
        ("phone", "1411"),
        ("web", "https://www.sns24.gov.pt/"),
    ]
    assert record.languages == ("pt",)
    assert record.verified_on == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"country": "XX"}, "unknown country code 'XX'"),
        ({"kind": "hotline"}, "unknown kind 'hotline'"),
        ({"phone": "12ab"}, "malformed phone number '12ab'"),
        ({"phone": "+351 99 999 99999"}, "not a valid number in PT"),
        ({"source_url": ""}, "missing source_url"),
        ({"source_url": "sns24.gov.pt"}, "is not an http(s) URL"),
        ({"verified_on": ""}, "missing verified_on"),
        ({"verified_on": "1 May 2026"}, "is not a date"),
        ({"verified_on": "2999-01-01"}, "is in the future"),
        ({"languages": "Portuguese"}, "not an ISO 639-1 code"),
        ({"name": ""}, "missing name"),
        ({"cost": "cheap"}, "unknown cost"),
        ({"phnoe": "1411"}, "unknown column 'phnoe'"),
    ],
)
def test_bad_fields_are_refused_with_the_reason(change: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        record_from_mapping({**MINIMAL, **change})


def test_international_resource_has_no_country() -> None:
    record = record_from_mapping({**MINIMAL, "country": "", "phone": "", "region": "europe"})
    assert record.country is None
    assert record.region == "europe"
    assert record.key.startswith("int-")


def test_csv_and_json_round_trip_keep_every_field() -> None:
    record = record_from_mapping(
        {
            **MINIMAL,
            "description": "Linha nacional de prevenção do suicídio.",
            "sms": "1411",
            "hours": "24/7",
            "timezone": "Europe/Lisbon",
            "cost": "free",
            "audience": "musicians;crew",
            "topics": "touring",
            "translations": '{"pt": {"name": "Linha de Prevenção", "description": ""}}',
        }
    )
    for fmt in ("csv", "json", "yaml"):
        out = io.StringIO()
        files.write_records([record], fmt, out)
        path = Path(f"/tmp/roundtrip-test.{fmt}")
        path.write_text(out.getvalue(), encoding="utf-8")
        try:
            [again] = files.read_records(path)
        finally:
            path.unlink()
        assert record_to_mapping(again) == record_to_mapping(record), fmt
    assert list(record_to_row(record))[:8] == [
        "country", "kind", "name", "phone", "url", "languages", "source_url", "verified_on",
    ]  # fmt: skip


def test_every_bad_row_is_reported_with_its_row_number(tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text(
        "country,kind,name,phone,url,languages,source_url,verified_on\n"
        "PT,crisis_line,Linha 1411,1411,https://www.sns24.gov.pt/,pt,https://www.sns24.gov.pt/,2026-10-01\n"
        "QQ,crisis_line,Nowhere line,,,,https://example.org/,2026-10-01\n"
        "GB,crisis_line,Unsourced,116 123,,en,,2026-10-01\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as raised:
        files.read_records(path)
    assert raised.value.problems == [
        f"{path}, row 3: unknown country code 'QQ' (expected ISO 3166-1 alpha-2)",
        f"{path}, row 4: missing source_url: every resource needs the page its facts came from",
    ]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("a.csv", "country,kind,name\nGB,crisis_line,x\n", "row 1: missing columns: phone, url"),
        ("a.json", '{"resources": [', "line 1: not valid JSON"),
        ("a.yaml", "resources: [\n  - {country: GB\n", "not valid YAML"),
        ("a.txt", "whatever", "unknown file type '.txt'"),
        ("a.json", '{"country": "GB"}', "expected a list of resources"),
        ("a.json", "[1]", "row 1: not a record"),
    ],
)
def test_malformed_files_get_one_clear_error(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportRejected) as raised:
        files.read_records(path)
    assert len(raised.value.problems) == 1
    assert str(path) in raised.value.problems[0]
    assert problem in raised.value.problems[0]


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("country,kind,name\nPT,crisis_line,Linha Preven\xe7\xe3o\n".encode("latin-1"))
    with pytest.raises(ImportRejected, match="not UTF-8 text"):
        files.read_records(path)


def test_duplicate_keys_in_one_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text("[" + ",".join([__import__("json").dumps(MINIMAL)] * 2) + "]", encoding="utf-8")
    with pytest.raises(ImportRejected, match="row 2: key 'pt-linha-1411' already used in row 1"):
        files.read_records(path)
