"""The manager's booking page (actions, renter contact, history) and the decision on a whole series."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from facility.booking import series, service
from facility.booking.models import Booking, FeeSchedule
from facility.booking.schemas import SeriesCreate
from facility.core.models import AuditEntry, Organization, Role, User
from facility.core.security import issue_token
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_organization, make_room, make_user
from tests.keys import TEST_SECRET_KEY


def _bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id, user.session_version)}"}  # type: ignore[arg-type]


def test_manager_booking_page_shows_contact_history_and_acts(client: TestClient, session: Session) -> None:
    org = make_organization(session, name="한빛 문화재단")
    org.contact_phone = "02-555-0100"
    session.add(org)
    session.commit()
    renter, manager = make_user(session, organization=org), make_user(session, role=Role.manager)
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=40_000))
    session.commit()
    day = next_weekday()
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "총회"}
    )
    session.commit()
    browser_login(client, renter)
    assert client.get(f"/manage/bookings/{booking.id}").status_code == 403
    browser_login(client, manager)
    page = client.get(f"/manage/bookings/{booking.id}")
    assert page.status_code == 200
    assert f"webcal://testserver/api/v1/rooms/{room.id}/calendar.ics?token=" in page.text
    for text in ("한빛 문화재단", "02-555-0100", renter.email, "Test renter", 'data-action="booking.requested"'):
        assert text in page.text, text
    token = csrf_from(client, f"/manage/bookings/{booking.id}")
    # An empty reason is refused with a message, as a toast for htmx.
    refused = client.post(
        f"/manage/bookings/{booking.id}/decision",
        data={"approve": "false", "reason": " ", "back": "true"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert refused.status_code == 422 and "사유" in refused.text and refused.headers["HX-Retarget"] == "#toasts"
    approved = client.post(
        f"/manage/bookings/{booking.id}/decision",
        data={"approve": "true", "back": "true", "csrf_token": token},
        follow_redirects=False,
    )
    assert approved.headers["location"] == f"/manage/bookings/{booking.id}"
    after = client.get(approved.headers["location"])
    assert 'data-testid="toast"' in after.text and "승인했습니다: 총회" in after.text
    assert 'data-action="booking.approved"' in after.text and 'data-testid="payment"' in after.text
    assert "승인했습니다" not in client.get(f"/manage/bookings/{booking.id}").text  # a toast shows once


def test_series_is_approved_or_rejected_at_once(client: TestClient, session: Session) -> None:
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    room = make_room(session)
    day = next_weekday(weeks=2)
    body = SeriesCreate(
        room_id=room.id, start=seoul(day, 10), end=seoul(day, 12), rrule="FREQ=WEEKLY;COUNT=3", title="정기 강좌"
    )
    created, bookings, _report = series.create_series(session, renter, body)
    later = body.model_copy(update={"start": seoul(day, 14), "end": seoul(day, 15)})
    other, _rows, _report = series.create_series(session, renter, later)
    session.commit()
    browser_login(client, manager)
    page = client.get(f"/manage/bookings/{bookings[0].id}")
    assert 'data-testid="series-approve"' in page.text
    token = csrf_from(client, f"/manage/bookings/{bookings[0].id}")
    done = client.post(
        f"/manage/series/{created.id}/decision",
        data={"approve": "true", "back": bookings[0].id, "csrf_token": token},
    )
    assert "3건의 회차를 승인했습니다" in done.text
    session.expire_all()
    statuses = session.exec(select(Booking.status).where(Booking.series_id == created.id)).all()
    assert list(statuses) == ["confirmed"] * 3  # a free room confirms on approval
    again = client.post(f"/manage/series/{created.id}/decision", data={"approve": "true", "csrf_token": token})
    assert again.status_code == 409
    # The API: renters are refused, a rejection needs its reason and takes every waiting occurrence.
    headers = _bearer(renter)
    assert client.post(f"/api/v1/series/{other.id}/reject", json={"reason": "x"}, headers=headers).status_code == 403
    headers = _bearer(manager)
    assert client.post(f"/api/v1/series/{other.id}/reject", json={"reason": ""}, headers=headers).status_code == 422
    rejected = client.post(f"/api/v1/series/{other.id}/reject", json={"reason": "공사"}, headers=headers)
    assert rejected.status_code == 200 and [b["status"] for b in rejected.json()["bookings"]] == ["rejected"] * 3
    session.rollback()  # end the read above: its snapshot predates the rejection
    entry = session.exec(select(AuditEntry).where(col(AuditEntry.action) == "series.reject")).one()
    assert entry.entity_id == str(other.id) and len(entry.after["bookings"]) == 3  # type: ignore[index]
    assert session.get(Organization, renter.organization_id) is not None


def test_an_htmx_approval_confirms_with_a_toast_out_of_band(client: TestClient, session: Session) -> None:
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    room = make_room(session)
    day = next_weekday()
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "바자회"}
    )
    session.commit()
    browser_login(client, manager)
    token = csrf_from(client, "/manage/bookings")
    row = client.post(
        f"/manage/bookings/{booking.id}/decision",
        data={"approve": "true"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert row.status_code == 200 and f'id="booking-{booking.id}"' in row.text and "<html" not in row.text
    assert 'hx-swap-oob="beforeend:#toasts"' in row.text and "승인했습니다: 바자회" in row.text
    assert 'id="toasts" role="status" aria-live="polite"' in client.get("/manage/bookings").text
