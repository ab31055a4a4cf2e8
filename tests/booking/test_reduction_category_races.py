"""Admins saving one reduction category at the same moment (`PUT /api/v1/reduction-categories/
{code}`), three times as many as the served app has worker threads, on PostgreSQL: each save that
wins is one version, numbered without a gap, with one audit entry; every other save is refused
cleanly (409, or 503 when shed), the category in force is the highest version, and the server
still answers."""

from __future__ import annotations

import httpx
from sqlmodel import Session, col, select

from facility.booking.rental_models import ReductionCategory
from facility.core.models import AuditEntry, Role
from tests.booking.test_races import race, won
from tests.concurrent import RACERS
from tests.factories import make_user


def test_saves_racing_for_one_category_number_their_versions_without_a_gap(session: Session, raced: str) -> None:
    admins = [make_user(session, role=Role.admin) for _ in range(RACERS)]
    calls = [
        (
            "PUT",
            "/api/v1/reduction-categories/veterans",
            {"percent": 10 + i, "name_ko": f"보훈 {i}", "name_en": f"Veterans {i}", "proof_required": True},
            admin,
        )
        for i, admin in enumerate(admins)
    ]
    responses = race(raced, calls)
    saved = won(responses)
    assert saved >= 1, [r.text[:200] for r in responses]

    session.expire_all()
    rows = session.exec(
        select(ReductionCategory).where(ReductionCategory.code == "veterans").order_by(col(ReductionCategory.version))
    ).all()
    assert [row.version for row in rows] == list(range(1, saved + 1))
    answered = sorted(r.json()["version"] for r in responses if r.status_code == 200)
    assert answered == [row.version for row in rows]
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "reduction_category.save")).all()
    assert len(entries) == saved
    in_force = {c["code"]: c for c in httpx.get(f"{raced}/api/v1/reduction-categories", timeout=30).json()}
    assert in_force["veterans"]["percent"] == rows[-1].percent and in_force["veterans"]["version"] == saved
    assert httpx.get(f"{raced}/healthz", timeout=30).status_code == 200
