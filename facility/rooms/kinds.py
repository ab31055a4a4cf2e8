"""Room kinds, statuses and seating layouts (their Korean and English names are in the rooms catalogue)."""

from __future__ import annotations

from enum import StrEnum


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
