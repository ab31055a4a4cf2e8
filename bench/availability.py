"""Benchmark: availability search and booking creation, through HTTP, on SQLite and PostgreSQL.

For each database: a fresh schema, the demo campus, N existing bookings (default 100,000), the app
served by uvicorn in its own process on a loopback port; then p50/p95 of
`GET /api/v1/availability` for every demo room over one week (as a manager, who sees all rooms) and
of the manager's calendar over that week (`GET /api/v1/calendar`, what the week page reads) of one
building of 250 rooms and of every room, beside `GET /healthz` of the same app in the same run.
With `--against DIR` another checkout is served on the same database and measured in turns with
this one (before and after in one run). Booking under contention is measured by bench/contention.py.

    .venv/bin/python bench/availability.py                       # both databases, 100,000 bookings
    .venv/bin/python bench/availability.py --backends postgresql --rooms 1000 --bookings 1000000 \
        --against ../main

On PostgreSQL the bookings and their claims are loaded with COPY (1M in a minute or two); the
exclusion constraint still checks every claim as it arrives.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, func, insert, text, update
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contention import SECRET, Server  # noqa: E402 (bench/, this script's directory)

from facility.booking.demo import load_demo_fees  # noqa: E402
from facility.booking.models import Booking, SpaceClaim  # noqa: E402
from facility.core.db import get_engine, upgrade_database  # noqa: E402
from facility.core.models import Organization, Role, User  # noqa: E402
from facility.core.security import hash_password, issue_token  # noqa: E402
from facility.demo.load import load_demo_campus  # noqa: E402
from facility.rooms.models import Building, Room  # noqa: E402

SEOUL = ZoneInfo("Asia/Seoul")
PG_ADMIN_URL = os.environ.get("FACILITY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Three bookings a day per room, far enough apart for any buffer.
DAILY_SLOTS = ((9, 11), (13, 15), (18, 20))
# The added rooms come in buildings of this many: the calendar is measured on one of them.
BUILDING_ROOMS = 250
BOOKING_COLUMNS = (
    "id room_id organization_id title attendees notes starts_at ends_at status status_reason equipment quote "
    "price_total cancellation_fee purpose created_at updated_at"
).split()
CLAIM_COLUMNS = "space_id booking_id share_key starts_at ends_at active".split()


def add_rooms(session: Session, count: int) -> None:
    """Extra plain lecture rooms for the scale run, in buildings of BUILDING_ROOMS rooms."""
    existing = session.exec(select(Room)).all()
    if len(existing) >= count:
        return
    campus_id = session.exec(select(Building)).first().campus_id  # type: ignore[union-attr]
    buildings = []
    for n in range(-(-(count - len(existing)) // BUILDING_ROOMS)):
        building = Building(campus_id=campus_id, code=f"bench-{n}", name_ko=f"벤치동 {n}", name_en=f"Bench {n}")
        session.add(building)
        buildings.append(building)
    session.flush()
    session.execute(
        insert(Room),
        [
            {
                "code": f"BENCH-{i:04d}",
                "building_id": buildings[i // BUILDING_ROOMS].id,
                "name_ko": f"벤치 {i}",
                "name_en": f"Bench {i}",
                "kind": "lecture_room",
                "category": "lecture",
                "capacity": 30,
                "bookable_external": True,
                "status": "open",
                "accessible": True,
                "description": "",
                "demo_values": "",
            }
            for i in range(count - len(existing))
        ],
    )
    session.commit()


def seed(url: str, bookings: int, rooms: int) -> tuple[int, list[str], date]:
    """Migrate, load the demo campus and N bookings; returns the manager id, renter tokens, week."""
    upgrade_database(url)
    engine = get_engine(url)
    with Session(engine) as session:
        load_demo_campus(session)
        load_demo_fees(session)
        session.commit()
        if rooms:
            add_rooms(session, rooms)
        parents = {p for p in session.exec(select(Room.parent_id)) if p is not None}
        leaves = [r for r in session.exec(select(Room.id).order_by(Room.id)) if r not in parents]
        org = Organization(name="bench org", status="approved", kind="private")
        session.add(org)
        session.flush()
        password = hash_password("bench-password")
        manager = User(email="manager@bench.kr", password_hash=password, role=Role.manager.value)
        session.add(manager)
        renters = []
        for i in range(48):
            renter_org = Organization(name=f"renter org {i}", status="approved")
            session.add(renter_org)
            session.flush()
            renter = User(
                email=f"renter{i}@bench.kr",
                password_hash=password,
                role="renter",
                organization_id=renter_org.id,
            )
            session.add(renter)
            renters.append(renter)
        session.commit()
        today = datetime.now(SEOUL).date()
        week = today + timedelta(days=14 - today.weekday())
        per_room = -(-bookings // len(leaves))
        days_back = per_room // len(DAILY_SLOTS) // 2
        first_day = week - timedelta(days=days_back)
        rows, claims = [], []
        booking_id = 0
        now = datetime.now(UTC)
        for room_id in leaves:
            for n in range(per_room):
                if booking_id >= bookings:
                    break
                day = first_day + timedelta(days=n // len(DAILY_SLOTS))
                start_h, end_h = DAILY_SLOTS[n % len(DAILY_SLOTS)]
                start = datetime(day.year, day.month, day.day, start_h, tzinfo=SEOUL).astimezone(UTC)
                end = datetime(day.year, day.month, day.day, end_h, tzinfo=SEOUL).astimezone(UTC)
                booking_id += 1
                status = "completed" if start < now else "confirmed"
                rows.append(
                    {
                        "purpose": "general",
                        "id": booking_id,
                        "room_id": room_id,
                        "organization_id": org.id,
                        "title": "bench",
                        "attendees": 10,
                        "notes": "",
                        "starts_at": start,
                        "ends_at": end,
                        "status": status,
                        "status_reason": "",
                        "equipment": {},
                        "quote": {},
                        "price_total": 0,
                        "cancellation_fee": 0,
                        "created_at": start,
                        "updated_at": start,
                    }
                )
                claims.append(
                    {
                        "space_id": room_id,
                        "booking_id": booking_id,
                        "share_key": booking_id,
                        "starts_at": start - timedelta(hours=1),
                        "ends_at": end + timedelta(hours=1),
                        "active": True,
                    }
                )
                if len(rows) >= 20_000:
                    write_rows(session, rows, claims)
                    rows, claims = [], []
        if rows:
            write_rows(session, rows, claims)
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT setval('booking_id_seq', (SELECT max(id) FROM booking))"))
            session.commit()
        manager_id, renter_ids = manager.id, [r.id for r in renters]
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return manager_id, [issue_token(SECRET, r) for r in renter_ids], week  # type: ignore[arg-type, return-value]


def reused(url: str) -> tuple[int, date]:
    """The manager and week of a database seeded by an earlier run (`--keep`)."""
    with Session(get_engine(url)) as session:
        manager = session.exec(select(User).where(User.email == "manager@bench.kr")).one()
    today = datetime.now(SEOUL).date()
    return manager.id, today + timedelta(days=14 - today.weekday())  # type: ignore[return-value]


def write_rows(session: Session, rows: list[dict[str, object]], claims: list[dict[str, object]]) -> None:
    """Bookings and their claims, committed: COPY on PostgreSQL, multi-row INSERT elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(Booking), rows)
        session.execute(insert(SpaceClaim), claims)
        session.commit()
        return
    cursor = session.connection().connection.cursor()
    for table, columns, items in (("booking", BOOKING_COLUMNS, rows), ("space_claim", CLAIM_COLUMNS, claims)):
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for item in items:
                copy.write_row([json.dumps(item[c]) if isinstance(item[c], dict) else item[c] for c in columns])
    session.commit()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def measure(
    client: httpx.Client,
    path: str,
    params: Callable[[int], dict[str, str]],
    requests: int,
    before: Callable[[int], None] | None = None,
) -> list[float]:
    """Latencies of `requests` GETs; `params(i)` gives the i-th query, `before(i)` runs untimed first."""
    for i in range(2):
        client.get(path, params=params(-1 - i)).raise_for_status()
    samples = []
    for i in range(requests):
        if before:
            before(i)
        query = params(i)
        started = time.perf_counter()
        response = client.get(path, params=query)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


