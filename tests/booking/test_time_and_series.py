"""Times entered in Asia/Seoul: month ends, leap days, and a series that crosses a year end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking import queries, service
from facility.booking.exceptions import BookingRuleViolation
from facility.booking.models import Booking, BookingSeries, OrganizationQuota
from facility.booking.series import expand
from facility.core.models import Role
from tests.booking.helpers import SEOUL, seoul
from tests.factories import make_room, make_user, token_headers


def _request(session: Session, user, room, start: datetime, end: datetime, now: datetime):  # type: ignore[no-untyped-def]
    booking = service.request_booking(
        session,
        user,
        {"room_id": room.id, "start": start, "end": end, "title": "t", "attendees": 5},
        now=now,
    )
    session.commit()
    return booking


def test_leap_day_is_stored_in_utc_and_shown_in_seoul(session: Session) -> None:
    renter = make_user(session)
    room = make_room(session)
    now = datetime(2028, 2, 20, tzinfo=UTC)
    leap = date(2028, 2, 29)  # a Tuesday
    booking = _request(session, renter, room, seoul(leap, 8), seoul(leap, 10), now)
    session.expire_all()
    stored = session.get(Booking, booking.id)
    assert stored is not None
    # 08:00 in Seoul on the leap day is 23:00 UTC on the 28th.
    assert stored.starts_at == datetime(2028, 2, 28, 23, 0, tzinfo=UTC)
    assert stored.starts_at.astimezone(SEOUL).date() == leap
    found = queries.bookings_between(session, seoul(leap, 0), seoul(date(2028, 3, 1), 0))
    assert [b.id for b in found] == [booking.id]
    assert queries.bookings_between(session, seoul(date(2028, 2, 28), 0), seoul(leap, 0)) == []


def test_quota_counts_the_local_month_at_month_ends(session: Session) -> None:
    renter = make_user(session)
    session.add(OrganizationQuota(organization_id=renter.organization_id, hours_per_month=2))
    session.commit()
    room = make_room(session)
    now = datetime(2027, 3, 1, tzinfo=UTC)
    # 1 April 07:00 in Seoul is still 31 March in UTC: it counts for April.
    _request(session, renter, room, seoul(date(2027, 4, 1), 7), seoul(date(2027, 4, 1), 9), now)
    _request(session, renter, room, seoul(date(2027, 3, 31), 20), seoul(date(2027, 3, 31), 22), now)
    with pytest.raises(BookingRuleViolation, match="월 한도"):
        _request(session, renter, room, seoul(date(2027, 4, 30), 10), seoul(date(2027, 4, 30), 11), now)


def test_availability_across_a_month_end(client: TestClient, session: Session) -> None:
    room = make_room(session)
    manager = make_user(session, role=Role.manager)
    now = datetime.now(UTC)
    year = now.year + 1
    last = date(year, 3, 31)
    service.request_booking(
        session,
        manager,
        {"room_id": room.id, "start": seoul(last, 21), "end": seoul(last, 22), "title": "t"},
    )
    service.request_booking(
        session,
        manager,
        {
            "room_id": room.id,
            "start": seoul(last + timedelta(days=1), 7),
            "end": seoul(last + timedelta(days=1), 8),
            "title": "t",
        },
    )
    session.commit()
    response = client.get(
        f"/api/v1/rooms/{room.id}/availability",
        params={
            "start": seoul(last, 0).isoformat(),
            "end": seoul(last + timedelta(days=2), 0).isoformat(),
        },
    )
    free = [(f["start"], f["end"]) for f in response.json()["free"]]
    assert free == [
        (seoul(last, 7).isoformat(), seoul(last, 20, 30).isoformat()),
        (
            seoul(last + timedelta(days=1), 8, 30).isoformat(),
            seoul(last + timedelta(days=1), 22).isoformat(),
        ),
    ]


def test_expand_keeps_wall_clock_and_skips_deleted() -> None:
    first = seoul(date(2027, 12, 28), 10)
    starts = expand("FREQ=WEEKLY;COUNT=4", first, exdates=["2028-01-04T10:00"])
    assert [s.isoformat() for s in starts] == [
        "2027-12-28T10:00:00+09:00",
        "2028-01-11T10:00:00+09:00",
        "2028-01-18T10:00:00+09:00",
    ]
    monthly = expand("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", seoul(date(2028, 1, 31), 14))
    assert [s.date() for s in monthly] == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


def _year_end_tuesday() -> date:
    """A weekday in late December whose weekly series of five crosses the year end with no
    occurrence on a public holiday (Christmas, New Year's Day)."""
    import holidays

    today = datetime.now(SEOUL).date()
    year = today.year if today < date(today.year, 12, 10) else today.year + 1
    kr = holidays.country_holidays("KR", years=[year, year + 1])
    for offset in range(14):
        day = date(year, 12, 18) + timedelta(days=offset)
        dates = [day + timedelta(days=7 * k) for k in range(5)]
        if day.weekday() < 5 and dates[2].year > year and not any(d in kr for d in dates):
            return day
    raise AssertionError(f"no suitable day in December {year}")


def test_series_across_year_end_report_create_cancel_edit(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run in late December, the next year end is a little over a year ahead.
    monkeypatch.setattr("facility.booking.rules.MAX_LEAD", timedelta(days=400))
    room = make_room(session)
    renter, other = make_user(session), make_user(session)
    headers = token_headers(client, renter)
    first = _year_end_tuesday()
    taken = first + timedelta(days=14)  # the third Tuesday, in January
    assert taken.year == first.year + 1
    client.post(
        "/api/v1/bookings",
        headers=token_headers(client, other),
        json={
            "room_id": room.id,
            "start": seoul(taken, 10).isoformat(),
            "end": seoul(taken, 11).isoformat(),
            "title": "먼저 온 신청",
            "attendees": 5,
        },
    )
    body = {
        "room_id": room.id,
        "start": seoul(first, 10).isoformat(),
        "end": seoul(first, 12).isoformat(),
        "rrule": "FREQ=WEEKLY;COUNT=5",
        "title": "주간 합창 연습",
        "attendees": 20,
    }
    preview = client.post("/api/v1/series", json={**body, "preview": True}, headers=headers)
    assert preview.status_code == 200
    report = preview.json()["occurrences"]
    assert [r["start"][11:16] for r in report] == ["10:00"] * 5  # wall-clock across the year end
    assert [r["ok"] for r in report] == [True, True, False, True, True]
    assert report[2]["code"] == "conflict" and report[2]["start"].startswith(taken.isoformat())
    refused = client.post("/api/v1/series", json=body, headers=headers)
    assert refused.status_code == 409 and len(refused.json()["occurrences"]) == 5
    created = client.post("/api/v1/series", json={**body, "skip_conflicts": True}, headers=headers)
    assert created.status_code == 201, created.text
    bookings = created.json()["bookings"]
    assert len(bookings) == 4
    series_id = created.json()["series"]["id"]

    # Cancel the second occurrence only: it stays deleted.
    second = bookings[1]
    response = client.post(f"/api/v1/bookings/{second['id']}/cancel?scope=one", json={}, headers=headers)
    assert response.json()["status"] == "cancelled"
    # Move this and following (from the fourth) to 14:00-16:00.
    fourth = bookings[2]
    moved = client.post(
        f"/api/v1/bookings/{fourth['id']}/move?scope=following",
        headers=headers,
        json={"start": seoul(first, 14).isoformat(), "end": seoul(first, 16).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    after = client.get(f"/api/v1/series/{series_id}", headers=headers).json()["bookings"]
    times = [(b["start"][:16], b["status"]) for b in after]
    assert times == [
        (f"{first.isoformat()}T10:00", "requested"),
        (f"{(first + timedelta(days=7)).isoformat()}T10:00", "cancelled"),
        (f"{(first + timedelta(days=21)).isoformat()}T14:00", "requested"),
        (f"{(first + timedelta(days=28)).isoformat()}T14:00", "requested"),
    ]
    # Cancelling this and following ends the rule before that occurrence.
    client.post(f"/api/v1/bookings/{fourth['id']}/cancel?scope=following", json={}, headers=headers)
    session.expire_all()
    series = session.get(BookingSeries, series_id)
    assert series is not None and "UNTIL=" in series.rrule
    assert f"{(first + timedelta(days=7)).isoformat()}T10:00" in series.exdates
    statuses = [
        b.status
        for b in session.exec(select(Booking).where(Booking.series_id == series_id).order_by(Booking.starts_at))
    ]
    assert statuses == ["requested", "cancelled", "cancelled", "cancelled"]
    # A renter cannot read another organisation's series.
    assert client.get(f"/api/v1/series/{series_id}", headers=token_headers(client, other)).status_code == 404
