"""The pages of what was API-only: the admin's reduction categories (add, a new version, retire)
and the officer's manual match of a bank deposit; each form posts with its CSRF token, changes
the state through the API's own service and leaves its audit row."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from facility.booking import reductions
from facility.booking.models import BankDeposit, FeeSchedule, Invoice
from facility.core.audit import AuditEntry
from facility.core.models import Role
from tests.booking.test_reconciliation import approved_invoice
from tests.factories import browser_login, csrf_from, make_room, make_user

CATEGORIES = "/admin/reduction-categories"


def _fresh(session: Session) -> None:
    """Read what the app's requests committed: end this session's transaction, forget its rows."""
    session.rollback()
    session.expire_all()


def _audit(session: Session, action: str) -> list[AuditEntry]:
    _fresh(session)
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))))


def test_admin_adds_versions_and_retires_a_category_on_the_page(client: TestClient, session: Session) -> None:
    manager, admin = make_user(session, role=Role.manager), make_user(session, role=Role.admin)
    browser_login(client, manager)
    assert client.get(CATEGORIES).status_code == 403
    browser_login(client, admin)
    page = client.get(CATEGORIES)
    assert page.status_code == 200 and 'data-code="government"' in page.text
    token = csrf_from(client, CATEGORIES)
    fields = {"percent": "20", "name_ko": "청소년 단체", "name_en": "Youth groups", "proof_required": "true"}
    refused = client.post(CATEGORIES, data={**fields, "code": "youth"}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token, no change
    added = client.post(CATEGORIES, data={**fields, "code": "youth", "csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == CATEGORIES
    edited = client.post(
        f"{CATEGORIES}/youth",
        data={**fields, "percent": "40", "proof_required": "", "proof_hint": "단체 등록증", "csrf_token": token},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    youth = reductions.current_categories(session)["youth"]
    assert (youth.percent, youth.proof_required, youth.proof_hint, youth.version) == (40, False, "단체 등록증", 2)
    retired = client.post(f"{CATEGORIES}/national_merit/retire", data={"csrf_token": token}, follow_redirects=False)
    assert retired.status_code == 303
    _fresh(session)
    assert "national_merit" not in reductions.current_categories(session)
    saves = _audit(session, "reduction_category.save")
    assert [(e.after or {}).get("version") for e in saves] == [1, 2, 1]
    assert saves[-1].actor_id == admin.id and (saves[-1].after or {}).get("active") is False
    after = client.get(CATEGORIES).text
    assert 'data-testid="retired-category" data-code="national_merit"' in after
    assert "청소년 단체" in after and 'data-testid="category-versions"' in after


def test_officer_matches_an_unmatched_deposit_on_the_page(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=40_000))
    session.commit()
    invoice = approved_invoice(session, manager, "한빛 문화재단", 9)
    other = approved_invoice(session, manager, "서초 합창단", 13)
    deposit = BankDeposit(
        fingerprint="f" * 64,
        deposited_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        amount=invoice.total,
        depositor="홍길동",
        memo="타행이체",
        imported_by_id=manager.id,
    )
    session.add(deposit)
    session.commit()
    browser_login(client, make_user(session, role=Role.crew))
    assert client.get("/manage/deposits").status_code == 403
    browser_login(client, manager)
    page = client.get("/manage/deposits")
    assert page.status_code == 200
    assert f'data-deposit="{deposit.id}"' in page.text and invoice.number in page.text and other.number in page.text
    token = csrf_from(client, "/manage/deposits")
    matched = client.post(
        f"/manage/deposits/{deposit.id}/match",
        data={"invoice_id": str(invoice.id), "csrf_token": token},
        follow_redirects=False,
    )
    assert matched.status_code == 303 and matched.headers["location"] == "/manage/deposits"
    _fresh(session)
    stored = session.get(BankDeposit, deposit.id)
    assert stored is not None and (stored.status, stored.invoice_id) == ("matched", invoice.id)
    assert session.get(Invoice, invoice.id).status == "paid"  # type: ignore[union-attr]
    assert [e.entity_id for e in _audit(session, "bank_deposit.match")] == [str(deposit.id)]
    shown = client.get("/manage/deposits").text
    assert 'data-testid="toast"' in shown and f'href="/invoices/{invoice.id}"' in shown
    assert 'data-testid="unmatched-deposit"' not in shown
    again = client.post(
        f"/manage/deposits/{deposit.id}/match",
        data={"invoice_id": str(other.id), "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409 and again.headers["HX-Retarget"] == "#toasts"
