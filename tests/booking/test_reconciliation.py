"""Bank reconciliation: a statement as a Korean bank exports it (CP949, title rows above the
header) pays the invoices it matches by amount and name or number, lists the rest, and the same
statement imported again pays nothing twice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from facility.booking import flows, service
from facility.booking.models import BankDeposit, Booking, FeeSchedule, Invoice, Payment
from facility.core.models import Role, User
from facility.core.security import issue_token
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_organization, make_room, make_user
from tests.keys import TEST_SECRET_KEY


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id, user.session_version)}"}  # type: ignore[arg-type]


def approved_invoice(session: Session, manager: User, org_name: str, hour: int, weekday: int = 1) -> Invoice:
    org = make_organization(session, name=org_name)
    renter = make_user(session, organization=org)
    room = session.exec(select(FeeSchedule)).one().room_id
    day = next_weekday(weekday=weekday)
    booking = service.request_booking(
        session, renter, {"room_id": room, "start": seoul(day, hour), "end": seoul(day, hour + 2), "title": org_name}
    )
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    return session.exec(select(Invoice).where(Invoice.booking_id == booking.id)).one()


def test_a_statement_imported_twice_pays_each_matched_invoice_once(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=40_000))
    session.commit()
    by_name = approved_invoice(session, manager, "한빛 문화재단", 9)
    legal_form = approved_invoice(session, manager, "(주)서초교육", 12)
    by_number = approved_invoice(session, manager, "강남 합창단", 15)
    # Two invoices owe the same amount; a deposit naming neither stays for the officer.
    statement = "\r\n".join(
        [
            "거래내역조회,,,,,",
            "계좌번호,100-035-123456,,,,",
            "거래일시,적요,입금액,출금액,잔액,입금자명",
            f'2026.12.01 10:15:02,타행이체,"{by_name.total:,}",0,"{by_name.total:,}",한빛문화재단',
            f"2026.12.01 11:00:40,인터넷,{legal_form.total},0,{by_name.total + legal_form.total},서초교육",
            f"2026.12.02 09:01:00,{by_number.number},{by_number.total},0,1,김철수",
            "2026.12.02 09:30:00,대체,0,50000,2,관리비",
            f"2026.12.03 16:45:00,타행이체,{by_name.total},0,3,홍길동",
        ]
    ).encode("cp949")
    headers = bearer(manager)
    upload = {"file": ("거래내역.csv", statement, "text/csv")}
    first = client.post("/api/v1/bank-statements", files=upload, headers=headers)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["deposits"] == 4 and report["withdrawals_skipped"] == 1
    assert {m["invoice_id"] for m in report["matched"]} == {by_name.id, legal_form.id, by_number.id}
    assert [u["depositor"] for u in report["unmatched"]] == ["홍길동"]

    again = client.post("/api/v1/bank-statements", files=upload, headers=headers).json()
    assert again["deposits"] == 0 and again["already_imported"] == 4 and again["matched"] == []
    session.commit()  # a fresh snapshot: the app committed in its own sessions
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Payment)).one() == 3
    for invoice in (by_name, legal_form, by_number):
        fresh = session.get(Invoice, invoice.id)
        assert fresh is not None and fresh.status == "paid" and fresh.paid == fresh.total
        booking = session.get(Booking, fresh.booking_id)
        assert booking is not None and booking.status == "confirmed"

    unmatched = client.get("/api/v1/bank-deposits?status=unmatched", headers=headers).json()
    assert [d["depositor"] for d in unmatched] == ["홍길동"]
    # The officer's page: the same upload answers with a summary, the unmatched wait below the invoices.
    browser_login(client, manager)
    token = csrf_from(client, "/manage/invoices")
    page = client.post("/manage/bank-statements", files=upload, data={"csrf_token": token})
    assert "이미 불러온 입금 4건" in page.text
    assert "홍길동" in page.text.split('data-testid="unmatched-deposits"', 1)[1]
    session.commit()  # end the read snapshot taken before the app's writes
    other = approved_invoice(session, manager, "종로 독서회", 9, weekday=2)
    assert other.total == by_name.total
    matched = client.post(
        f"/api/v1/bank-deposits/{unmatched[0]['id']}/match", json={"invoice_id": other.id}, headers=headers
    )
    assert matched.status_code == 200 and matched.json()["status"] == "matched"
    twice = client.post(
        f"/api/v1/bank-deposits/{unmatched[0]['id']}/match", json={"invoice_id": other.id}, headers=headers
    )
    assert twice.status_code == 409
    assert session.exec(select(func.count()).select_from(BankDeposit)).one() == 4
    session.commit()

    renter = make_user(session)
    assert client.post("/api/v1/bank-statements", files=upload, headers=bearer(renter)).status_code == 403
    bad = client.post("/api/v1/bank-statements", files={"file": ("x.csv", b"a,b\n1,2\n")}, headers=headers)
    assert bad.status_code == 422 and "거래일시" in bad.json()["detail"]


def test_statement_columns_as_other_banks_name_them() -> None:
    """거래일자 + 거래시간, 맡기신금액/찾으신금액, 기재내용: another bank's XLSX layout, read the same."""
    from facility.booking.reconciliation import fingerprints, parse_statement
    from facility.imports.files import read_table, write_xlsx

    header = ["거래일자", "거래시간", "적요", "찾으신금액", "맡기신금액", "거래후잔액", "기재내용"]
    rows = [
        {"거래일자": "2026.12.01", "거래시간": "10:15:02", "적요": "타행", "찾으신금액": "0",
         "맡기신금액": "88,000", "거래후잔액": "88,000", "기재내용": "한빛문화재단"},
        {"거래일자": "2026.12.01", "거래시간": "10:20:00", "적요": "출금", "찾으신금액": "1,000",
         "맡기신금액": "0", "거래후잔액": "87,000", "기재내용": "수수료"},
    ]  # fmt: skip
    from facility.core.config import ImportLimits

    table = read_table(write_xlsx(header, rows, "거래내역"), ImportLimits())
    lines, withdrawals = parse_statement(table.header, table.rows)
    assert withdrawals == 1 and len(lines) == 1
    line = lines[0]
    assert (line.amount, line.depositor, line.balance) == (88_000, "한빛문화재단", 88_000)
    assert line.deposited_at.isoformat() == "2026-12-01T10:15:02+09:00"
    assert len(set(fingerprints([line, line]))) == 2  # identical lines count apart
