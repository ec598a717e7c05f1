"""The data layer on both SQLite and a real PostgreSQL server."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from concierge import database
from concierge.database import Database
from concierge.directory import files, service, store
from concierge.directory.records import record_to_mapping
from concierge.errors import ImportRejected, SchemaError

GOOD_ROW = "PT,crisis_line,Linha 1411,1411,https://www.sns24.gov.pt/,pt,https://www.sns24.gov.pt/,2026-10-01"
HEADER = "country,kind,name,phone,url,languages,source_url,verified_on"


def test_upgrade_creates_the_schema_and_seeds_once(make_db: Callable[[], Database]) -> None:
    db = make_db()
    seeded = service.upgrade(db)
    assert seeded > 300
    assert database.current_revision(db.engine) == database.head_revision(db.engine)
    assert service.upgrade(db) == 0  # idempotent: no second seed
    with db.session() as session:
        assert store.count_resources(session) == seeded


def test_first_start_prepares_only_the_embedded_database(make_db: Callable[[], Database]) -> None:
    db = make_db()
    if db.config.is_embedded:
        service.prepare(db)
        with db.session() as session:
            assert store.count_resources(session) > 300
    else:
        with pytest.raises(SchemaError, match="run `concierge db upgrade`"):
            service.prepare(db)


def test_import_is_all_or_nothing(make_db: Callable[[], Database], tmp_path: Path) -> None:
    db = make_db()
    service.upgrade(db)
    with db.session() as session:
        before = [record_to_mapping(r) for r in store.load_records(session)]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEADER}\n{GOOD_ROW}\nPT,crisis_line,Broken,12ab,,pt,https://x.org/,2026-10-01\n"
    )
    with pytest.raises(ImportRejected, match="row 3: malformed phone number '12ab'"):
        service.import_file(db, bad)
    with db.session() as session:
        assert [record_to_mapping(r) for r in store.load_records(session)] == before


def test_import_adds_then_replaces_by_key(make_db: Callable[[], Database], tmp_path: Path) -> None:
    db = make_db()
    service.upgrade(db)
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\n{GOOD_ROW}\n")
    assert service.import_file(db, good) == (1, 0)
    good.write_text(f"{HEADER}\n{GOOD_ROW.replace('pt,https', 'pt;en,https')}\n")
    assert service.import_file(db, good) == (0, 1)
    with db.session() as session:
        [record] = [r for r in store.load_records(session) if r.key == "pt-linha-1411"]
    assert record.languages == ("pt", "en")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_gives_the_same_directory(
    make_db: Callable[[], Database], tmp_path: Path, fmt: str
) -> None:
    db = make_db()
    service.upgrade(db)
    out = io.StringIO()
    count = service.export(db, fmt, out)
    path = tmp_path / f"directory.{fmt}"
    path.write_text(out.getvalue(), encoding="utf-8")
    exported = files.read_records(path)
    assert len(exported) == count
    assert service.import_file(db, path) == (0, count)
    with db.session() as session:
        again = store.load_records(session)
    if fmt == "json":  # JSON keeps every field; CSV keeps one set of hours per resource
        assert [record_to_mapping(r) for r in again] == [record_to_mapping(r) for r in exported]
    assert len(again) == count
