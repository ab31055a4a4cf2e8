"""API shapes of the campus catalogue."""

from __future__ import annotations

from pydantic import BaseModel, Field

from facility.rooms.kinds import RoomKind, RoomStatus


class EquipmentPublic(BaseModel):
    code: str
    name_ko: str
    name_en: str
    quantity: int = 1


class RoomPublic(BaseModel):
    id: int
    code: str
    name_ko: str
    name_en: str
    kind: str
    category: str
    capacity: int
    layouts: dict[str, int] = Field(default_factory=dict)
    area_m2: float | None
    accessible: bool
    bookable_external: bool
    status: str
    building: str
    building_name_ko: str
    building_name_en: str
    campus: str
    floor: str | None
    parent_id: int | None
    part_ids: list[int] = Field(default_factory=list)
    equipment: list[EquipmentPublic] = Field(default_factory=list)
    description: str = ""
    demo_values: str = ""


class RoomList(BaseModel):
    items: list[RoomPublic]
    total: int


class RoomUpdate(BaseModel):
    """Fields a manager may change; all optional."""

    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    kind: RoomKind | None = None
    capacity: int | None = Field(default=None, ge=0, le=10_000)
    bookable_external: bool | None = None
    status: RoomStatus | None = None
    description: str | None = Field(default=None, max_length=2000)


class BuildingPublic(BaseModel):
    id: int
    code: str
    name_ko: str
    name_en: str
    campus: str
    floors: list[str]
    room_count: int
    approval_month: int | None = Field(default=None, description="사용승인월 (month of use approval)")


class RoomFilters(BaseModel):
    building: str | None = None
    campus: str | None = None
    kind: str | None = None
    min_capacity: int | None = Field(default=None, ge=0)
    layout: str | None = None
    bookable: bool | None = None
    equipment: list[str] = Field(default_factory=list)
    q: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


Code = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class BuildingCreate(BaseModel):
    code: str = Code
    campus: str = Field(min_length=1, max_length=40, description="campus code")
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    sort_order: int = Field(default=0, ge=0, le=10_000)
    approval_month: int | None = Field(default=None, ge=1, le=12, description="사용승인월 (month of use approval)")


class BuildingUpdate(BaseModel):
    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    sort_order: int | None = Field(default=None, ge=0, le=10_000)
    approval_month: int | None = Field(default=None, ge=1, le=12, description="사용승인월 (month of use approval)")


class RoomCreate(BaseModel):
    code: str = Code
    building: str = Field(min_length=1, max_length=40, description="building code")
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: RoomKind
    capacity: int = Field(default=0, ge=0, le=10_000)
    area_m2: float | None = Field(default=None, ge=0, le=1_000_000)
    bookable_external: bool = False
    status: RoomStatus = RoomStatus.open
    description: str = Field(default="", max_length=2000)


class EquipmentItem(BaseModel):
    id: int
    code: str
    name_ko: str
    name_en: str


class EquipmentCreate(BaseModel):
    code: str = Code
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)


class EquipmentUpdate(BaseModel):
    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
