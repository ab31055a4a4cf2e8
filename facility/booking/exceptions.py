"""Errors of the booking domain, each with its HTTP status and a stable code."""

from __future__ import annotations

from typing import Any

from facility.core.errors import Conflict, InvalidInput, NotFound


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
        super().__init__(f"Booking {booking_id} does not exist.")


class BlockNotFound(NotFound):
    code = "block_not_found"

    def __init__(self, block_id: object) -> None:
        super().__init__(f"Block {block_id} does not exist.")


class InvalidTransition(Conflict):
    code = "invalid_transition"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"

    def __init__(self, invoice_id: object) -> None:
        super().__init__(f"Invoice {invoice_id} does not exist.")
