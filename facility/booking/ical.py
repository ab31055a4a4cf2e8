"""iCalendar: invitations attached to notifications, and token-protected feeds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from facility.booking.models import Booking, BookingStatus
from facility.core.db import utcnow
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.rooms.models import Room

PRODID = "-//SEN Training Institute//facility booking//KO"
UID_DOMAIN = "facility.sen.go.kr"
# The span each VTIMEZONE covers: before any booking kept, after the last one a renter may make.
TIMEZONE_FIRST_DATE = date(2020, 1, 1)
TIMEZONE_LAST_DATE = date(2040, 1, 1)


@lru_cache(maxsize=16)
def timezone_component(tzid: str) -> Timezone | None:
    """A zone's VTIMEZONE, built once per process (the app builds the campus zone's at start-up,
    before the first booking waits for it): walking twenty years of its transitions takes tens of
    milliseconds, which every notification's invitation used to pay again."""
    try:
        return Timezone.from_tzid(tzid, first_date=TIMEZONE_FIRST_DATE, last_date=TIMEZONE_LAST_DATE)
    except ValueError:
        return None


def _event(booking: Booking, room: Room | None, zone_name: str) -> Event:
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
    lines = [_("Status: {status}", status=label(f"bstatus.{booking.status}"))]
    if room is not None:
        lines.append(_("Place: {room}", room=f"{room.name_ko} ({room.code})"))
    lines.append(label("app.org"))
    event.add("description", "\n".join(lines))
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
    # RFC 5545 3.2.19: every TZID needs its VTIMEZONE (Outlook refuses the file without one).
    timezones = [tz for tzid in sorted(calendar.get_missing_tzids()) if (tz := timezone_component(tzid)) is not None]
    calendar.subcomponents[:0] = timezones
    return bytes(calendar.to_ical())


def booking_invite(booking: Booking, room: Room | None, zone_name: str) -> bytes:
    """A one-event calendar to attach to a notification."""
    return calendar_bytes([(booking, room)], zone_name, method="PUBLISH")
