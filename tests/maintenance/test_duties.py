"""Statutory duties on a simulated clock: a failed fire inspection opens its chain counted from
the completion, reminds before and escalates after each due date, closes on evidence; retention
refuses early deletion; the report reads back with pdftotext."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from facility.core.audit import AuditEntry
from facility.core.db import clock_at
from facility.core.errors import InvalidInput
from facility.core.outbox import OutboxMessage
from facility.maintenance import catalogue, duties, duty_calendar, duty_clock, duty_report, retention
from facility.maintenance.duty_models import Duty, DutyEvidence
from facility.maintenance.exceptions import EvidenceRefused, RemediationOpen, RetentionHeld
from facility.maintenance.models import InspectionTemplate, WorkOrder
from facility.rooms.models import Room
from tests.maintenance.duty_world import COMPLETED, completed_fire_inspection
from tests.maintenance.factories import PNG_1PX

ZONE = ZoneInfo("Asia/Seoul")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _steps(session: Session, inspection_id: int) -> dict[str, Duty]:
    return {d.step_key: d for d in duties.chain(session, inspection_id)}


def test_failed_fire_inspection_runs_its_chain(session: Session) -> None:
    world = completed_fire_inspection(session)
    steps = _steps(session, world.inspection.id)  # type: ignore[arg-type]
    assert list(steps) == ["report", "remediate", "post", "retain"]
    assert steps["report"].due_at == COMPLETED + timedelta(days=15)
    assert steps["remediate"].due_at == COMPLETED + timedelta(days=25)
    assert steps["post"].hold_until == COMPLETED + timedelta(days=45)
    assert steps["retain"].due_at == COMPLETED.replace(year=2028)
    assert steps["report"].law == "소방시설법" and "제23조" in steps["report"].article
    assert steps["report"].source_url.startswith("https://www.law.go.kr/")
    room = session.get(Room, world.inspection.room_id)
    assert room is not None and steps["report"].building_id == room.building_id

    # The corrective work order carries its evidence and names the inspector in its audit entry.
    order = session.get(WorkOrder, world.submission.work_order_ids[0])
    assert order is not None and order.room_id == world.inspection.room_id
    assert "옥내소화전 방수압력" in order.title and "(item" not in order.description
    assert "측정값 0.1 MPa (기준: 최소 0.17 MPa, 최대 0.7 MPa)" in order.description
    assert "소화전 밸브 점검 필요" in order.description and "/maintenance/photos/" in order.description
    assert f"/maintenance/inspections/{world.inspection.id}/checklist" in order.description
    created = session.exec(
        select(AuditEntry).where(AuditEntry.action == "work_order.create", AuditEntry.entity_id == str(order.id))
    ).one()
    assert created.actor_id == world.crew.id

    # Three days before: one reminder per step, not two; after the due date: one escalation.
    assert duty_clock.tick(session, COMPLETED + timedelta(days=13)) == 2  # report and post
    assert duty_clock.tick(session, COMPLETED + timedelta(days=13, hours=1)) == 0
    reminders = session.exec(select(OutboxMessage).where(col(OutboxMessage.subject).contains("임박"))).all()
    assert {m.to for m in reminders} == {world.manager.email}
    assert duty_clock.tick(session, COMPLETED + timedelta(days=16)) == 2
    overdue = duties.list_duties(session, world.manager, now=COMPLETED + timedelta(days=16), status="overdue")
    assert [v.duty.step_key for v in overdue] == ["report", "post"]
    assert session.exec(select(OutboxMessage).where(col(OutboxMessage.subject).contains("경과"))).first()

    # Evidence closes a step; the wrong kind or an open remediation is refused with a reason.
    later = COMPLETED + timedelta(days=17)
    with pytest.raises(EvidenceRefused):
        duties.add_evidence(session, world.manager, steps["report"].id, now=later, note="번호 없음")  # type: ignore[arg-type]
    duties.add_evidence(session, world.manager, steps["report"].id, now=later, reference_no=" 2026-0123 ")  # type: ignore[arg-type]
    assert steps["report"].status == "done" and steps["report"].done_by == world.manager.id
    with pytest.raises(InvalidInput):
        duties.add_evidence(
            session,
            world.manager,
            steps["post"].id,
            now=later,
            filename="x.pdf",
            data=b"<html>not a pdf",  # type: ignore[arg-type]
        )
    duties.add_evidence(session, world.manager, steps["post"].id, now=later, filename="게시.png", data=PNG_1PX)  # type: ignore[arg-type]
    waiting = duties.list_duties(session, world.manager, now=later, status="open")
    assert [v.duty.step_key for v in waiting if v.waiting_on_remediation] == ["remediate"]
    with pytest.raises(RemediationOpen):
        duties.add_evidence(session, world.manager, steps["remediate"].id, now=later, reference_no="R-1")  # type: ignore[arg-type]
    order.status = "done"
    session.add(order)
    duties.add_evidence(
        session,
        world.manager,
        steps["remediate"].id,
        now=later,
        filename="완료.pdf",
        data=PDF_BYTES,  # type: ignore[arg-type]
    )
    assert duties.list_duties(session, world.manager, now=later, status="open") == []
    assert {v.duty.step_key for v in duties.list_duties(session, world.manager, now=later, status="done")} == {
        "report",
        "post",
        "remediate",
    }
    session.commit()

    table = duty_report.csv_rows(session, world.manager, steps["report"].id, ZONE)  # type: ignore[arg-type]
    assert table[1][:3] == ["fire-self-inspection", "소방시설법", steps["report"].article]
    assert table[1][11] == "2026-0123"


def test_retention_refuses_early_deletion(session: Session) -> None:
    world = completed_fire_inspection(session)
    steps = _steps(session, world.inspection.id)  # type: ignore[arg-type]
    duties.add_evidence(session, world.manager, steps["post"].id, now=COMPLETED, filename="p.png", data=PNG_1PX)  # type: ignore[arg-type]
    session.commit()
    a_year_on = COMPLETED + timedelta(days=365)
    with pytest.raises(RetentionHeld) as held:
        retention.purge(session, world.manager, world.inspection.id, a_year_on)  # type: ignore[arg-type]
    assert "2028-03-02" in held.value.message
    # The table guards itself too: no other path deletes evidence still kept.
    evidence = session.exec(select(DutyEvidence)).one()
    session.delete(evidence)
    with pytest.raises(RetentionHeld):
        session.flush()
    session.rollback()
    assert retention.deletable_report(session, world.manager, a_year_on) == []

    after = COMPLETED.replace(year=2028) + timedelta(days=1)
    assert duty_clock.expire_retention(session, after) == 1
    report = retention.deletable_report(session, world.manager, after)
    assert [(r.inspection_id, r.files) for r in report] == [(world.inspection.id, 1)]
    with clock_at(after):
        assert retention.purge(session, world.manager, world.inspection.id, after) == 1 + 4  # type: ignore[arg-type]
    assert duties.chain(session, world.inspection.id) == []  # type: ignore[arg-type]

    # The year's calendar: the FMS plan by 15 February and the building's yearly fire check.
    entries = duty_calendar.yearly_calendar(session, world.manager, 2027, ZONE)
    fms = [e for e in entries if (e.on.month, e.on.day) == (2, 15)]
    assert fms and "FMS" in fms[0].title and fms[0].law == "시설물안전법"
    fire = [e for e in entries if e.title == "소방시설 작동점검"]
    assert fire and all(e.building != "—" and e.on.year == 2027 for e in fire)


def test_shipped_templates_cite_the_law_without_research_notes() -> None:
    specs = catalogue.load_content()["templates"]
    templates = {s["code"]: InspectionTemplate(code=s["code"], **catalogue.shipped_values(s)) for s in specs}
    notes = ("[U]", "not in the reference table", "tistory", "blog", "sedaily", ".co.kr", "참고자료")
    for template in templates.values():
        shown = [template.name_ko, template.legal_basis, template.cadence, template.article]
        shown += [item["ko"] for item in template.items]
        assert not [n for n in notes for text in shown if n in text], template.code
        if template.statutory:
            assert template.article and template.source_url.startswith("https://www.law.go.kr/"), template.code
            assert all(i["law"] == template.law and i["article"] for i in template.items), template.code
        assert template.reviewed is False
    fire = templates["fire-operational"]
    assert fire.duty["steps"][0]["days"] == 15 and fire.duty["source_url"].startswith("https://www.law.go.kr/")
