"""Reduction categories edited by an admin (issue 29): each save a new version, audited; a claim
takes the rate in force when it is made; proof only where the category needs it; the single
highest verified rate still applies."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from facility.booking import flows, reductions, service
from facility.booking.models import FeeSchedule
from facility.booking.rental_models import ReductionClaim
from facility.core.audit import AuditEntry
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import Role
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_room, make_user


def _save(session: Session, admin: object, code: str, percent: int, **extra: object) -> None:
    body = reductions.CategorySave(percent=percent, name_ko="청소년 단체", name_en="Youth groups", **extra)  # type: ignore[arg-type]
    reductions.save_category(session, admin, code, body)  # type: ignore[arg-type]


def test_admin_edits_categories_and_claims_follow(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    renter, officer = make_user(session), make_user(session, role=Role.manager)
    admin = make_user(session, role=Role.admin)
    assert reductions.current_categories(session)["government"].percent == 100  # the built-in defaults
    with pytest.raises(Forbidden):
        _save(session, officer, "youth", 20)
    with pytest.raises(InvalidInput):
        _save(session, admin, "청소년", 20)
    _save(session, admin, "youth", 20)
    _save(session, admin, "youth", 40, proof_required=False)
    _save(session, admin, "national_merit", 50, active=False)  # withdrawn
    session.commit()
    shown = reductions.current_categories(session)
    assert shown["youth"].percent == 40 and shown["youth"].version == 2 and not shown["youth"].proof_required
    assert shown["youth"].name_en == "Youth groups" and "national_merit" not in shown
    assert [r.percent for r in reductions.category_history(session, "youth")] == [20, 40]
    saves = session.exec(
        select(AuditEntry).where(AuditEntry.action == "reduction_category.save").order_by(col(AuditEntry.id))
    ).all()
    assert len(saves) == 3 and saves[1].before["percent"] == 20  # type: ignore[index]

    day = next_weekday(5)
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 9), "end": seoul(day, 11), "title": "t"}
    )

    def claim(category: str, proof: bytes = b"") -> ReductionClaim:
        return reductions.claim_reduction(
            session, renter, booking.id, category=category, proof_name="", proof_type="", proof=proof
        )  # type: ignore[arg-type]

    with pytest.raises(InvalidInput):
        claim("national_merit", b"%PDF")  # withdrawn
    with pytest.raises(InvalidInput) as missing:
        claim("disabled")  # still needs its certificate
    assert missing.value.code == "proof_missing"
    youth = claim("youth")  # no proof needed now
    assert youth.percent == 40
    _save(session, admin, "youth", 10)  # a later edit does not change a claim already made
    reductions.decide_claim(session, officer, youth.id, verified=True)  # type: ignore[arg-type]
    approved = flows.approve_booking(session, officer, booking.id)  # type: ignore[arg-type]
    session.commit()
    assert approved.quote["discount_percent"] == 40 and approved.quote["reduction"] == "youth"
