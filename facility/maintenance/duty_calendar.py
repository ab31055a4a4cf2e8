"""The yearly calendar of statutory deadlines: the fixed ones of templates.yaml (the FMS plan by
15 February) and each building's statutory plans' occurrences in that year."""

from __future__ import annotations

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
    buildings = {b.id: (b.name_en if lang == "en" else b.name_ko) for b in session.exec(select(Building))}
    rooms = {r.id: r.building_id for r in session.exec(select(Room))}
    rows = session.exec(
        select(MaintenancePlan, InspectionTemplate)
        .join(InspectionTemplate, col(InspectionTemplate.id) == MaintenancePlan.template_id)
        .where(col(MaintenancePlan.active).is_(True), col(InspectionTemplate.statutory).is_(True))
        .where(MaintenancePlan.rrule != "")
    )
    for plan, template in rows:
        building_id = plan.building_id or rooms.get(plan.room_id or 0)
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
