"""Bookings: the one request path and moving a booking (which re-runs its rules and claims).

The rules a request must meet are in `rules`, Institute blocks in `blocks`, the friendly 409 in
`alternatives`, status changes in `lifecycle` and `flows`; the database decides conflicts (see
`claims`). Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from facility.booking import claims, flows, invoices, lottery_guard, notify, pricing, purposes, rules
from facility.booking.alternatives import conflict_error
from facility.booking.common import local_zone
from facility.booking.common import touch as _touch
from facility.booking.exceptions import InvalidTransition
from facility.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from facility.booking.queries import get_booking
from facility.booking.rules import check_rules
from facility.booking.schemas import BookingCreate
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.core.models import MANAGING_ROLES, Organization, Role, User
from facility.rooms import service as rooms_service
from facility.rooms.exceptions import RoomNotFound
from facility.rooms.models import Room

S = BookingStatus
# Renters book for their organisation, managers on the Institute's behalf; crews work on maintenance.
BOOKING_ROLES = (Role.renter, *MANAGING_ROLES)


def claim_slot(
    session: Session, room: Room, booking: Booking, viewer: User | None, *, just_checked: bool = False
) -> None:
    """Claim the booking's spaces or raise BookingConflict; the database has the last word.
    `just_checked`: the caller found the slot free in this transaction, so look only on refusal."""
    start, end = claims.buffered_range(room, booking.starts_at, booking.ends_at)
    spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
    clashes = (
        []
        if just_checked
        else claims.find_clashes(session, spaces, start, end, share_key=booking.id or -1, exclude_booking_id=booking.id)
    )
    if not clashes and claims.insert_claims(session, claims.booking_claims(session, room, booking)):
        return
    if not clashes:
        # Lost a race on PostgreSQL: the constraint refused us; read what won.
        clashes = claims.find_clashes(
            session, spaces, start, end, share_key=booking.id or -1, exclude_booking_id=booking.id
        )
    raise conflict_error(session, room, booking.starts_at, booking.ends_at, booking.attendees, clashes, viewer=viewer)


@dataclass(frozen=True)
class _Screened:
    """What the rules found out about a request: enough to go on and book it."""

    room: Room
    starts_at: datetime
    ends_at: datetime
    organization_id: int | None


def _screen(session: Session, actor: User, data: BookingCreate, now: datetime, *, clash: bool) -> _Screened:
    """The refusals that need no lock: the room, the rules and (with `clash`) a taken slot."""
    ensure_role(actor, *BOOKING_ROLES)
    room = rooms_service.room_snapshot(session, data.room_id)
    if room is None:
        raise RoomNotFound(data.room_id)
    starts_at, ends_at = data.start.astimezone(UTC), data.end.astimezone(UTC)
    purposes.check_purpose(data.purpose)
    if not actor.is_staff:
        lottery_guard.refuse_drawn_slot(session, room.id, starts_at, ends_at)  # type: ignore[arg-type]
    if actor.is_staff:
        organization_id = data.organization_id
        if organization_id is not None and session.get(Organization, organization_id) is None:
            raise InvalidInput(_("No such organisation."))
    else:
        organization_id = actor.organization_id
    check_rules(
        session,
        actor,
        room,
        starts_at,
        ends_at,
        attendees=data.attendees,
        layout=data.layout.value if data.layout else None,
        now=now,
        organization_id=organization_id,
        quota=False,
    )
    if clash:
        # A taken slot is the common refusal at rush hour: answer it before the organisation's
        # lock, its quota and the price, which only a request that may succeed needs. (The
        # database still decides a race when the claim is inserted; this check is for the
        # friendly 409.)
        start, end = claims.buffered_range(room, starts_at, ends_at)
        spaces = rooms_service.atomic_space_ids(session, room.id)  # type: ignore[arg-type]
        clashes = claims.find_clashes(session, spaces, start, end, share_key=-1)
        if clashes:
            raise conflict_error(session, room, starts_at, ends_at, data.attendees, clashes, viewer=actor)
    return _Screened(room, starts_at, ends_at, organization_id)


def screen_booking_request(session: Session, actor: User, data: BookingCreate) -> None:
    """`request_booking`'s refusals that need no transaction, run before it (core/one_hop.py):
    most requests of a rush end here. Raises as `request_booking` would; returns when it may
    succeed."""
    _screen(session, actor, data, utcnow(), clash=True)


def request_booking(
    session: Session,
    actor: User,
    data: BookingCreate | dict[str, Any],
    *,
    now: datetime | None = None,
    series_id: int | None = None,
    occurrence_key: str | None = None,
    notify_people: bool = True,
    hold_ttl: timedelta = rules.HOLD_TTL,
    screened: bool = False,
) -> Booking:
    """Hold or request a room (renters), or book it directly (staff, approved at once and
    invoiced as a renter's approved request): the one path to a booking.

    `screened`: `screen_booking_request` found the slot free a moment ago, so it is not looked up
    again, and this request is all its unit of work does, whose runner screens the request again
    when it fails (core/one_hop.py). The exclusion constraint decides either way."""
    data = data if isinstance(data, BookingCreate) else BookingCreate.model_validate(data)
    now = now or utcnow()
    found = _screen(session, actor, data, now, clash=not screened)
    room, starts_at, ends_at, organization_id = found.room, found.starts_at, found.ends_at, found.organization_id
    staff = actor.is_staff
    org = claims.lock_organization(session, organization_id)
    if not staff:
        rules.check_quota(session, organization_id, starts_at, ends_at)
        rules.check_equipment(session, room, data.equipment)
    quote = price_request(session, room, org, starts_at, ends_at, data.equipment, purpose=data.purpose)
    # Staff book directly, but through the same approval as a renter's request (flows.approve):
    # the booking goes in as requested and is approved at once, invoice and e-mail included.
    status = S.held if data.hold and not staff else S.requested
    booking = Booking(
        room_id=room.id,  # type: ignore[arg-type]
        organization_id=organization_id,
        user_id=actor.id,
        series_id=series_id,
        occurrence_key=occurrence_key,
        title=data.title.strip(),
        attendees=data.attendees,
        layout=data.layout.value if data.layout else None,
        notes=data.notes,
        purpose=data.purpose,
        equipment=data.equipment,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status.value,
        hold_expires_at=now + hold_ttl if status == S.held else None,
        quote=quote,
        price_total=quote["total"],
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    session.flush()
    if screened:
        # Its claims go in with the commit (or a staff booking's approval, which flushes them),
        # without a savepoint's two round trips. If the exclusion constraint refuses them, the
        # unit of work fails and one_hop screens the request again for the friendly 409.
        session.add_all(claims.booking_claims(session, room, booking))
    else:
        claim_slot(session, room, booking, actor, just_checked=True)
    audit.record(session, actor, f"booking.{status.value}", "booking", booking.id, after=booking)
    if staff:
        flows.approve(session, actor, booking, tell=notify_people)
    elif notify_people:
        notify.notify_booking(session, booking, status.value, local_zone().key)
    return booking


def price_request(
    session: Session,
    room: Room,
    organization: Organization | None,
    starts_at: datetime,
    ends_at: datetime,
    equipment: dict[str, int],
    *,
    purpose: str = "general",
) -> dict[str, Any]:
    """The quote a request for this slot gets: what the request page shows, the API's /quote
    answers and `request_booking` stores, from one computation."""
    zone = local_zone()
    return pricing.compute_quote(
        session,
        room,
        organization,
        starts_at,
        ends_at,
        zone,
        equipment=equipment,
        purpose=purpose,
        is_holiday=rules.holiday_name(session, starts_at.astimezone(zone).date()) is not None,
    )


def move_booking(
    session: Session,
    actor: User,
    booking_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    room_id: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to a new time, and for a manager to another room (a manager moving a
    displaced request, a renter their pending request, or a series edit). In another room the
    price is quoted again and an unpaid invoice reissued. The slot it leaves reaches the waitlist
    through its job."""
    if actor.is_staff and not actor.is_manager:
        raise Forbidden(_("Only managers and the renter may move a booking."))
    booking = get_booking(session, actor, booking_id, lock=True)
    if booking.status not in {s.value for s in ACTIVE_STATUSES - {S.checked_in, S.completed}}:
        raise InvalidTransition(
            _("The booking is {status} and cannot be moved.", status=label(f"bstatus.{booking.status}"))
        )
    if not actor.is_manager and booking.status not in {S.held, S.requested}:
        raise Forbidden(_("Ask the Institute to move an approved booking."))
    now = now or utcnow()
    to_room = room_id is not None and room_id != booking.room_id
    if to_room and not actor.is_manager:
        raise Forbidden(_("Only managers move a booking to another room."))
    room = session.get(Room, room_id if to_room else booking.room_id)
    if room is None:
        raise RoomNotFound(room_id)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    check_rules(
        session,
        actor,
        room,
        starts_at,
        ends_at,
        attendees=booking.attendees,
        layout=booking.layout,
        now=now,
        organization_id=booking.organization_id,
        exclude_booking_id=booking.id,
    )
    before = audit.snapshot(booking)
    claims.release_booking(session, booking.id)  # type: ignore[arg-type]
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.displaced_by_block_id = None
    if to_room:
        booking.room_id = room.id  # type: ignore[assignment]
    _touch(booking)
    session.add(booking)
    session.flush()
    claim_slot(session, room, booking, actor)
    if to_room:
        _requote(session, actor, room, booking)
    audit.record(session, actor, "booking.move", "booking", booking.id, before=before, after=booking)
    notify.notify_booking(session, booking, "moved", local_zone().key)
    return booking


def _requote(session: Session, actor: User, room: Room, booking: Booking) -> None:
    """The moved booking's price in its new room: a different fee changes the quote, and the
    unpaid invoice of an approved booking is reissued from it."""
    org = session.get(Organization, booking.organization_id) if booking.organization_id else None
    quote = price_request(
        session, room, org, booking.starts_at, booking.ends_at, booking.equipment, purpose=booking.purpose
    )
    if quote["total"] == booking.price_total:
        return
    booking.quote, booking.price_total = quote, quote["total"]
    session.add(booking)
    session.flush()
    invoices.reissue_for_booking(session, actor, booking)
