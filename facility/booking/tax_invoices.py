"""전자세금계산서 data: taxable invoices as rows of the 홈택스 bulk-issuance sheet (엑셀 일괄발급,
일반 세금계산서), for the officer to upload to 홈택스 or hand to the institution's ERP.

One row per taxable, not void invoice of the month whose buyer has a business registration
number (a tax invoice needs one); one item per row, the whole supply value and VAT. The supplier
is FACILITY_INSTITUTION_*; without its business number the export is refused, never blank.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlmodel import Session, col, select

from facility.booking.common import local_zone
from facility.booking.models import Booking, Invoice, InvoiceStatus
from facility.core.auth import ensure_role
from facility.core.config import active_settings
from facility.core.errors import Conflict
from facility.core.exports import neutralise
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, Organization, User
from facility.rooms.models import Room

ITEM_COLUMNS = ("일자", "품목", "규격", "수량", "단가", "공급가액", "세액", "품목비고")
# The sheet's columns, in 홈택스's order (items 2-4 left empty: one item per invoice).
HEADER = [
    "전자(세금)계산서 종류",
    "작성일자",
    "공급자 등록번호",
    "공급자 종사업장번호",
    "공급자 상호",
    "공급자 성명",
    "공급자 사업장주소",
    "공급자 업태",
    "공급자 종목",
    "공급자 이메일",
    "공급받는자 등록번호",
    "공급받는자 종사업장번호",
    "공급받는자 상호",
    "공급받는자 성명",
    "공급받는자 사업장주소",
    "공급받는자 업태",
    "공급받는자 종목",
    "공급받는자 이메일1",
    "공급받는자 이메일2",
    "공급가액",
    "세액",
    "비고",
    *[f"{name}{n}" for n in range(1, 5) for name in ITEM_COLUMNS],
    "현금",
    "수표",
    "어음",
    "외상미수금",
    "영수(01)/청구(02)",
]
GENERAL_TAX_INVOICE = "01"
RECEIPT, CLAIM = "01", "02"
SUPPLIER_TRADE = ("서비스", "시설 대여")


def _month_range(month: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    start = datetime.combine(month, time(), tzinfo=zone)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime.combine(following, time(), tzinfo=zone)


def export_rows(session: Session, actor: User, month: date) -> tuple[list[list[object]], int]:
    """The sheet's rows for invoices issued in `month`, and how many lacked the buyer's number."""
    ensure_role(actor, *MANAGING_ROLES)
    issuer = active_settings().institution
    if not issuer.business_number:
        raise Conflict(
            _("Set FACILITY_INSTITUTION_BUSINESS_NUMBER first: a tax invoice carries the supplier's number."),
            code="issuer_unset",
        )
    start, end = _month_range(month)
    query = (
        select(Invoice)
        .where(col(Invoice.taxable).is_(True), Invoice.status != InvoiceStatus.void.value)
        .where(Invoice.issued_at >= start, Invoice.issued_at < end)
        .order_by(col(Invoice.number))
    )
    rows: list[list[object]] = [list(HEADER)]
    skipped = 0
    for invoice in session.exec(query):
        org = session.get(Organization, invoice.organization_id) if invoice.organization_id else None
        if org is None or not org.business_number:
            skipped += 1
            continue
        booking = session.get(Booking, invoice.booking_id)
        room = session.get(Room, booking.room_id) if booking else None
        issued = invoice.issued_at.astimezone(local_zone())
        item = f"시설 대관료 {room.name_ko}" if room else "시설 대관료"
        if booking:
            item += booking.starts_at.astimezone(local_zone()).strftime(" %m/%d")
        first_item = [issued.strftime("%d"), item[:100], "", 1, invoice.net, invoice.net, invoice.vat, invoice.number]
        rows.append(
            [
                GENERAL_TAX_INVOICE,
                issued.strftime("%Y%m%d"),
                issuer.business_number.replace("-", ""),
                "",
                issuer.name,
                issuer.representative,
                issuer.address,
                *SUPPLIER_TRADE,
                issuer.email,
                org.business_number.replace("-", ""),
                "",
                org.name,
                org.contact_name,
                "",
                "",
                "",
                org.contact_email,
                "",
                invoice.net,
                invoice.vat,
                invoice.number,
                *first_item,
                *[""] * 24,
                "",
                "",
                "",
                "",
                RECEIPT if invoice.status == InvoiceStatus.paid.value else CLAIM,
            ]
        )
    return rows, skipped


def as_xlsx(rows: list[list[object]]) -> bytes:
    """The rows as the sheet 홈택스 uploads: numbers stay numbers, text stays text (never a formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("세금계산서")
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value if isinstance(value, int) else neutralise(str(value)))  # type: ignore[arg-type]
            if not isinstance(value, int):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
