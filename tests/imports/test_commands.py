"""`facility import` and `facility export` as an operator types them."""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from facility.core.config import Settings, using
from facility.imports import commands, service
from tests.keys import TEST_SECRET_KEY
from tests.test_cli import run_cli

SAMPLES = Path(service.__file__).with_name("samples")


@pytest.mark.usefixtures("upgraded_dir")  # tmp_path holds what `facility db upgrade` leaves
def test_dry_run_lists_problems_and_exits_non_zero_then_import_and_export(tmp_path: Path) -> None:
    broken = tmp_path / "buildings.csv"
    broken.write_bytes("code,campus,name_ko,sort_order\nedu,main,교육관,first\n".encode("cp949"))
    dry = run_cli("import", "buildings", str(broken), "--dry-run", data_dir=tmp_path)
    assert dry.returncode == 1
    assert "row 2, column sort_order" in dry.stderr and "nothing imported" in dry.stderr
    good = run_cli("import", "buildings", str(SAMPLES / "buildings.csv"), "--dry-run", data_dir=tmp_path)
    assert good.returncode == 0 and "dry run, nothing changed (rows 2, created 2" in good.stdout
    assert "main-edu" not in run_cli("export", "buildings", data_dir=tmp_path).stdout
    done = run_cli("import", "buildings", str(SAMPLES / "buildings.csv"), data_dir=tmp_path)
    assert done.returncode == 0 and "imported (rows 2, created 2" in done.stdout
    exported = tmp_path / "out.xlsx"
    assert run_cli("export", "buildings", str(exported), data_dir=tmp_path).returncode == 0
    again = run_cli("import", "buildings", str(exported), data_dir=tmp_path)
    assert "unchanged 2" in again.stdout


@pytest.mark.usefixtures("upgraded_dir")  # tmp_path holds what `facility db upgrade` leaves
def test_exports_carry_no_live_formula_in_csv_or_xlsx_and_import_back(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    users = tmp_path / "users.csv"
    out = io.StringIO()
    csv.writer(out).writerows(
        [["email", "role", "full_name"], ["x@example.kr", "crew", formula], ["y@ex.kr", "crew", "-2+3"]]
    )
    users.write_text(out.getvalue(), encoding="utf-8")
    assert run_cli("import", "users", str(users), data_dir=tmp_path).returncode == 0
    as_csv, as_xlsx = tmp_path / "x.csv", tmp_path / "x.xlsx"
    assert run_cli("export", "users", str(as_csv), data_dir=tmp_path).returncode == 0
    assert run_cli("export", "users", str(as_xlsx), data_dir=tmp_path).returncode == 0
    rows = list(csv.reader(io.StringIO(as_csv.read_text(encoding="utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["'" + formula, "'-2+3"]
    with zipfile.ZipFile(as_xlsx) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    cells = [row[2] for row in load_workbook(as_xlsx).worksheets[0].iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in cells] == [("'" + formula, "s"), ("'-2+3", "s")]
    for exported in (as_csv, as_xlsx):
        assert "unchanged 2" in run_cli("import", "users", str(exported), data_dir=tmp_path).stdout


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_export_writes_its_file_after_its_transaction_has_ended(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook of 20,000 rows takes longer to write than PostgreSQL lets a transaction sit idle:
    while the file is written, the export holds no transaction open."""
    watcher = create_engine(db_url, isolation_level="AUTOCOMMIT")
    idle: list[int] = []
    write_xlsx = service.write_xlsx

    def watched(*args: Any, **kwargs: Any) -> bytes:
        with watcher.connect() as connection:
            idle.append(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
        return write_xlsx(*args, **kwargs)

    monkeypatch.setattr(service, "write_xlsx", watched)
    out = tmp_path / "buildings.xlsx"
    with using(Settings(database_url=db_url, data_dir=tmp_path, secret_key=TEST_SECRET_KEY)):
        commands.cmd_export(argparse.Namespace(kind="buildings", file=str(out)))
    watcher.dispose()
    assert idle == [0] and out.stat().st_size > 0
