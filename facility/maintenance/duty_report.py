"""Submission-ready output of one duty's chain: a Korean PDF report and a CSV of its steps.

The PDF holds what a regulator asks to see: the inspection result with measured values, the
failed items, the remediation plan (the corrective work orders) and its completion evidence, each
step with its due date and the portal's reference number, and the signatures.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf.fonts import FontFace
from sqlmodel import Session

from facility.core.auth import ensure_role
from facility.core.models import MANAGING_ROLES, User
from facility.core.pdf import korean_document, render
from facility.maintenance import duties, inspections
from facility.maintenance.corrective import measured_text
from facility.maintenance.duty_models import Duty
from facility.maintenance.models import Inspection, InspectionTemplate, Photo

STATUS_KO = {"open": "진행 중", "done": "완료", "expired": "보존 기간 종료"}
WORK_STATUS_KO = {"done": "완료", "verified": "확인 완료", "cancelled": "취소"}


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _answer(item: dict[str, Any], value: Any, failed: bool) -> str:
    if failed:
        return measured_text(item, value)
    if item["type"] == "photo":
        return f"사진 {len(value or [])}장"
    if item["type"] == "number" and value not in (None, "na"):
        return f"{float(value):g} {item.get('unit', '')}".strip()
    return {"pass": "적합", "na": "해당 없음"}.get(str(value), str(value if value is not None else "—"))


def _context(
    session: Session, viewer: User, duty_id: int
) -> tuple[Duty, list[duties.DutyView], Inspection, InspectionTemplate]:
    ensure_role(viewer, *MANAGING_ROLES)
    duty = duties.get_duty(session, viewer, duty_id)
    inspection = session.get(Inspection, duty.inspection_id)
    template = session.get(InspectionTemplate, duty.template_id)
    assert inspection is not None and template is not None
    return duty, duties.views_of(session, duties.chain(session, duty.inspection_id)), inspection, template


def pdf_report(session: Session, viewer: User, duty_id: int, zone: ZoneInfo) -> bytes:
    """The chain's report as a Korean PDF (PdfFontMissing when no Korean font is available)."""
    duty, steps, inspection, template = _context(session, viewer, duty_id)
    definition = duties.duty_definition(session, template, inspection.template_version)
    submission = inspections.submissions_of(session, inspection.id)[-1]  # type: ignore[arg-type]
    inspector = session.get(User, inspection.completed_by) if inspection.completed_by else None
    verifier = session.get(User, inspection.verified_by) if inspection.verified_by else None
    pdf = korean_document(f"{definition.get('ko', duty.name_ko)} #{inspection.id}")
    pdf.set_font(size=16)
    pdf.multi_cell(0, 9, f"{definition.get('ko', duty.name_ko)} 보고서", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=10)
    facts = [
        ("법령", f"{duty.law} {duty.article}"),
        ("법령 원문", duty.source_url or "—"),
        ("점검", f"{template.name_ko} (v{inspection.template_version}, #{inspection.id})"),
        ("건물", steps[0].building if steps else "—"),
        ("점검 완료", _local(inspection.completed_at, zone)),
        ("점검자", (inspector.full_name or inspector.email) if inspector else "—"),
        ("결과", "부적합 있음" if submission.failed_items else "적합"),
    ]
    for label, value in facts:
        pdf.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "점검 결과")
    rows = [("항목", "결과", "판정")]
    for item in submission.items:
        failed = item["key"] in submission.failed_items
        answer = submission.answers.get(item["key"])
        rows.append((item["ko"], _answer(item, answer, failed), "부적합" if failed else "적합"))
    _table(pdf, rows, (60, 95, 25))
    _heading(pdf, "부적합 항목 및 시정 계획")
    orders = duties.corrective_orders(session, inspection.id)  # type: ignore[arg-type]
    if not orders:
        pdf.multi_cell(0, 6, "부적합 항목 없음", new_x="LMARGIN", new_y="NEXT")
    else:
        plan = [("작업", "내용", "기한", "상태")]
        for order in orders:
            status = WORK_STATUS_KO.get(order.status, "진행 중")
            done = f"{status} {_local(order.done_at, zone)}" if order.done_at else status
            plan.append((f"#{order.id}", order.title, _local(order.due_at, zone), done))
        _table(pdf, plan, (15, 95, 35, 35))
    _heading(pdf, "의무 이행 단계와 증빙")
    table = [("단계", "기한", "상태", "증빙")]
    for view in steps:
        step = view.duty
        proof = "; ".join(
            filter(None, [f"접수번호 {e.reference_no}" if e.reference_no else e.filename for e in view.evidence])
        )
        when = _local(step.due_at, zone)[:10]
        status = STATUS_KO.get(step.status, step.status)
        if step.done_at and step.status == "done":
            status += f" {_local(step.done_at, zone)[:10]}"
        table.append((step.name_ko, when, status, proof or "—"))
    _table(pdf, table, (55, 25, 40, 60))
    _heading(pdf, "서명")
    pdf.multi_cell(
        0,
        6,
        f"점검자 서명: {submission.signed_by} ({_local(submission.submitted_at, zone)})",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _signature_image(session, pdf, submission.signature_photo_id)
    confirmed = (
        f"{(verifier.full_name or verifier.email)} ({_local(inspection.verified_at, zone)})" if verifier else "미확인"
    )
    pdf.multi_cell(0, 6, f"안전관리자 확인: {confirmed}", new_x="LMARGIN", new_y="NEXT")
    return render(pdf)


def _heading(pdf: Any, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(size=12)
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=10)


def _table(pdf: Any, rows: Sequence[Sequence[str]], widths: tuple[int, ...]) -> None:
    # The Korean font has one weight: headings are shaded, not bold.
    headings = FontFace(emphasis=None, fill_color=(230, 234, 240))
    with pdf.table(col_widths=widths, line_height=6, first_row_as_headings=True, headings_style=headings) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(str(value))


def _signature_image(session: Session, pdf: Any, photo_id: int | None) -> None:
    photo = session.get(Photo, photo_id) if photo_id else None
    if photo is None:
        return
    try:
        pdf.image(io.BytesIO(photo.data), w=40)
    except Exception:  # noqa: BLE001 - a damaged image must not cost the whole report
        pdf.multi_cell(0, 6, "(서명 이미지를 읽을 수 없음)", new_x="LMARGIN", new_y="NEXT")


def csv_rows(session: Session, viewer: User, duty_id: int, zone: ZoneInfo) -> list[list[object]]:
    """One row per step of the chain (no portal publishes an upload format, so it is our own)."""
    duty, steps, inspection, template = _context(session, viewer, duty_id)
    rows: list[list[object]] = [
        ["duty", "law", "article", "step", "building", "inspection", "template", "completed_at",
         "due_at", "status", "done_at", "reference_no", "files", "source_url"]
    ]  # fmt: skip
    for view in steps:
        step = view.duty
        rows.append(
            [
                step.duty_code,
                step.law,
                step.article,
                step.name_ko,
                view.building,
                inspection.id,
                template.name_ko,
                _local(inspection.completed_at, zone),
                _local(step.due_at, zone),
                step.status,
                _local(step.done_at, zone) if step.done_at else "",
                "; ".join(e.reference_no for e in view.evidence if e.reference_no),
                "; ".join(e.filename for e in view.evidence if e.filename),
                step.source_url,
            ]
        )
    return rows
