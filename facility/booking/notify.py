"""Booking's notifications: what a booking's change says, queued as e-mail in core's outbox."""

from __future__ import annotations

from sqlmodel import Session

from facility.booking.ical import booking_invite
from facility.booking.models import Booking
from facility.core.i18n import translate
from facility.core.models import Organization, User
from facility.core.outbox import OutboxMessage, enqueue_email
from facility.rooms import service as rooms_service

# Subject and first line per booking event, Korean first (the renters' language), then English.
EVENT_TEXT: dict[str, tuple[str, str]] = {
    "held": ("임시 예약", "Slot held"),
    "requested": ("대관 신청 접수", "Booking request received"),
    "approved": ("대관 승인", "Booking approved"),
    "rejected": ("대관 반려", "Booking rejected"),
    "confirmed": ("대관 확정", "Booking confirmed"),
    "cancelled": ("대관 취소", "Booking cancelled"),
    "checked_in": ("입실 확인", "Checked in"),
    "no_show": ("미입실 처리", "Released as a no-show"),
    "expired": ("임시 예약 만료", "Hold expired"),
    "displaced": ("연수원 일정으로 인한 변경 요청", "Please move your request: Institute block"),
    "restored": ("대관 신청 복원", "Request restored"),
    "moved": ("대관 일정 변경", "Booking moved"),
    "reminder": ("내일 대관 안내", "Reminder: your booking is tomorrow"),
    "waitlist_offer": ("대기 순번 도래: 임시 예약", "Your waitlisted slot is free: held for you"),
    "institution_cancel": (
        "기관 사용으로 인한 대관 취소 안내: 불편을 드려 죄송합니다. 사용료는 전액 환불됩니다",
        "We are sorry: the Institute needs the room for its own public purpose; your booking is cancelled "
        "and refunded in full",
    ),
    "payment_lapsed": ("납부 기한 경과로 대관 자동 취소", "Cancelled: not paid by the deadline"),
}


def recipients(session: Session, booking: Booking) -> list[str]:
    """The booker and their organisation's contact, once each."""
    found: list[str] = []
    user = session.get(User, booking.user_id) if booking.user_id else None
    if user is not None:
        found.append(user.email)
    org = session.get(Organization, booking.organization_id) if booking.organization_id else None
    if org is not None and org.contact_email and org.contact_email.lower() not in found:
        found.append(org.contact_email.lower())
    return found


def notify_booking(
    session: Session, booking: Booking, event: str, zone_name: str, *, note: str = ""
) -> list[OutboxMessage]:
    """Tell the people concerned about a booking's change, with the booking as an .ics file."""
    from zoneinfo import ZoneInfo

    room = rooms_service.room_snapshot(session, booking.room_id)
    ko, en = EVENT_TEXT.get(event, (event, event))
    zone = ZoneInfo(zone_name)
    when = f"{booking.starts_at.astimezone(zone):%Y-%m-%d %H:%M}–{booking.ends_at.astimezone(zone):%H:%M} ({zone_name})"
    where = f"{room.name_ko} / {room.name_en} ({room.code})" if room else ""
    status = f"bstatus.{booking.status}"
    body = "\n".join(
        line
        for line in (
            f"[{ko}] {booking.title}",
            f"일시 When: {when}",
            f"장소 Where: {where}",
            f"상태 Status: {translate(status, 'ko')} / {translate(status, 'en')}",
            f"사유 Reason: {note}" if note else "",
            f"금액 Total: {booking.price_total:,}원" if booking.price_total else "",
            "",
            en,
        )
        if line is not None
    )
    ics = booking_invite(booking, room, zone_name)
    return [
        enqueue_email(session, to=to, subject=f"[연수원 대관] {ko}: {booking.title}", body=body, ics=ics)
        for to in recipients(session, booking)
    ]
