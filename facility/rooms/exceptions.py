from facility.core.errors import NotFound


class RoomNotFound(NotFound):
    code = "room_not_found"

    def __init__(self, room_id: object) -> None:
        super().__init__(f"Room {room_id} does not exist.")
