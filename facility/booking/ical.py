"""iCalendar: invitations attached to notifications, and token-protected feeds."""

from __future__ import annotations

from collections.abc import Iterable

from icalendar import Calendar, Event

from facility.booking.models import Booking, BookingStatus
from facility.core.db import utcnow
from facility.rooms.models import Room

PRODID = "-//SEN Training Institute//facility booking//KO"
UID_DOMAIN = "facility.sen.go.kr"


def _event(booking: Booking, room: Room | None, zone_name: str) -> Event:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    event = Event()
    event.add("uid", f"booking-{booking.id}@{UID_DOMAIN}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", booking.starts_at.astimezone(zone))
    event.add("dtend", booking.ends_at.astimezone(zone))
    event.add("summary", booking.title)
    if room is not None:
        event.add("location", f"{room.name_ko} ({room.code})")
    cancelled = booking.status in {
        BookingStatus.cancelled,
        BookingStatus.rejected,
        BookingStatus.expired,
        BookingStatus.no_show,
    }
    event.add(
        "status",
        "CANCELLED"
        if cancelled
        else ("TENTATIVE" if booking.status in {BookingStatus.held, BookingStatus.requested} else "CONFIRMED"),
    )
    event.add("description", f"status: {booking.status}")
    return event


def calendar_bytes(
    items: Iterable[tuple[Booking, Room | None]],
    zone_name: str,
    *,
    name: str = "",
    method: str = "",
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone_name)
    for booking, room in items:
        calendar.add_component(_event(booking, room, zone_name))
    return bytes(calendar.to_ical())


def booking_invite(booking: Booking, room: Room | None, zone_name: str) -> bytes:
    """A one-event calendar to attach to a notification."""
    return calendar_bytes([(booking, room)], zone_name, method="PUBLISH")
