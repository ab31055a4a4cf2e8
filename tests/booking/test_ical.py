"""The .ics files: RFC 5545 content lines, a VTIMEZONE for every TZID, descriptions in Korean."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from facility.booking import ical
from facility.booking.models import Booking
from facility.core import i18n
from facility.rooms.models import Room

CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(;[A-Za-z0-9-]+=[^\x00-\x1f\x7f]*)*:[^\x00-\x08\x0a-\x1f\x7f]*$")


def _feed() -> bytes:
    room = Room(id=7, code="A-AUD", name_ko="대강당", name_en="Auditorium")
    starts = datetime(2027, 3, 2, 1, 0, tzinfo=UTC)
    later = starts + timedelta(days=200)  # a second event in another season
    bookings = [
        Booking(
            id=1, room_id=7, title="교원 연수", starts_at=starts, ends_at=starts + timedelta(hours=2), status="approved"
        ),
        Booking(
            id=2, room_id=7, title="설명회", starts_at=later, ends_at=later + timedelta(hours=1), status="cancelled"
        ),
    ]
    return ical.calendar_bytes([(b, room) for b in bookings], "Asia/Seoul", name="대강당")


def strict_lines(data: bytes) -> list[str]:
    """Unfold and check every content line as RFC 5545 3.1 writes it; fail on anything looser."""
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    physical = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical), "a line longer than 75 octets"
    lines: list[str] = []
    for raw in physical:
        text = raw.decode("utf-8")  # strict: the file must be UTF-8
        if text.startswith((" ", "\t")):
            lines[-1] += text[1:]
        else:
            lines.append(text)
    depth: list[str] = []
    for line in lines:
        assert CONTENT_LINE.match(line), line
        name, _, value = line.partition(":")
        if name == "BEGIN":
            depth.append(value)
        elif name == "END":
            assert depth.pop() == value, line
    assert depth == []
    return lines


def test_every_tzid_has_its_vtimezone_and_the_file_is_strict() -> None:
    lines = strict_lines(_feed())
    used = {m for line in lines for m in re.findall(r";TZID=([^;:]+)", line.split(":")[0] + ":")}
    defined = {line.split(":", 1)[1] for line in lines if line.startswith("TZID:")}
    assert used == {"Asia/Seoul"} and used <= defined
    # Each VTIMEZONE comes before the events and says its offset (+0900, no summer time since 1988).
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")
    assert "TZOFFSETTO:+0900" in lines
    calendar = Calendar.from_ical(_feed())
    [zone] = calendar.walk("VTIMEZONE")
    assert zone.walk("STANDARD") and not calendar.get_missing_tzids()
    first = calendar.walk("VEVENT")[0]
    assert first.decoded("dtstart") == datetime(2027, 3, 2, 10, 0, tzinfo=first.decoded("dtstart").tzinfo)


def test_descriptions_are_korean_by_default_and_english_on_request() -> None:
    events = Calendar.from_ical(_feed()).walk("VEVENT")
    assert str(events[0]["description"]).splitlines() == [
        "상태: 승인",
        "장소: 대강당 (A-AUD)",
        "서울특별시교육청교육연수원",
    ]
    assert str(events[1]["status"]) == "CANCELLED" and "상태: 취소" in str(events[1]["description"])
    token = i18n.current_language.set("en")
    try:
        english = Calendar.from_ical(_feed()).walk("VEVENT")[0]
    finally:
        i18n.current_language.reset(token)
    assert str(english["description"]).startswith("Status: Approved\nPlace: 대강당 (A-AUD)")
