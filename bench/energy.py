"""Benchmark: comfort windows for 1,000 rooms x a day of bookings on PostgreSQL (goal: under 1 s).

A fresh database with N rooms (a mix of lecture rooms, halls, studios, dormitory rooms and a few
plant rooms), three confirmed bookings a room on one day plus a training block on every tenth
room; then the time to compute every room's windows and mode segments for that day
(`energy.service.room_days`, what the drive job and the "building today" page read), and one
drive tick (`energy.drive.drive`: windows, modes, presence and the desired states of every room,
against an empty reading store, each thermostat's setpoint and mode set through the command
path's `set_desired`). Prints p50 and max of the runs.

    .venv/bin/python bench/energy.py                    # 1,000 rooms on PostgreSQL
    .venv/bin/python bench/energy.py --rooms 5000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facility.booking.models import Block, Booking  # noqa: E402
from facility.core.config import EnergySettings  # noqa: E402
from facility.core.db import get_engine, upgrade_database  # noqa: E402
from facility.energy import commands, drive, service  # noqa: E402
from facility.rooms.models import Building, Campus, Room  # noqa: E402
from facility.sensors.command_models import DesiredState  # noqa: E402
from facility.sensors.models import Device  # noqa: E402
from facility.sensors.store.sql import SqlStore  # noqa: E402

SEOUL = ZoneInfo("Asia/Seoul")
PG_ADMIN_URL = os.environ.get("FACILITY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("lecture_room",) * 6 + ("seminar_room", "auditorium", "studio", "dorm_room")
SLOTS = ((9, 11), (13, 15), (18, 20))


def populate(url: str, rooms: int, day: date) -> None:
    with Session(get_engine(url)) as session:
        campus = Campus(code="bench", name_ko="벤치", name_en="Bench")
        session.add(campus)
        session.flush()
        building = Building(campus_id=campus.id, code="bench", name_ko="벤치동", name_en="Bench")
        session.add(building)
        session.flush()
        session.execute(
            insert(Room),
            [
                {
                    "code": f"E-{i:05d}",
                    "building_id": building.id,
                    "name_ko": f"공간 {i}",
                    "name_en": f"Room {i}",
                    "kind": "plant_room" if i % 100 == 0 else KINDS[i % len(KINDS)],
                    "category": "lecture",
                    "capacity": 30,
                    "bookable_external": True,
                    "status": "open",
                    "accessible": True,
                    "description": "",
                    "demo_values": "",
                }
                for i in range(rooms)
            ],
        )
        ids = [row[0] for row in session.execute(text("SELECT id FROM room ORDER BY id"))]
        now = datetime.now(UTC)

        def at(hour: int) -> datetime:
            return datetime.combine(day, clock(hour), tzinfo=SEOUL).astimezone(UTC)

        session.execute(
            insert(Booking),
            [
                {
                    "room_id": room_id,
                    "title": "벤치 강의",
                    "attendees": 20,
                    "notes": "",
                    "starts_at": at(start),
                    "ends_at": at(end),
                    "status": "confirmed",
                    "status_reason": "",
                    "equipment": {},
                    "quote": {},
                    "price_total": 0,
                    "cancellation_fee": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for room_id in ids
                for start, end in SLOTS
            ],
        )
        session.execute(
            insert(Block),
            [
                {
                    "room_id": room_id,
                    "kind": "training",
                    "reason": "연수 과정",
                    "source_ref": "",
                    "starts_at": at(7),
                    "ends_at": at(9),
                    "created_at": now,
                }
                for room_id in ids[::10]
            ],
        )
        session.execute(
            insert(Device),
            [
                {
                    "code": f"thermo-{room_id}",
                    "profile": "facility",
                    "room_id": room_id,
                    "reported_building": "bench",
                    "reported_room": str(room_id),
                    "label": "",
                    "metrics": "temperature,setpoint,hvac_mode,occupancy",
                    "online": True,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for room_id in ids
            ],
        )
        devices = [row[0] for row in session.execute(text("SELECT id FROM device ORDER BY id"))]
        session.execute(
            insert(DesiredState),
            [
                {
                    "device_id": d,
                    "channel": c,
                    "kind": c,
                    "state": "idle",
                    "updated_at": now,
                    "actor": "",
                    "source": "manual",
                }
                for d in devices
                for c in ("setpoint", "mode")
            ],
        )
        session.commit()


def timed(runs: int, call) -> list[float]:  # type: ignore[no-untyped-def]
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        spent.append(time.perf_counter() - started)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    name = f"facility_bench_energy_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        day = datetime.now(SEOUL).date() + timedelta(days=1)
        populate(url, args.rooms, day)
        engine = get_engine(url)
        bounds = EnergySettings()
        store = SqlStore(engine)
        with Session(engine) as session:
            rooms = service.controlled_rooms(session)
            windows = timed(args.runs, lambda: service.room_days(session, rooms, day, SEOUL, bounds))
            days = service.room_days(session, rooms, day, SEOUL, bounds)
        counted = sum(len(d.windows) for d in days)

        def tick(deliver: drive.Deliver) -> None:
            with Session(engine) as session:
                # Every room changes mode at 08:55 (a 09:00 start's window opened at 08:30 or earlier).
                at = datetime.combine(day, clock(8, 55), tzinfo=SEOUL)
                drive.drive(session, store, at, SEOUL, bounds, deliver=deliver)
                session.rollback()  # measure the same first tick each run

        # Side by side in one run, alternating so the machine's load falls on both alike.
        each: list[float] = []
        bulk: list[float] = []
        for _ in range(max(3, args.runs // 2)):
            each += timed(1, lambda: tick(commands.deliver_each))
            bulk += timed(1, lambda: tick(commands.deliver))
        print(f"rooms {len(rooms)}, bookings {len(rooms) * len(SLOTS)}, windows {counted} (PostgreSQL)")
        print(
            f"windows and modes of every room for a day: p50 {statistics.median(windows) * 1000:.0f} ms, "
            f"max {max(windows) * 1000:.0f} ms over {args.runs} runs (goal < 1000 ms)"
        )
        print(f"one drive tick, every room changing mode ({len(rooms) * 2} desired states, {len(each)} runs each):")
        for label, spent in (("one set_desired a channel", each), ("set_desired_many (bulk)", bulk)):
            print(f"  {label:28} p50 {statistics.median(spent) * 1000:7.0f} ms, max {max(spent) * 1000:7.0f} ms")
        print(f"  speed-up (p50): x{statistics.median(each) / statistics.median(bulk):.1f}")
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
