"""booking domain (see docs/booking.md)."""
