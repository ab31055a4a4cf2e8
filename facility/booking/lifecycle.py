"""A booking's status as a state machine: the allowed moves as data, applied atomically.

`apply` is the one way a booking's status changes. It is a conditional update (`UPDATE booking
SET status = :to WHERE id = :id AND status IN (:allowed)`), so of several requests racing to move
the same booking exactly one wins and the others get a 409, on PostgreSQL (the row lock makes the
losers re-read the status) and on SQLite (one writer at a time). It frees the claims of a booking
that leaves the calendar and writes the audit row. Side effects (invoices, e-mail, the waitlist)
are the flows' business (`flows.py`), not this module's: it imports nothing above the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, update

from facility.booking import claims
from facility.booking.exceptions import InvalidTransition
from facility.booking.models import Booking, BookingStatus
from facility.core import audit
from facility.core.db import utcnow
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.core.models import User

S = BookingStatus

# Each status and the statuses it may move to; a status missing here is final.
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.held: frozenset({S.requested, S.approved, S.rejected, S.cancelled, S.expired}),
    S.requested: frozenset({S.approved, S.rejected, S.cancelled}),
    S.approved: frozenset({S.confirmed, S.checked_in, S.cancelled, S.no_show}),
    S.confirmed: frozenset({S.checked_in, S.cancelled, S.no_show}),
    S.checked_in: frozenset({S.completed}),
}
# A booking moving to one of these leaves the calendar: its space claims are released.
FREES_SLOT = frozenset({S.rejected, S.cancelled, S.expired, S.no_show})


def sources(to: BookingStatus) -> frozenset[BookingStatus]:
    """The statuses from which a booking may move to `to`."""
    return frozenset(status for status, targets in TRANSITIONS.items() if to in targets)


def apply(
    session: Session,
    actor: User | None,
    booking: Booking,
    to: BookingStatus,
    *,
    only_from: Iterable[BookingStatus] | None = None,
    action: str | None = None,
    **changes: Any,
) -> Booking:
    """Move `booking` to `to` if the database still has it in an allowed status, with `changes` to
    other columns in the same statement; InvalidTransition (409) otherwise."""
    allowed = sources(to) if only_from is None else sources(to) & frozenset(only_from)
    before = audit.snapshot(booking)
    values: dict[str, Any] = {"status": to.value, "updated_at": utcnow(), **changes}
    result = session.execute(
        update(Booking)
        .where(col(Booking.id) == booking.id, col(Booking.status).in_([s.value for s in allowed]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(booking)
        raise InvalidTransition(
            _(
                "The booking is {current} and cannot become {target}.",
                current=label(f"bstatus.{booking.status}"),
                target=label(f"bstatus.{to.value}"),
            )
        )
    for name, value in values.items():
        set_committed_value(booking, name, value)
    if to in FREES_SLOT:
        claims.release_booking(session, booking.id)  # type: ignore[arg-type]
    audit.record(session, actor, action or f"booking.{to.value}", "booking", booking.id, before=before, after=booking)
    return booking
