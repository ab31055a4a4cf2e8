"""Demo fee schedules, set the way Korean public institutions publish rental fees (KRW, before
VAT). The amounts are demo values, not the Institute's published fees."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from facility.booking import blocks, common, flows, service
from facility.booking.models import Booking, FeeSchedule
from facility.core.accounts import get_user_by_email
from facility.core.errors import FacilityError
from facility.rooms.models import Room

EQUIPMENT_FEES = {
    "projector": 10_000,
    "wireless_mic": 5_000,
    "pa_system": 50_000,
    "stage_light": 80_000,
    "interpretation": 150_000,
    "video_conf": 30_000,
    "hybrid_system": 50_000,
    "laptop": 10_000,
}
# kind: (hourly, half day up to 4 h, full day up to 9 h, deposit)
DEMO_FEES: dict[str, tuple[int, int, int, int]] = {
    "lecture_room": (20_000, 70_000, 130_000, 0),
    "seminar_room": (10_000, 35_000, 60_000, 0),
    "hybrid_lecture_hall": (60_000, 200_000, 380_000, 100_000),
    "hybrid_classroom": (40_000, 140_000, 260_000, 0),
    "smart_classroom": (40_000, 140_000, 260_000, 0),
    "computer_lab": (40_000, 140_000, 260_000, 0),
    "auditorium": (120_000, 400_000, 750_000, 200_000),
    "convention_hall": (150_000, 500_000, 900_000, 300_000),
    "multipurpose_hall": (50_000, 170_000, 320_000, 0),
    "gym": (30_000, 100_000, 190_000, 0),
}


def load_demo_fees(session: Session) -> int:
    """Create or update one fee schedule per kind; returns how many."""
    for kind, (hourly, half_day, full_day, deposit) in DEMO_FEES.items():
        row = session.exec(select(FeeSchedule).where(FeeSchedule.room_kind == kind)).first()
        row = row or FeeSchedule(room_kind=kind)
        row.hourly, row.half_day, row.full_day, row.deposit = hourly, half_day, full_day, deposit
        row.equipment_fees = EQUIPMENT_FEES
        session.add(row)
    session.flush()
    return len(DEMO_FEES)


def load_demo_bookings(session: Session) -> int:
    """A few requests, an approved booking and a training blackout next week, so the console
    has something to show; only on a database with no bookings yet. Returns how many made."""
    renter = get_user_by_email(session, "renter@demo.facility.kr")
    manager = get_user_by_email(session, "manager@demo.facility.kr")
    if renter is None or manager is None or session.exec(select(Booking)).first() is not None:
        return 0
    zone = common.local_zone()
    today = datetime.now(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    rooms = {r.code: r for r in session.exec(select(Room))}

    def at(day: int, hour: int):  # type: ignore[no-untyped-def]
        return datetime.combine(monday + timedelta(days=day), time(hour), tzinfo=zone)

    made = 0
    plans = [
        ("E-201", 1, 10, 12, "학부모 독서 연수", 30, False),
        ("W-CONV-A", 2, 13, 17, "지역 교사 학술 발표회", 100, True),
        ("E-VH1", 3, 9, 12, "원격 수업 사례 나눔", 80, False),
    ]
    for code, day, start, end, title, people, approve in plans:
        room = rooms.get(code)
        if room is None:
            continue
        try:
            with session.begin_nested():
                booking = service.request_booking(
                    session,
                    renter,
                    {
                        "room_id": room.id,
                        "start": at(day, start),
                        "end": at(day, end),
                        "title": title,
                        "attendees": people,
                    },
                )
                if approve:
                    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
            made += 1
        except FacilityError:
            continue
    if "E-301" in rooms:
        for day in range(5):
            try:
                with session.begin_nested():
                    blocks.place_block(
                        session,
                        manager,
                        room_id=rooms["E-301"].id,  # type: ignore[arg-type]
                        starts_at=at(day, 9),
                        ends_at=at(day, 18),
                        reason="신규 교사 직무연수",
                        kind="training",
                    )
            except FacilityError:
                continue
    return made
