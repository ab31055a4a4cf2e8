"""Tables of the campus catalogue."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from facility.rooms.kinds import RoomCategory, RoomStatus


class Campus(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)


class Building(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campus_id: int = Field(foreign_key="campus.id", index=True)
    code: str = Field(max_length=40, unique=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    sort_order: int = Field(default=0)
    # 사용승인월: yearly statutory checks (fire, lifts) fall due in this month.
    approval_month: int | None = Field(default=None, ge=1, le=12)


class Floor(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("building_id", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    level: int = Field(description="-1 = B1, 1 = 1F (there is no floor 0)")
    label: str = Field(max_length=10)


class Room(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    floor_id: int | None = Field(default=None, foreign_key="floor.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    kind: str = Field(sa_type=String(40), index=True)
    category: str = Field(default=RoomCategory.other.value, sa_type=String(20))
    capacity: int = Field(default=0, ge=0, index=True)
    area_m2: float | None = Field(default=None)
    accessible: bool = Field(default=True)
    bookable_external: bool = Field(default=False, index=True)
    status: str = Field(default=RoomStatus.open.value, sa_type=String(20), index=True)
    description: str = Field(default="", max_length=2000)
    # Fields whose values the 2023 report does not state are listed here for the demo campus.
    demo_values: str = Field(default="", max_length=300)


class RoomLayout(SQLModel, table=True):
    """Capacity per seating layout (theatre, classroom, U-shape, banquet)."""

    room_id: int = Field(foreign_key="room.id", primary_key=True)
    layout: str = Field(sa_type=String(20), primary_key=True)
    capacity: int = Field(ge=0)


class Equipment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(max_length=200)


class RoomEquipment(SQLModel, table=True):
    room_id: int = Field(foreign_key="room.id", primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True, index=True)
    quantity: int = Field(default=1, ge=1)


# Open until midnight ("24:00" in an import): a time cannot say 24:00, so the day's last instant.
END_OF_DAY = time.max


def closing_moment(day: date, closes: time, zone: tzinfo) -> datetime:
    """When a day's hours end: the next midnight for END_OF_DAY, else `closes` on `day`."""
    if closes == END_OF_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, closes, tzinfo=zone)


class OpeningHours(SQLModel, table=True):
    """Weekly hours for a building, or for one room overriding its building (times are local)."""

    __tablename__ = "opening_hours"
    __table_args__ = (UniqueConstraint("building_id", "room_id", "weekday"),)

    id: int | None = Field(default=None, primary_key=True)
    building_id: int | None = Field(default=None, foreign_key="building.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    opens: time | None = Field(default=None)
    closes: time | None = Field(default=None)
