"""Bank reconciliation: the deposits of a statement, as Korean banks export it, matched to invoices.

A deposit is matched when its amount is what an invoice still owes and either the invoice number
is in the depositor's text or the depositor's name is the organisation's (banks cut names to a
few characters, so either may contain the other). A match is paid through `flows.record_payment`,
the same locked path as a payment typed in by hand; everything else is listed for the officer.

Each line is stored once, under the unique hash of the line itself: the same statement imported
twice (or by two officers at once) inserts, and so pays, each deposit exactly once.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from facility.booking import flows
from facility.booking.common import local_zone
from facility.booking.models import BankDeposit, DepositStatus, Invoice, InvoiceStatus
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import Conflict, FacilityError, InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, Organization, User

# Column names as the banks' statement downloads spell them (국민, 신한, 우리, 하나, 농협, 기업).
DATE_COLUMNS = ("거래일시", "거래일자", "거래일", "거래 일시", "일시", "날짜")
TIME_COLUMNS = ("거래시간", "시간")
DEPOSIT_COLUMNS = ("입금액", "입금", "맡기신금액", "입금(원)", "입금금액")
WITHDRAWAL_COLUMNS = ("출금액", "출금", "찾으신금액", "출금(원)", "출금금액")
BALANCE_COLUMNS = ("잔액", "거래후잔액", "거래후 잔액", "잔액(원)")
DEPOSITOR_COLUMNS = ("입금자명", "입금자", "보낸분", "의뢰인", "기재내용", "내용", "거래내용", "받는분/보낸분")
MEMO_COLUMNS = ("적요", "메모", "비고", "거래구분", "구분")
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y%m%d %H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y.%m.%d",
    "%Y/%m/%d",
    "%Y%m%d",
)
# Banks add title rows (account, period) above the header: look this far down for it.
HEADER_SEARCH_ROWS = 15
# Legal-form words a depositor may or may not write: (주)한빛 and 한빛 are the same payer.
LEGAL_FORMS = re.compile(r"\(주\)|주식회사|\(사\)|사단법인|\(재\)|재단법인|\(유\)|\s")


@dataclass(frozen=True)
class StatementLine:
    """One deposit of the statement, as the bank wrote it."""

    row: int
    deposited_at: datetime
    amount: int
    depositor: str
    memo: str
    balance: int | None


@dataclass
class ReconciliationReport:
    """What one import did: lines new to us, matched and paid, left for the officer, seen before."""

    deposits: int = 0
    matched: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    already_imported: int = 0
    withdrawals_skipped: int = 0


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    cleaned = [h.strip().lower().replace(" ", "") for h in header]
    for name in names:
        key = name.replace(" ", "").lower()
        if key in cleaned:
            return cleaned.index(key)
    return None


def _amount(text: str) -> int:
    digits = text.replace(",", "").replace("원", "").strip()
    if not digits or digits in {"-", "0"}:
        return 0
    try:
        return round(float(digits))
    except ValueError:
        raise InvalidInput(_("{text} is not an amount.", text=text)) from None


def _moment(text: str, clock: str) -> datetime:
    text = " ".join(filter(None, [text.strip(), clock.strip()]))
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=local_zone())
        except ValueError:
            continue
    raise InvalidInput(_("{text} is not a date and time.", text=text))


def parse_statement(header: list[str], rows: list[tuple[int, list[str]]]) -> tuple[list[StatementLine], int]:
    """The deposits of a statement table and the number of withdrawals passed over."""
    table = [(0, header), *rows]
    found = [
        position
        for position, (_number, candidate) in enumerate(table[:HEADER_SEARCH_ROWS])
        if _find(candidate, DATE_COLUMNS) is not None and _find(candidate, DEPOSIT_COLUMNS) is not None
    ]
    if not found:
        raise InvalidInput(
            _("No statement header found: the file needs the columns 거래일시 and 입금액 (and 입금자명 or 내용)."),
            code="statement_header",
        )
    start = found[0]
    header = table[start][1]
    index = {
        "date": _find(header, DATE_COLUMNS),
        "time": _find(header, TIME_COLUMNS),
        "deposit": _find(header, DEPOSIT_COLUMNS),
        "withdrawal": _find(header, WITHDRAWAL_COLUMNS),
        "balance": _find(header, BALANCE_COLUMNS),
        "depositor": _find(header, DEPOSITOR_COLUMNS),
        "memo": _find(header, MEMO_COLUMNS),
    }

    def cell(row: list[str], name: str) -> str:
        position = index[name]
        return row[position] if position is not None and position < len(row) else ""

    lines, withdrawals = [], 0
    for number, row in table[start + 1 :]:
        amount = _amount(cell(row, "deposit"))
        if amount <= 0:
            withdrawals += 1 if _amount(cell(row, "withdrawal")) > 0 else 0
            continue
        balance = cell(row, "balance")
        try:
            moment = _moment(cell(row, "date"), cell(row, "time"))
        except InvalidInput as error:
            raise InvalidInput(_("Row {row}: {message}", row=number, message=error.message)) from None
        lines.append(
            StatementLine(
                row=number,
                deposited_at=moment,
                amount=amount,
                depositor=cell(row, "depositor")[:100],
                memo=cell(row, "memo")[:200],
                balance=_amount(balance) if balance else None,
            )
        )
    return lines, withdrawals


def fingerprints(lines: list[StatementLine]) -> list[str]:
    """A hash per line of what the bank wrote; identical lines (no balance column) count apart."""
    seen: Counter[tuple[Any, ...]] = Counter()
    result = []
    for line in lines:
        key = (line.deposited_at.isoformat(), line.amount, line.depositor, line.memo, line.balance)
        seen[key] += 1
        result.append(hashlib.sha256(repr((*key, seen[key])).encode()).hexdigest())
    return result


def _squeezed(name: str) -> str:
    return LEGAL_FORMS.sub("", name).lower()


def find_invoice(session: Session, line: StatementLine) -> Invoice | None:
    """The one open invoice this deposit pays (amount owed, and its number or payer named), else None."""
    owing = list(
        session.exec(
            select(Invoice).where(
                Invoice.status == InvoiceStatus.issued.value, col(Invoice.total) - col(Invoice.paid) == line.amount
            )
        )
    )
    text = f"{line.depositor} {line.memo}"
    by_number = [i for i in owing if i.number in text or i.number.replace("-", "") in text.replace("-", "")]
    if len(by_number) == 1:
        return by_number[0]
    payer = _squeezed(line.depositor)
    if len(payer) < 2:
        return None
    by_name = []
    for invoice in owing:
        org = session.get(Organization, invoice.organization_id) if invoice.organization_id else None
        name = _squeezed(org.name) if org else ""
        if name and (payer in name or name in payer):
            by_name.append(invoice)
    return by_name[0] if len(by_name) == 1 else None


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """The new deposit's id, or None when this very line was imported before."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(BankDeposit)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["fingerprint"])
        .returning(col(BankDeposit.id))
    )
    return session.execute(statement).scalar_one_or_none()


