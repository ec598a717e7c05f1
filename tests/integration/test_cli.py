"""The `concierge` command as a person runs it: real process, real exit status."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


def test_list_answers_a_crisis_lookup_on_the_embedded_default(run_cli: Run) -> None:
    result = run_cli("resources", "list", "--country", "GB", "--urgency", "crisis")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Crisis resources for GB, best first:"
    assert lines[1].startswith(" 1. Emergency services")
    assert "phone 999" in result.stdout
    assert "Samaritans" in result.stdout


def test_list_json_for_an_unknown_country_is_the_international_fallback(run_cli: Run) -> None:
    result = run_cli("resources", "list", "--country", "unknown", "--urgency", "crisis", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["kind"] == "emergency"
    assert {row["level"] for row in rows} == {"international"}
    assert any("findahelpline" in (row["url"] or "") for row in rows)


def test_export_csv_has_the_promised_columns_and_imports_back(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("resources", "export", "--format", "csv", "-")
    assert result.returncode == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames is not None
    assert reader.fieldnames[:8] == [
        "country", "kind", "name", "phone", "url", "languages", "source_url", "verified_on",
    ]  # fmt: skip
    rows = list(reader)
    assert len(rows) > 300
    (tmp_path / "all.csv").write_text(result.stdout, encoding="utf-8")
    again = run_cli("resources", "import", "all.csv")
    assert again.returncode == 0, again.stderr
    assert f"imported {len(rows)} resources (0 new, {len(rows)} replaced)" in again.stdout


def test_import_of_a_bad_row_names_the_row_and_imports_nothing(
    run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "new.csv").write_text(
        "country,kind,name,phone,url,languages,source_url,verified_on\n"
        "PT,crisis_line,Linha 1411,1411,,pt,https://www.sns24.gov.pt/,2026-10-01\n"
        "XX,crisis_line,Nowhere,,,,https://example.org/,2026-10-01\n",
        encoding="utf-8",
    )
    result = run_cli("resources", "import", "new.csv")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "concierge: new.csv, row 3: unknown country code 'XX' (expected ISO 3166-1 alpha-2)"
    )
    listing = run_cli("resources", "list", "--country", "PT", "--urgency", "crisis")
    assert "Linha 1411" not in listing.stdout


def test_stale_lists_entries_older_than_n_months(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(
        "- {country: PT, kind: therapy, name: Old clinic, source_url: 'https://example.org/',"
        " verified_on: '2019-05-01'}\n",
        encoding="utf-8",
    )
    assert run_cli("resources", "import", "old.yaml").returncode == 0
    result = run_cli("resources", "stale", "--months", "12")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2019-05-01  PT  therapy        Old clinic  (pt-old-clinic; source: https://example.org/)"
    ]
    assert "STALE" in run_cli("resources", "list", "--country", "PT").stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ("resources", "list", "--country", "GB"),
            {"CONCIERGE_DATABASE_URL": "mysql://db/x"},
            "concierge: CONCIERGE_DATABASE_URL: got 'mysql://db/x', expected a SQLAlchemy URL",
        ),
        (
            ("resources", "list", "--country", "GB"),
            {"CONCIERGE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
            "concierge: CONCIERGE_DATABASE_URL: cannot connect to",
        ),
        (
            ("resources", "import", "missing.csv"),
            {},
            "concierge: missing.csv: file not found",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    run_cli: Run, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = run_cli(*args, env=env)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(message)


def test_unknown_country_code_is_refused(run_cli: Run) -> None:
    result = run_cli("resources", "list", "--country", "ZZ")
    assert result.returncode == 2
    assert "'ZZ' is not an ISO 3166-1 alpha-2 country code" in result.stderr


@pytest.mark.postgres
def test_db_upgrade_on_postgresql(run_cli: Run, postgres_schema_url: str) -> None:
    env = {"CONCIERGE_DATABASE_URL": postgres_schema_url}
    before = run_cli("resources", "list", "--country", "GB", env=env)
    assert before.returncode == 1
    assert "run `concierge db upgrade`" in before.stderr
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "loaded" in upgraded.stdout
    after = run_cli("resources", "list", "--country", "GB", "--urgency", "crisis", env=env)
    assert "Samaritans" in after.stdout
