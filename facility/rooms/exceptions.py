from facility.core.errors import NotFound
from facility.core.i18n import gettext as _


class RoomNotFound(NotFound):
    code = "room_not_found"

    def __init__(self, room_id: object) -> None:
        super().__init__(_("Room {room} does not exist.", room=room_id))