class Changes:
    """Untimed changes between searches, as another process makes them: each moves one claim of
    the week by a minute, in the next room, so the next search finds one room changed."""

    def __init__(self, url: str, week: date) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.week, self.done = week, 0

    def move_one(self, _i: int) -> None:
        start = datetime(self.week.year, self.week.month, self.week.day, tzinfo=SEOUL)
        claim = (
            select(SpaceClaim.id, SpaceClaim.starts_at)
            .where(SpaceClaim.starts_at >= start, SpaceClaim.starts_at < start + timedelta(days=7))
            .where(SpaceClaim.active)
            .order_by(SpaceClaim.space_id, SpaceClaim.starts_at)
            .offset(self.done * 21)
            .limit(1)
        )
        with self.engine.connect() as connection:
            claim_id, starts_at = connection.execute(claim).one()
            moved = (
                update(SpaceClaim).where(SpaceClaim.id == claim_id).values(starts_at=starts_at + timedelta(minutes=1))
            )
            connection.execute(moved)
        self.done += 1


def run(backend: str, args: argparse.Namespace) -> None:
    data_dir = tempfile.mkdtemp(prefix="bench-")
    pg_name = None
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    if backend == "sqlite":
        url = f"sqlite:///{data_dir}/bench.db"
    elif args.reuse:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{args.reuse}"
    else:
        pg_name = f"facility_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{pg_name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_name}"
    try:
        started = time.perf_counter()
        if args.reuse and backend == "postgresql":
            manager_id, week = reused(url)
        else:
            manager_id, _tokens, week = seed(url, args.bookings, args.rooms)
        with Session(get_engine(url)) as session:
            room_count = len(session.exec(select(Room.id)).all())
        with Session(get_engine(url)) as session:
            booking_count = session.exec(select(func.count()).select_from(Booking)).one()
        print(
            f"\n[{backend}] {'reused' if args.reuse else 'seeded'} {booking_count:,} bookings over {room_count} rooms "
            f"in {time.perf_counter() - started:.0f} s; week of {week}",
            flush=True,
        )
        builds = [("this", ROOT)] + ([(str(args.against), args.against)] if args.against else [])
        results: dict[str, dict[str, list[float]]] = {name: {} for name, _code in builds}
        headers = {"Authorization": f"Bearer {issue_token(SECRET, manager_id)}"}
        start = datetime(week.year, week.month, week.day, tzinfo=SEOUL)
        params = {"start": start.isoformat(), "end": (start + timedelta(days=7)).isoformat()}
        days = {"from": week.isoformat(), "to": (week + timedelta(days=6)).isoformat()}
        changes = Changes(url, week)
        shifted: dict[str, int] = {}

        def same(query: dict[str, str]) -> Callable[[int], dict[str, str]]:
            return lambda _i: query

        def a_new_window(name: str) -> Callable[[int], dict[str, str]]:
            """A week's window never asked of this server before: one more day later each time."""

            def query(_i: int) -> dict[str, str]:
                shifted[name] = shifted.get(name, 0) + 1
                moved = start + timedelta(days=shifted[name])
                return {"start": moved.isoformat(), "end": (moved + timedelta(days=7)).isoformat()}

            return query

        # (case, path, query per build, run untimed before each request)
        cases: list[tuple[str, str, Callable[[str], Callable[[int], dict[str, str]]], Any]] = [
            ("availability, all rooms, 1 week", "/api/v1/availability", lambda _n: same(params), None),
            ("availability, one room changed", "/api/v1/availability", lambda _n: same(params), changes.move_one),
            ("availability, a week not asked", "/api/v1/availability", a_new_window, None),
            ("calendar, all rooms, 1 week", "/api/v1/calendar", lambda _n: same(days), None),
            ("/healthz", "/healthz", lambda _n: same({}), None),
        ]
        if args.rooms > BUILDING_ROOMS:
            one_building = {**days, "building": "bench-0"}
            cases.insert(
                3,
                (f"calendar, {BUILDING_ROOMS} rooms, 1 week", "/api/v1/calendar", lambda _n: same(one_building), None),
            )
        servers = [(name, Server(url, data_dir, code=code)) for name, code in builds]
        try:
            with httpx.Client(headers=headers, timeout=60) as client:
                for name, server in servers:
                    found = client.get(f"{server.base}/api/v1/availability", params=params).json()["items"]
                    assert len(found) == room_count, (name, len(found), room_count)
                # In turns, a tenth of the requests at a time, so the machine's load meets both builds alike.
                for _turn in range(10):
                    for case, path, query, before in cases:
                        for name, server in servers:
                            samples = measure(
                                client, server.base + path, query(name), max(1, args.requests // 10), before
                            )
                            results[name].setdefault(case, []).extend(samples)
            print(f"[{backend}] load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
            for case, *_rest in cases:
                for name, _code in builds:
                    p50, p95 = percentiles(results[name][case])
                    print(
                        f"[{backend}] {case:34} {name:>10}  p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
                        f"   (n={len(results[name][case])})",
                        flush=True,
                    )
        finally:
            for _name, server in servers:
                server.stop()
    finally:
        get_engine(url).dispose()
        if args.keep and pg_name:
            print(f"[{backend}] kept database {pg_name} (--reuse {pg_name})", flush=True)
        elif pg_name:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--rooms", type=int, default=0, help="add plain rooms up to this many")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for --reuse")
    parser.add_argument("--reuse", help="a PostgreSQL database kept by --keep: measure without seeding")
    parser.add_argument(
        "--against", type=Path, help="another checkout of facility, served on the same database and measured in turns"
    )
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend.strip(), args)


if __name__ == "__main__":
    main()
