"""Benchmark: import and export of N rows per kind on PostgreSQL (default 20,000).

A fresh database; for each kind, in the order a campus fills them in, a generated CSV of N rows is
imported as a dry run, then for real, then exported as CSV and as XLSX; each step's seconds are
printed. Later kinds refer to the rows of earlier ones (N rooms in the buildings, N assets in the
rooms), so every lookup a row does runs against N rows.

    .venv/bin/python bench/imports.py                     # 20,000 rows of buildings, rooms, assets, fees
    .venv/bin/python bench/imports.py --rows 2000 --kinds rooms assets
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contention import fresh_database  # noqa: E402 (bench/, this script's directory)

from facility.core.config import ImportLimits  # noqa: E402
from facility.core.db import get_engine  # noqa: E402
from facility.imports import service  # noqa: E402

BUILDINGS = 20


def buildings(n: int) -> list[list[str]]:
    rows = [["code", "campus", "name_ko", "floors", "weekday_hours"]]
    return rows + [[f"b{i}", "main", f"{i}동", "B1;1;2;3", "08:00-22:00"] for i in range(n)]


def rooms(n: int) -> list[list[str]]:
    rows = [["code", "building", "name_ko", "kind", "capacity", "floor", "area_m2", "equipment", "weekday_hours"]]
    return rows + [
        [f"R-{i}", f"b{i % BUILDINGS}", f"{i}호", "lecture_room", "40", "2", "66.5", "projector:1", "09:00-18:00"]
        for i in range(n)
    ]


def assets(n: int) -> list[list[str]]:
    rows = [["code", "kind", "name_ko", "building", "room", "installed_on", "parent"]]
    return rows + [
        [
            f"A-{i}",
            "projector",
            f"프로젝터 {i}",
            f"b{i % BUILDINGS}",
            f"R-{i}",
            "2024-03-01",
            f"A-{i - 1}" if i % 2 else "",
        ]
        for i in range(n)
    ]


def fees(n: int) -> list[list[str]]:
    rows = [["room", "hourly", "deposit", "equipment"]]
    return rows + [[f"R-{i}", "30000", "100000", "projector:10000"] for i in range(n)]


GENERATORS: dict[str, Callable[[int], list[list[str]]]] = {
    "buildings": buildings,
    "rooms": rooms,
    "assets": assets,
    "fees": fees,
}


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def timed(step: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def run(url: str, n: int, kinds: list[str]) -> None:
    engine = get_engine(url)
    limits = ImportLimits()
    print(f"{'kind':<10} {'rows':>7} {'dry run':>9} {'import':>9} {'csv out':>9} {'xlsx out':>9}")
    for kind in kinds:
        count = BUILDINGS if kind == "buildings" and "rooms" in kinds else n
        data = as_csv(GENERATORS[kind](count))
        seconds = []
        for dry_run in (True, False):
            with Session(engine) as session:
                elapsed, report = timed(
                    lambda dry_run=dry_run, session=session, kind=kind, data=data: service.run_import(
                        session, None, kind, data, dry_run=dry_run, limits=limits
                    )
                )
                assert report.ok, report.problems[:3]  # type: ignore[attr-defined]
                session.commit()
            seconds.append(elapsed)
        for xlsx in (False, True):
            with Session(engine) as session:
                elapsed, _file = timed(
                    lambda xlsx=xlsx, session=session, kind=kind: service.export_file(session, None, kind, xlsx=xlsx)
                )
            seconds.append(elapsed)
        print(f"{kind:<10} {count:>7} " + " ".join(f"{s:>8.1f}s" for s in seconds), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--kinds", nargs="+", default=list(GENERATORS), choices=list(GENERATORS))
    args = parser.parse_args()
    with fresh_database() as url:
        run(url, args.rows, args.kinds)


if __name__ == "__main__":
    main()