def reconcile(
    session: Session, actor: User, header: list[str], rows: list[tuple[int, list[str]]]
) -> ReconciliationReport:
    """Import a statement's deposits once each, pay the matched invoices, list the rest."""
    ensure_role(actor, *MANAGING_ROLES)
    lines, withdrawals = parse_statement(header, rows)
    report = ReconciliationReport(withdrawals_skipped=withdrawals)
    for line, fingerprint in zip(lines, fingerprints(lines), strict=True):
        deposit_id = _insert_once(
            session,
            {
                "fingerprint": fingerprint,
                "deposited_at": line.deposited_at,
                "amount": line.amount,
                "depositor": line.depositor,
                "memo": line.memo,
                "balance": line.balance,
                "status": DepositStatus.unmatched.value,
                "imported_by_id": actor.id,
            },
        )
        if deposit_id is None:
            report.already_imported += 1
            continue
        report.deposits += 1
        deposit = session.get(BankDeposit, deposit_id)
        assert deposit is not None
        _settle(session, actor, deposit, line, report)
    audit.record(
        session,
        actor,
        "bank_statement.import",
        "bank_deposit",
        after={
            "deposits": report.deposits,
            "matched": len(report.matched),
            "unmatched": len(report.unmatched),
            "already_imported": report.already_imported,
        },
    )
    return report


