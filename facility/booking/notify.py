"""Booking's notifications: what a booking's change says, queued as e-mail in core's outbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from facility.booking.ical import booking_invite
from facility.booking.models import Booking
from facility.core.config import absolute_url
from facility.core.i18n import translate
from facility.core.models import Organization, User
from facility.core.outbox import OutboxMessage, enqueue_email
from facility.rooms import service as rooms_service
from facility.rooms.models import Room

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


# Weekday names as each language writes them in a date line.
WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def when_text(booking: Booking, zone: ZoneInfo, lang: str) -> str:
    """The booking's local date and times as people write them: 2026-12-08(화) 09:00–11:00 (한국 시간)."""
    begins, ends = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    day = WEEKDAYS["ko" if lang == "ko" else "en"][begins.weekday()]
    until = f"{ends:%H:%M}" if ends.date() == begins.date() else f"{ends:%Y-%m-%d %H:%M}"
    if lang == "ko":
        return f"{begins:%Y-%m-%d}({day}) {begins:%H:%M}–{until} (한국 시간)"
    return f"{day} {begins:%Y-%m-%d} {begins:%H:%M}–{until} (Korea time)"


def booking_body(booking: Booking, room: Room | None, event: str, zone: ZoneInfo, lang: str, *, note: str = "") -> str:
    """The e-mail in one language throughout (no "상태 Status" mixes), local times, and an absolute
    link (FACILITY_BASE_URL) to the booking's page."""
    ko, en = EVENT_TEXT.get(event, (event, event))
    korean = lang == "ko"
    status = translate(f"bstatus.{booking.status}", lang)
    where = (f"{room.name_ko} ({room.code})" if korean else f"{room.name_en} ({room.code})") if room else ""
    labels = (
        ("일시", "장소", "상태", "사유", "금액", "자세히 보기")
        if korean
        else ("When", "Where", "Status", "Reason", "Total", "Details")
    )
    total = (f"{booking.price_total:,}원" if korean else f"KRW {booking.price_total:,}") if booking.price_total else ""
    lines = [
        f"[{ko if korean else en}] {booking.title}",
        f"{labels[0]}: {when_text(booking, zone, lang)}",
        f"{labels[1]}: {where}",
        f"{labels[2]}: {status}",
        f"{labels[3]}: {note}" if note else "",
        f"{labels[4]}: {total}" if total else "",
        f"{labels[5]}: {absolute_url(f'/my/bookings/{booking.id}')}",
    ]
    return "\n".join(line for line in lines if line)


def _language_of(session: Session, booking: Booking, address: str) -> str:
    """The booker's own language for their address; Korean (the renters' language) otherwise."""
    user = session.get(User, booking.user_id) if booking.user_id else None
    return user.locale if user is not None and user.email == address and user.locale in ("ko", "en") else "ko"


def notify_booking(
    session: Session, booking: Booking, event: str, zone_name: str, *, note: str = ""
) -> list[OutboxMessage]:
    """Tell the people concerned about a booking's change, each in their language, with the
    booking as an .ics file."""
    room = rooms_service.room_snapshot(session, booking.room_id)
    zone = ZoneInfo(zone_name)
    ics = booking_invite(booking, room, zone_name)
    sent = []
    for to in recipients(session, booking):
        lang = _language_of(session, booking, to)
        ko, en = EVENT_TEXT.get(event, (event, event))
        subject = (
            f"[연수원 대관] {ko}: {booking.title}" if lang == "ko" else f"[Facility booking] {en}: {booking.title}"
        )
        body = booking_body(booking, room, event, zone, lang, note=note)
        sent.append(enqueue_email(session, to=to, subject=subject, body=body, ics=ics))
    return sent
