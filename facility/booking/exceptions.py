"""Errors of the booking domain, each with its HTTP status and a stable code."""

from __future__ import annotations

from typing import Any

from facility.core.errors import Conflict, InvalidInput, NotFound
from facility.core.i18n import gettext as _


class BookingConflict(Conflict):
    """The slot is taken; `extra` carries the conflicting slots and suggested alternatives."""

    code = "conflict"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra=extra)


class BookingRuleViolation(InvalidInput):
    code = "invalid"


class BookingNotFound(NotFound):
    code = "booking_not_found"

    def __init__(self, booking_id: object) -> None:
        super().__init__(_("Booking {booking} does not exist.", booking=booking_id))


class BlockNotFound(NotFound):
    code = "block_not_found"

    def __init__(self, block_id: object) -> None:
        super().__init__(_("Block {block} does not exist.", block=block_id))


class InvalidTransition(Conflict):
    code = "invalid_transition"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"

    def __init__(self, invoice_id: object) -> None:
        super().__init__(_("Invoice {invoice} does not exist.", invoice=invoice_id))
