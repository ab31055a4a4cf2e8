"""The renter's papers: the use permit and the receipt, read back with pdftotext (Korean intact),
the issuer from settings (no placeholder), and a renter sees only their own."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import Session, select

from facility.app import create_app
from facility.booking import flows, invoices, service
from facility.booking.models import FeeSchedule, Invoice
from facility.core.config import InstitutionSettings, Settings
from facility.core.errors import Conflict
from facility.core.models import Role, User
from facility.core.security import issue_token
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_organization, make_room, make_user
from tests.keys import TEST_SECRET_KEY


def token_headers(_client: TestClient, user: User) -> dict[str, str]:
    """A bearer token without the Argon2 sign-in (the sign-in is tested elsewhere)."""
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id, user.session_version)}"}  # type: ignore[arg-type]


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_permit_and_receipt_in_korean_with_the_configured_issuer(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    seal = tmp_path / "seal.png"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(seal)
    institution = InstitutionSettings(
        name="서울특별시교육청교육연수원",
        business_number="220-81-62517",
        representative="원장",
        bank_account="신한은행 100-035-123456 (예금주 교육연수원)",
        seal_image=str(seal),
    )
    app = create_app(settings.model_copy(update={"institution": institution}))
    org = make_organization(session, name="한빛 문화재단")
    renter, manager = make_user(session, organization=org), make_user(session, role=Role.manager)
    stranger = make_user(session)
    room = make_room(session, code="AUD")
    session.add(FeeSchedule(room_id=room.id, hourly=40_000))
    session.commit()
    day = next_weekday()
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "교사 연수회"}
    )
    session.commit()
    with TestClient(app) as client:
        mine = token_headers(client, renter)
        permit = f"/api/v1/bookings/{booking.id}/permit.pdf"
        not_yet = client.get(permit, headers=mine)
        assert not_yet.status_code == 409 and "승인" in not_yet.json()["detail"]
        flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
        session.commit()

        answer = client.get(permit, headers=mine)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
        text = pdf_text(answer.content, tmp_path)
        number = f"{day.year}-{booking.id:06d}"
        fee = f"{booking.price_total:,}원"
        for expected in ("사용허가서", f"제{number}호", "한빛 문화재단", "강의실 AUD", "교사 연수회", fee):
            assert expected in text, (expected, text)
        assert "허가 조건" in text and "서울특별시교육청교육연수원 원장" in text
        assert b"/Subtype /Image" in answer.content  # the seal is stamped
        assert client.get(permit, headers=token_headers(client, stranger)).status_code == 404

        invoice = session.get(Invoice, client.get("/api/v1/invoices", headers=mine).json()[0]["id"])
        assert invoice is not None and invoice.taxable
        receipt = f"/api/v1/invoices/{invoice.id}/receipt.pdf"
        assert client.get(receipt, headers=mine).status_code == 409
        flows.record_payment(session, manager, invoice.id, amount=invoice.total, paid_on=date.today())  # type: ignore[arg-type]
        session.commit()
        text = pdf_text(client.get(receipt, headers=mine).content, tmp_path)
        for expected in ("영수증", invoice.number, f"{invoice.total:,}원", "220-81-62517", "신한은행 100-035-123456"):
            assert expected in text, (expected, text)
        assert client.get(receipt, headers=token_headers(client, stranger)).status_code == 404

        page = client.get(f"/invoices/{invoice.id}", headers=mine)
        assert "000-000000" not in page.text


def test_tax_invoice_rows_in_the_hometax_sheet(settings: Settings, session: Session) -> None:
    """Taxable invoices with the buyer's number become 홈택스 rows; the supplier must be configured."""
    from facility.booking import tax_invoices
    from facility.core.config import using

    buyer = make_organization(session, name="(주)서초교육")
    buyer.business_number, buyer.contact_email = "123-45-67891", "tax@seocho.kr"
    renter, manager = make_user(session, organization=buyer), make_user(session, role=Role.manager)
    nameless = make_user(session)
    room = make_room(session, code="HALL")
    session.add(FeeSchedule(room_id=room.id, hourly=40_000))
    session.commit()
    day = next_weekday()
    for who, hour in ((renter, 9), (nameless, 13)):
        booking = service.request_booking(
            session, who, {"room_id": room.id, "start": seoul(day, hour), "end": seoul(day, hour + 2), "title": "행사"}
        )
        flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    month = date.today().replace(day=1)
    with pytest.raises(Conflict):
        tax_invoices.export_rows(session, manager, month)
    institution = InstitutionSettings(name="교육연수원", business_number="2208162517", representative="원장")
    with using(settings.model_copy(update={"institution": institution})):
        rows, skipped = tax_invoices.export_rows(session, manager, month)
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and skipped == 1 and header == tax_invoices.HEADER
    invoice = session.exec(select(Invoice).where(Invoice.organization_id == buyer.id)).one()
    assert row["공급자 등록번호"] == "2208162517" and row["공급받는자 등록번호"] == "1234567891"
    assert (row["공급가액"], row["세액"], row["영수(01)/청구(02)"]) == (invoice.net, invoice.vat, "02")
    assert row["품목1"].startswith("시설 대관료 강의실 HALL") and row["공급받는자 이메일1"] == "tax@seocho.kr"
    sheet = load_workbook(io.BytesIO(tax_invoices.as_xlsx(rows))).active
    assert sheet is not None and [c.value for c in sheet[1]] == tax_invoices.HEADER
    assert sheet.cell(2, tax_invoices.HEADER.index("공급가액") + 1).value == invoice.net
    # Unmarked by the officer (VAT-exempt, say), it leaves the export.
    invoices.set_taxable(session, manager, invoice.id, False)  # type: ignore[arg-type]
    with using(settings.model_copy(update={"institution": institution})):
        assert len(tax_invoices.export_rows(session, manager, month)[0]) == 1
