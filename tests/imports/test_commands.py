"""`facility import` and `facility export` as an operator types them."""

from __future__ import annotations

from pathlib import Path

from facility.imports import service
from tests.test_cli import run_cli

SAMPLES = Path(service.__file__).with_name("samples")


def test_dry_run_lists_problems_and_exits_non_zero_then_import_and_export(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", data_dir=tmp_path).returncode == 0
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