def _settle(
    session: Session, actor: User, deposit: BankDeposit, line: StatementLine, report: ReconciliationReport
) -> None:
    summary = {
        "deposit_id": deposit.id,
        "row": line.row,
        "deposited_at": line.deposited_at.isoformat(),
        "amount": line.amount,
        "depositor": line.depositor,
        "memo": line.memo,
    }
    invoice = find_invoice(session, line)
    if invoice is not None:
        paid_on: date = line.deposited_at.astimezone(local_zone()).date()
        try:
            with session.begin_nested():
                payment = flows.record_payment(
                    session,
                    actor,
                    invoice.id,  # type: ignore[arg-type]
                    amount=line.amount,
                    paid_on=paid_on,
                    reference=f"bank:{deposit.id}",
                )
        except FacilityError:
            invoice = None
        else:
            deposit.status, deposit.invoice_id, deposit.payment_id = DepositStatus.matched.value, invoice.id, payment.id
            session.add(deposit)
            session.flush()
            report.matched.append({**summary, "invoice_id": invoice.id, "invoice_number": invoice.number})
            return
    report.unmatched.append(summary)


def list_deposits(session: Session, actor: User, *, status: str | None = None) -> list[BankDeposit]:
    """Imported deposits, newest first; `unmatched` is the officer's to-do list."""
    ensure_role(actor, *MANAGING_ROLES)
    query = select(BankDeposit).order_by(col(BankDeposit.deposited_at).desc())
    if status:
        query = query.where(BankDeposit.status == status)
    return list(session.exec(query.limit(500)))


def match_deposit(session: Session, actor: User, deposit_id: int, invoice_id: int) -> BankDeposit:
    """The officer pays an invoice with an unmatched deposit (locked: it pays once)."""
    ensure_role(actor, *MANAGING_ROLES)
    deposit = session.get(BankDeposit, deposit_id, with_for_update=True, populate_existing=True)
    if deposit is None:
        raise NotFound(_("No such deposit."))
    if deposit.status == DepositStatus.matched.value:
        raise Conflict(_("This deposit already paid invoice {invoice}.", invoice=deposit.invoice_id), code="matched")
    paid_on = deposit.deposited_at.astimezone(local_zone()).date()
    payment = flows.record_payment(
        session, actor, invoice_id, amount=deposit.amount, paid_on=paid_on, reference=f"bank:{deposit.id}"
    )
    before = audit.snapshot(deposit)
    deposit.status, deposit.invoice_id, deposit.payment_id = DepositStatus.matched.value, invoice_id, payment.id
    session.add(deposit)
    session.flush()
    audit.record(session, actor, "bank_deposit.match", "bank_deposit", deposit.id, before=before, after=deposit)
    return deposit


def match_candidates(session: Session, actor: User, deposits: list[BankDeposit]) -> dict[int, list[Invoice]]:
    """Per unmatched deposit, the open invoices it could pay: those owing exactly its amount first,
    then those owing more (a part payment); a deposit larger than every debt has none."""
    ensure_role(actor, *MANAGING_ROLES)
    owing = list(
        session.exec(
            select(Invoice)
            .where(Invoice.status == InvoiceStatus.issued.value, Invoice.kind != "refund")
            .order_by(col(Invoice.due_on), col(Invoice.id))
        )
    )
    found = {}
    for deposit in deposits:
        fitting = [i for i in owing if i.total - i.paid >= deposit.amount]
        found[deposit.id or 0] = sorted(fitting, key=lambda i: i.total - i.paid != deposit.amount)
    return found


def invoices_of(session: Session, actor: User, deposits: list[BankDeposit]) -> dict[int, Invoice]:
    """The invoices the matched deposits paid, by id."""
    ensure_role(actor, *MANAGING_ROLES)
    ids = {d.invoice_id for d in deposits if d.invoice_id is not None}
    if not ids:
        return {}
    return {i.id or 0: i for i in session.exec(select(Invoice).where(col(Invoice.id).in_(ids)))}
