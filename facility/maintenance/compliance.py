"""Compliance: per template and period, done on time, done late, missed and upcoming."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.core.auth import ensure_role
from facility.core.models import MANAGING_ROLES, User
from facility.maintenance.kinds import PlanKind
from facility.maintenance.models import Inspection, InspectionTemplate, MaintenancePlan
from facility.maintenance.recurrence import occurrences_between
from facility.rooms.models import Building

OUTCOMES = ("on_time", "late", "missed", "upcoming")


def outcome(inspection: Inspection, now: datetime) -> str:
    """on_time / late by the completion time against the due time; missed or upcoming if open."""
    if inspection.completed_at is not None:
        return "on_time" if inspection.completed_at <= inspection.due_at else "late"
    if inspection.status == "cancelled":
        return "cancelled"
    return "missed" if inspection.due_at < now else "upcoming"


@dataclass
class ComplianceRow:
    law: str
    template_code: str
    template_name: str
    building: str
    legal_basis: str
    verify_regulation: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def rate(self) -> float | None:
        """Share done on time among those already due."""
        due = self.counts["on_time"] + self.counts["late"] + self.counts["missed"]
        return self.counts["on_time"] / due if due else None


def _row_for(
    rows: dict[tuple[str, str, str], ComplianceRow],
    template: InspectionTemplate,
    building: Building | None,
    lang: str,
) -> ComplianceRow:
    """The row of a template in a building, created on first use."""
    building_name = (building.name_en if lang == "en" else building.name_ko) if building else "—"
    key = (template.law, template.code, building_name)
    if key not in rows:
        rows[key] = ComplianceRow(
            law=template.law,
            template_code=template.code,
            template_name=template.name_en if lang == "en" else template.name_ko,
            building=building_name,
            legal_basis=template.legal_basis,
            verify_regulation=template.verify_regulation,
        )
    return rows[key]


def compliance_report(
    session: Session,
    viewer: User | None,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    statutory_only: bool = True,
    lang: str = "ko",
) -> list[ComplianceRow]:
    """Rows by law, template and building for occurrences due in [since, until)."""
    ensure_role(viewer, *MANAGING_ROLES)
    query = (
        select(Inspection, InspectionTemplate, Building)
        .join(InspectionTemplate, col(InspectionTemplate.id) == Inspection.template_id)
        .outerjoin(Building, col(Building.id) == Inspection.building_id)
        .where(Inspection.due_at >= since)
        .where(Inspection.due_at < until)
    )
    if statutory_only:
        query = query.where(col(InspectionTemplate.statutory).is_(True))
    rows: dict[tuple[str, str, str], ComplianceRow] = {}
    for inspection, template, building in session.exec(query).all():
        row = _row_for(rows, template, building, lang)
        result = outcome(inspection, now)
        if result in row.counts:
            row.counts[result] += 1
    _project_upcoming(session, rows, since=since, until=until, now=now, statutory_only=statutory_only, lang=lang)
    return sorted(rows.values(), key=lambda r: (r.law, r.template_code, r.building))


def _project_upcoming(
    session: Session,
    rows: dict[tuple[str, str, str], ComplianceRow],
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    statutory_only: bool,
    lang: str,
) -> None:
    """Fixed plans' dates in the period that the scheduler has not created yet count as upcoming."""
    query = (
        select(MaintenancePlan, InspectionTemplate, Building)
        .join(InspectionTemplate, col(InspectionTemplate.id) == MaintenancePlan.template_id)
        .outerjoin(Building, col(Building.id) == MaintenancePlan.building_id)
        .where(col(MaintenancePlan.active).is_(True))
        .where(MaintenancePlan.kind == PlanKind.fixed.value)
    )
    if statutory_only:
        query = query.where(col(InspectionTemplate.statutory).is_(True))
    for plan, template, building in session.exec(query).all():
        # Past dates not created yet are the next tick's work, not 'upcoming'.
        starts = (plan.generated_until, since - timedelta(seconds=1), now)
        after = max(d for d in starts if d is not None)
        dues = occurrences_between(plan.rrule, plan.starts_at, after, until - timedelta(seconds=1))
        if not dues:
            continue
        _row_for(rows, template, building, lang).counts["upcoming"] += len(dues)


def totals_by_law(rows: list[ComplianceRow]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for row in rows:
        for key, value in row.counts.items():
            totals[row.law][key] += value
    return dict(totals)


def csv_rows(rows: list[ComplianceRow], zone: ZoneInfo, since: datetime, until: datetime) -> list[list[object]]:
    """The report as CSV rows (period, header, one row per inspection and building)."""
    table: list[list[object]] = [
        ["기간", f"{since.astimezone(zone):%Y-%m-%d}", f"{until.astimezone(zone):%Y-%m-%d}"],
        [
            "법령",
            "점검",
            "건물",
            "기한 내 완료",
            "지연 완료",
            "미이행",
            "예정",
            "이행률",
            "법적 근거",
            "법령 확인 필요",
        ],
    ]
    for row in rows:
        rate = f"{row.rate:.0%}" if row.rate is not None else ""
        table.append(
            [
                row.law,
                row.template_name,
                row.building,
                row.counts["on_time"],
                row.counts["late"],
                row.counts["missed"],
                row.counts["upcoming"],
                rate,
                row.legal_basis,
                "예" if row.verify_regulation else "",
            ]
        )
    return table
