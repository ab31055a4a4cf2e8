"""Open data: the rentable rooms in the field names the public portals read, 공유누리 (eshare.go.kr)
and 서울시 공공서비스예약 (the Seoul open-data API `ListPublicReservation*`), so a portal can list them.

One record per rentable room (bookable by outsiders, open) carries both field sets. The feed is
memoised on the committed read model (rooms, fees, hours: core/memo.py) and served with a
public Cache-Control, so a portal polling it costs one query per change. docs/booking.md
lists every field and where its value comes from.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from facility.booking import pricing, rules
from facility.booking.common import local_zone
from facility.core import memo
from facility.core.config import active_settings
from facility.core.db import utcnow
from facility.core.i18n import translate
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Building, Campus, Room

# 공유누리 (행정안전부 공공자원 개방 표준): the fields this feed fills, in the portal's order.
ESHARE_FIELDS = (
    "rsrcNo",
    "rsrcNm",
    "rsrcClsCd",
    "rsrcClsNm",
    "instNm",
    "usePsblYn",
    "freeYn",
    "amt1",
    "amt2",
    "usePrpse",
    "addr",
    "lat",
    "lot",
    "area",
    "capacity",
    "rsvtNdlsYn",
    "instUrlAddr",
    "updYmd",
)
# 서울시 공공서비스예약 (서울 열린데이터광장, 공간시설 예약): its column names.
SEOUL_FIELDS = (
    "SVCID",
    "SVCNM",
    "MINCLASSNM",
    "PLACENM",
    "SVCSTATNM",
    "PAYATNM",
    "USETGTINFO",
    "SVCURL",
    "X",
    "Y",
    "V_MIN",
    "V_MAX",
    "REVSTDDAY",
)
FIELDS = ESHARE_FIELDS + SEOUL_FIELDS
# Resource classes (자원분류) as 공유누리 groups spaces: our room kinds mapped onto them.
ESHARE_CLASSES: dict[str, tuple[str, str]] = {
    "meeting": ("SPC001", "회의실"),
    "lecture": ("SPC002", "강의실"),
    "hall": ("SPC003", "강당·공연장"),
    "sports": ("SPC004", "체육시설"),
    "other": ("SPC099", "기타 공간"),
}
KIND_CLASS = {
    "seminar_room": "meeting",
    "lounge": "meeting",
    "auditorium": "hall",
    "convention_hall": "hall",
    "multipurpose_hall": "hall",
    "gym": "sports",
    "pool": "sports",
    "lecture_room": "lecture",
    "hybrid_lecture_hall": "lecture",
    "hybrid_classroom": "lecture",
    "smart_classroom": "lecture",
    "computer_lab": "lecture",
}


def _rentable(session: Session) -> list[Room]:
    query = select(Room).where(col(Room.bookable_external).is_(True), Room.status == RoomStatus.open.value)
    return list(session.exec(query.order_by(Room.code)))


def _record(session: Session, room: Room, building: Building | None, campus: Campus | None) -> dict[str, Any]:
    settings = active_settings()
    institution = settings.institution
    schedule = pricing.schedule_for(session, room)
    hourly = schedule.hourly if schedule else 0
    full_day = schedule.full_day if schedule else 0
    free = hourly == 0 and full_day == 0
    klass, klass_name = ESHARE_CLASSES[KIND_CLASS.get(room.kind, "other")]
    spans = [s for s in (rooms_service.opening_hours(session, room, day) for day in range(7)) if s]
    opens = min((s[0] for s in spans), default=None)
    closes = max((s[1] for s in spans), default=None)
    url = f"{institution.url.rstrip('/')}/rooms/{room.id}" if institution.url else f"/rooms/{room.id}"
    place = " ".join(filter(None, [building.name_ko if building else "", room.name_ko]))
    kind_name = translate(f"kind.{room.kind}", "ko")
    purpose = room.description or kind_name
    address = institution.address or (campus.address if campus else "")
    days_ahead = rules.MIN_LEAD.days
    return {
        "rsrcNo": room.code,
        "rsrcNm": place,
        "rsrcClsCd": klass,
        "rsrcClsNm": klass_name,
        "instNm": institution.name or translate("app.org", "ko"),
        "usePsblYn": "Y",
        "freeYn": "Y" if free else "N",
        "amt1": hourly,
        "amt2": full_day,
        "usePrpse": purpose[:500],
        "addr": address,
        "lat": institution.latitude,
        "lot": institution.longitude,
        "area": room.area_m2,
        "capacity": room.capacity,
        "rsvtNdlsYn": "Y",
        "instUrlAddr": url,
        "updYmd": utcnow().astimezone(local_zone()).strftime("%Y%m%d"),
        "SVCID": room.code,
        "SVCNM": f"{place} 대관",
        "MINCLASSNM": kind_name,
        "PLACENM": place,
        "SVCSTATNM": "접수중",
        "PAYATNM": "무료" if free else "유료",
        "USETGTINFO": "누구나 (단체 회원 가입 후 신청, 승인제)",
        "SVCURL": url,
        "X": institution.longitude,
        "Y": institution.latitude,
        "V_MIN": opens.strftime("%H:%M") if opens else "",
        "V_MAX": closes.strftime("%H:%M") if closes else "",
        "REVSTDDAY": days_ahead,
    }


def _read_feed(session: Session) -> tuple[dict[str, Any], ...]:
    rooms = _rentable(session)
    buildings = {b.id: b for b in session.exec(select(Building))}
    campuses = {c.id: c for c in session.exec(select(Campus))}
    records = []
    for room in rooms:
        building = buildings.get(room.building_id)
        campus = campuses.get(building.campus_id) if building else None
        records.append(_record(session, room, building, campus))
    return tuple(records)


def facilities(session: Session) -> tuple[dict[str, Any], ...]:
    """Every rentable room as one record of `FIELDS`; memoised until rooms, fees or hours change."""
    return memo.remembered(session, "booking.open_data", ("room", "fee_schedule", "opening_hours"), _read_feed)


def as_rows(records: tuple[dict[str, Any], ...]) -> list[list[Any]]:
    """The CSV: the header of field names, then one row per room."""
    return [list(FIELDS), *[["" if r[f] is None else r[f] for f in FIELDS] for r in records]]
