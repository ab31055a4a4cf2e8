"""Room kinds, statuses and seating layouts, with their Korean and English names."""

from __future__ import annotations

from enum import StrEnum

from facility.core import i18n


class RoomKind(StrEnum):
    lecture_room = "lecture_room"
    hybrid_lecture_hall = "hybrid_lecture_hall"
    hybrid_classroom = "hybrid_classroom"
    smart_classroom = "smart_classroom"
    seminar_room = "seminar_room"
    computer_lab = "computer_lab"
    studio = "studio"
    vr_room = "vr_room"
    auditorium = "auditorium"
    convention_hall = "convention_hall"
    multipurpose_hall = "multipurpose_hall"
    workshop = "workshop"
    library = "library"
    gallery = "gallery"
    lounge = "lounge"
    lobby = "lobby"
    cafeteria = "cafeteria"
    kitchen = "kitchen"
    dorm_room = "dorm_room"
    gym = "gym"
    pool = "pool"
    server_room = "server_room"
    office = "office"
    parking = "parking"
    outdoor = "outdoor"
    plant_room = "plant_room"


class RoomStatus(StrEnum):
    open = "open"
    closed = "closed"
    maintenance = "maintenance"


class RoomCategory(StrEnum):
    """How the Institute counts its spaces: 강의실, 특별실, or neither (dormitory, lobbies...)."""

    lecture = "lecture"
    special = "special"
    other = "other"


class Layout(StrEnum):
    theatre = "theatre"
    classroom = "classroom"
    u_shape = "u_shape"
    banquet = "banquet"


i18n.register(
    {
        "kind.lecture_room": ("강의실", "Lecture room"),
        "kind.hybrid_lecture_hall": ("종합영상강의실", "Hybrid lecture hall"),
        "kind.hybrid_classroom": ("하이브리드 연수실", "Hybrid classroom"),
        "kind.smart_classroom": ("스마트 연수실", "Smart classroom"),
        "kind.seminar_room": ("세미나실", "Seminar room"),
        "kind.computer_lab": ("컴퓨터실", "Computer lab"),
        "kind.studio": ("스튜디오", "Studio"),
        "kind.vr_room": ("VR 체험실", "VR room"),
        "kind.auditorium": ("강당", "Auditorium"),
        "kind.convention_hall": ("컨벤션홀", "Convention hall"),
        "kind.multipurpose_hall": ("다목적실", "Multipurpose hall"),
        "kind.workshop": ("노작교실", "Workshop"),
        "kind.library": ("자료실", "Library"),
        "kind.gallery": ("갤러리", "Gallery"),
        "kind.lounge": ("휴게 공간", "Lounge"),
        "kind.lobby": ("로비", "Lobby"),
        "kind.cafeteria": ("식당", "Dining hall"),
        "kind.kitchen": ("조리실", "Kitchen"),
        "kind.dorm_room": ("숙소", "Dormitory room"),
        "kind.gym": ("체력단련실", "Gym"),
        "kind.pool": ("수영장", "Swimming pool"),
        "kind.server_room": ("서버실", "Server room"),
        "kind.office": ("사무실", "Office"),
        "kind.parking": ("주차장", "Parking"),
        "kind.outdoor": ("야외 공간", "Outdoor space"),
        "kind.plant_room": ("기계실", "Plant room"),
        "status.open": ("운영 중", "Open"),
        "status.closed": ("폐쇄", "Closed"),
        "status.maintenance": ("보수 중", "Under maintenance"),
        "layout.theatre": ("극장식", "Theatre"),
        "layout.classroom": ("교실식", "Classroom"),
        "layout.u_shape": ("ㄷ자형", "U-shape"),
        "layout.banquet": ("연회식", "Banquet"),
        "category.lecture": ("강의실", "Lecture room"),
        "category.special": ("특별실", "Special room"),
        "category.other": ("기타 공간", "Other space"),
    }
)

i18n.register(
    {
        "rooms.title": ("시설 목록", "Rooms and halls"),
        "rooms.intro": (
            "건물, 유형, 수용 인원, 장비로 공간을 찾아보세요.",
            "Find a space by building, kind, capacity and equipment.",
        ),
        "rooms.filter.building": ("건물", "Building"),
        "rooms.filter.kind": ("유형", "Kind"),
        "rooms.filter.capacity": ("최소 인원", "Min. people"),
        "rooms.filter.layout": ("배치", "Layout"),
        "rooms.filter.equipment": ("장비", "Equipment"),
        "rooms.filter.q": ("이름 또는 코드", "Name or code"),
        "rooms.found": ("{n}개 공간", "{n} spaces"),
        "rooms.none": ("조건에 맞는 공간이 없습니다.", "No space matches these filters."),
        "rooms.bookable": ("대관 가능", "Rentable"),
        "rooms.dividable": ("분할 가능", "Dividable"),
        "rooms.details": ("시설 정보", "Details"),
        "rooms.building": ("위치", "Location"),
        "rooms.capacity": ("수용 인원", "Capacity"),
        "rooms.area": ("면적", "Area"),
        "rooms.accessible": ("장애인 접근", "Step-free access"),
        "rooms.category": ("구분", "Category"),
        "rooms.equipment": ("보유 장비", "Equipment"),
        "rooms.hours": ("운영 시간", "Opening hours"),
        "rooms.closed_day": ("휴관", "Closed"),
        "rooms.parts": ("분할 공간", "Parts of this space"),
        "rooms.parts_note": (
            "전체를 예약하면 분할 공간도 함께 예약됩니다.",
            "Booking the whole space books each of its parts.",
        ),
        "rooms.demo_values": ("데모용 추정값", "Demo values (not in the source report)"),
        "weekday.0": ("월", "Mon"),
        "weekday.1": ("화", "Tue"),
        "weekday.2": ("수", "Wed"),
        "weekday.3": ("목", "Thu"),
        "weekday.4": ("금", "Fri"),
        "weekday.5": ("토", "Sat"),
        "weekday.6": ("일", "Sun"),
    }
)
