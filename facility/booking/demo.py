"""Demo fee schedules, set the way Korean public institutions publish rental fees (KRW, before
VAT). The amounts are demo values, not the Institute's published fees."""

from __future__ import annotations

from sqlmodel import Session, select

from facility.booking.models import FeeSchedule

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
