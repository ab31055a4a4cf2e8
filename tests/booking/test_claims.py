"""Claim reads on SQLite and PostgreSQL: long blocks are found from any window they cover, and the
window queries are answered by the period indexes, not by walking every claim ever made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from facility.booking import availability, blocks, service
from facility.booking.claims import find_clashes, is_long, overlapping
from facility.booking.exceptions import BookingConflict
from facility.booking.models import SpaceClaim
from facility.core.models import Role
from tests.booking.helpers import SEOUL, next_weekday, query_plan, seoul
from tests.factories import make_room, make_user


def _request(session: Session, room_id: int, start: datetime, end: datetime) -> None:
    renter = make_user(session)
    service.request_booking(
        session, renter, {"room_id": room_id, "start": start, "end": end, "title": "t", "attendees": 5}
    )
    session.commit()


def test_a_multi_day_block_is_found_from_its_middle(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room, neighbour = make_room(session), make_room(session)
    day = next_weekday(days_ahead=10)
    # Two days of refurbishment: it began long before any window read on `day`.
    blocks.place_block(
        session,
        manager,
        room_id=room.id,
        starts_at=seoul(day - timedelta(days=2), 14),
        ends_at=seoul(day, 14),
        reason="리모델링",
        kind="maintenance",
    )
    session.commit()
    with pytest.raises(BookingConflict) as error:
        _request(session, room.id, seoul(day, 13, 30), seoul(day, 14, 30))
    session.rollback()
    assert error.value.extra["conflicts"][0]["kind"] == "block"
    _request(session, room.id, seoul(day, 14, 30), seoul(day, 15, 30))
    morning = (seoul(day, 0), seoul(day, 12))
    free = availability.free_slots_many(session, [room, neighbour], *morning, SEOUL)
    assert free[room.id] == []
    assert free[neighbour.id]


def test_a_short_claim_just_before_the_window_still_counts(session: Session) -> None:
    room = make_room(session)
    day = next_weekday(days_ahead=10)
    _request(session, room.id, seoul(day, 20), seoul(day, 22))  # claimed until 22:15 with clean-up
    busy = availability.claims_in_window(session, [room.id], seoul(day, 22), seoul(day, 23))
    assert [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)) for a, b in busy[room.id]] == [
        (seoul(day, 19, 45), seoul(day, 22, 15))
    ]


def test_long_claims_are_read_through_their_index(session: Session) -> None:
    """The length expression must match the index's word for word, or no database uses it."""
    assert "ix_space_claim_long" in query_plan(session, select(SpaceClaim.space_id).where(is_long()))


@pytest.mark.parametrize("spaces", [None, [1, 2]])
def test_window_reads_use_the_period_and_length_indexes_on_sqlite(session: Session, spaces: list[int] | None) -> None:
    """SQLite plans without statistics: this is the plan it will use on a large table too."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics; bench/availability.py shows it at scale")
    lo = datetime(2026, 12, 7, tzinfo=UTC)
    plan = query_plan(session, select(SpaceClaim.space_id).where(overlapping(lo, lo + timedelta(days=7), spaces)))
    assert "ix_space_claim_long" in plan and "SCAN space_claim" not in plan, plan
    assert ("ix_space_claim_space_period" if spaces else "ix_space_claim_period") in plan, plan


def test_postgresql_plans_window_reads_for_their_values_and_point_reads_once(session: Session) -> None:
    """psycopg prepares a statement after five runs. The window read is then planned for each
    run's values (a generic plan cannot see how narrow a window is); the clash query every booking
    request runs settles on one plan, as PostgreSQL chooses by default (core/db.py)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans every statement for its values")
    room = make_room(session)
    lo = datetime(2026, 12, 7, tzinfo=UTC)
    for _ in range(15):
        availability.claims_in_window(session, [room.id], lo, lo + timedelta(days=7))  # type: ignore[list-item]
        find_clashes(session, [room.id], lo, lo + timedelta(hours=2), share_key=1)  # type: ignore[list-item]
    plans = session.exec(text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")).all()  # type: ignore[call-overload]
    window = next(plan for plan in plans if "array_agg" in plan.statement)
    clash = next(plan for plan in plans if "coalesce" in plan.statement)
    assert window.generic_plans == 0 and window.custom_plans >= 5, window
    assert clash.generic_plans >= 5, clash
    assert session.exec(text("SHOW plan_cache_mode")).one()[0] == "auto"  # type: ignore[call-overload]
