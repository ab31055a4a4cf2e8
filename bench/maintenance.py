"""Benchmark: a year of occurrences for 2,000 plans, and the crew's "my day" with 10,000 open
work orders (server time through the real app). Prints the figures; run from the repo root:

    /work/venv/bin/python bench/maintenance.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402

from facility.app import create_app  # noqa: E402
from facility.core.config import Settings  # noqa: E402
from facility.core.db import get_engine, upgrade_database  # noqa: E402
from facility.core.models import Role, User  # noqa: E402
from facility.core.security import hash_password  # noqa: E402
from facility.maintenance import plans  # noqa: E402
from facility.maintenance.catalogue import load_templates  # noqa: E402
from facility.maintenance.kinds import PlanKind  # noqa: E402
from facility.maintenance.models import Inspection, MaintenancePlan, WorkOrder  # noqa: E402
from facility.rooms.models import Building, Campus, Floor, Room  # noqa: E402

PLANS = 2000
OPEN_WORK_ORDERS = 10_000
CREWS = 25
ROOMS = 200
# A realistic mix: most plans monthly or rarer, a tenth daily rounds.
RULES = [
    ("FREQ=DAILY;BYHOUR=8", 1),
    ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", 2),
    ("FREQ=MONTHLY;BYMONTHDAY=10;BYHOUR=9", 4),
    ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=20;BYHOUR=15", 1),
    ("FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1;BYHOUR=10", 1),
    ("FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=20;BYHOUR=10", 1),
]
PASSWORD = "bench-password-1"


def campus(session: Session) -> list[Room]:
    session.add(Campus(id=1, code="main", name_ko="본원", name_en="Main"))
    session.flush()
    rooms = []
    for b in range(4):
        building = Building(campus_id=1, code=f"b{b}", name_ko=f"{b}동", name_en=f"B{b}", sort_order=b)
        session.add(building)
        session.flush()
        for level in range(1, 6):
            floor = Floor(building_id=building.id, level=level, label=f"{level}F")  # type: ignore[arg-type]
            session.add(floor)
            session.flush()
            for n in range(ROOMS // 20):
                room = Room(
                    code=f"{b}-{level}{n:02d}",
                    building_id=building.id,
                    floor_id=floor.id,  # type: ignore[arg-type]
                    name_ko=f"강의실 {level}{n:02d}",
                    name_en=f"Room {level}{n:02d}",
                    kind="lecture_room",
                )
                session.add(room)
                rooms.append(room)
    session.flush()
    return rooms


def bench_generation(url: str) -> None:
    engine = get_engine(url)
    start = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=9)
    with Session(engine) as session:
        rooms = campus(session)
        template = load_templates(session)["elec-monthly"]
        weighted = [rule for rule, weight in RULES for _ in range(weight)]
        for n in range(PLANS):
            session.add(
                MaintenancePlan(
                    name=f"plan {n}",
                    kind=PlanKind.fixed.value,
                    template_id=template.id,
                    room_id=rooms[n % len(rooms)].id,
                    building_id=rooms[n % len(rooms)].building_id,
                    rrule=weighted[n % len(weighted)],
                    starts_at=start,
                    lead_days=7,
                )
            )
        session.commit()
        began = time.perf_counter()
        created = plans.generate_occurrences(session, start + timedelta(days=365))
        session.commit()
        elapsed = time.perf_counter() - began
        again_began = time.perf_counter()
        again = plans.generate_occurrences(session, start + timedelta(days=365))
        session.commit()
        again_elapsed = time.perf_counter() - again_began
        total = session.exec(select(func.count()).select_from(Inspection)).one()
    print(
        f"  year of occurrences for {PLANS} plans: {created} created in {elapsed:.2f} s "
        f"({created / elapsed:,.0f}/s); rows {total}; re-run {again} new in {again_elapsed * 1000:.0f} ms"
    )


def bench_my_day(url: str, data_dir: Path) -> None:
    engine = get_engine(url)
    with Session(engine) as session:
        rooms = list(session.exec(select(Room)))
        crews = []
        for n in range(CREWS):
            user = User(
                email=f"crew{n}@bench.kr",
                password_hash=hash_password(PASSWORD),
                role=Role.crew.value,
                full_name=f"crew {n}",
            )
            session.add(user)
            crews.append(user)
        session.flush()
        now = datetime.now(UTC)
        statuses = ["open", "assigned", "in_progress", "on_hold"]
        rows = [
            {
                "title": f"작업 {n}",
                "description": "",
                "status": statuses[n % 4],
                "priority": "normal",
                "assignee_id": crews[n % CREWS].id if n % 4 else None,
                "room_id": rooms[n % len(rooms)].id,
                "due_at": now + timedelta(hours=(n % 96) - 48),
                "source": "manual",
                "source_key": "",
                "needs_room": False,
                "minutes_spent": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(OPEN_WORK_ORDERS)
        ]
        session.connection().execute(insert(WorkOrder.__table__), rows)  # type: ignore[attr-defined]
        session.commit()
        assert session.exec(select(func.count()).select_from(WorkOrder)).one() == OPEN_WORK_ORDERS
        # Fresh bulk loads have no planner statistics yet; autovacuum would gather them in production.
        session.connection().execute(text("ANALYZE"))
        session.commit()
    settings = Settings(database_url=url, data_dir=data_dir, secret_key=secrets.token_urlsafe(48))
    app = create_app(settings)
    timings = []
    with TestClient(app) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": "crew1@bench.kr", "password": PASSWORD, "csrf_token": token})
        for _ in range(25):
            began = time.perf_counter()
            response = client.get("/maintenance/my-day")
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        stops = response.text.count("data-stop=")
    timings.sort()
    print(
        f"  my day with {OPEN_WORK_ORDERS} open work orders ({stops} stops shown for one crew): "
        f"median {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, "
        f"min {timings[0]:.1f} ms"
    )


def run(label: str, url: str, data_dir: Path) -> None:
    print(f"{label}:")
    upgrade_database(url)
    bench_generation(url)
    bench_my_day(url, data_dir)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", Path(tmp))
        if args.skip_pg:
            return
        name = f"facility_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run("PostgreSQL", args.pg.rsplit("/", 1)[0] + f"/{name}", Path(tmp))
        finally:
            get_engine(args.pg.rsplit("/", 1)[0] + f"/{name}").dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
