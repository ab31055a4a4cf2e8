"""The yearly calendar of statutory deadlines: the fixed ones of templates.yaml (the FMS plan by
15 February) and each building's statutory plans' occurrences in that year. A template marked
`approval_month` (the fire self-inspections) falls due by the end of the building's 사용승인월
instead of its plan's default month, once the building's approval month is known."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.core.auth import ensure_role
from facility.core.models import MANAGING_ROLES, User
from facility.maintenance.catalogue import load_content
from facility.maintenance.models import InspectionTemplate, MaintenancePlan
from facility.maintenance.recurrence import occurrences_between
from facility.rooms.models import Building, Room

# Monthly duties would fill the calendar; it shows the first few of a plan and the count.
MAX_PER_PLAN = 12


@dataclass(frozen=True)
class CalendarEntry:
    on: date
    title: str
    law: str
    article: str
    source_url: str
    building: str


def approval_month_templates() -> frozenset[str]:
    """Codes of the templates whose yearly check the law ties to the building's approval month."""
    return frozenset(spec["code"] for spec in load_content().get("templates", []) if spec.get("approval_month"))


def yearly_calendar(
    session: Session, viewer: User | None, year: int, zone: ZoneInfo, lang: str = "ko"
) -> list[CalendarEntry]:
    """Every statutory deadline of the year, by date."""
    ensure_role(viewer, *MANAGING_ROLES)
    entries = [
        CalendarEntry(
            date(year, spec["month"], spec["day"]),
            spec["en"] if lang == "en" else spec["ko"],
            spec["law"],
            spec.get("article", ""),
            spec.get("url", ""),
            "—",
        )
        for spec in load_content().get("calendar", [])
    ]
    since = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    until = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    rows_of_buildings = list(session.exec(select(Building)))
    buildings = {b.id: (b.name_en if lang == "en" else b.name_ko) for b in rows_of_buildings}
    approval_months = {b.id: b.approval_month for b in rows_of_buildings if b.approval_month}
    in_approval_month = approval_month_templates()
    rooms = {r.id: r.building_id for r in session.exec(select(Room))}
    rows = session.exec(
        select(MaintenancePlan, InspectionTemplate)
        .join(InspectionTemplate, col(InspectionTemplate.id) == MaintenancePlan.template_id)
        .where(col(MaintenancePlan.active).is_(True), col(InspectionTemplate.statutory).is_(True))
        .where(MaintenancePlan.rrule != "")
    )
    for plan, template in rows:
        building_id = plan.building_id or rooms.get(plan.room_id or 0)
        month = approval_months.get(building_id or 0)
        if template.code in in_approval_month and month:
            entries.append(
                CalendarEntry(
                    date(year, month, calendar.monthrange(year, month)[1]),
                    template.name_en if lang == "en" else template.name_ko,
                    template.law,
                    template.article,
                    template.source_url,
                    buildings.get(building_id or 0, "—"),
                )
            )
            continue
        for moment in occurrences_between(plan.rrule, plan.starts_at, since, until, zone)[:MAX_PER_PLAN]:
            entries.append(
                CalendarEntry(
                    moment.astimezone(zone).date(),
                    template.name_en if lang == "en" else template.name_ko,
                    template.law,
                    template.article,
                    template.source_url,
                    buildings.get(building_id or 0, "—"),
                )
            )
    return sorted(entries, key=lambda e: (e.on, e.law, e.title))
