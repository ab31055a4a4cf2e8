"""Typed factories for maintenance test data; each commits so the app's sessions see the rows."""

from __future__ import annotations

import base64
import itertools
import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from facility.maintenance import plans
from facility.maintenance.catalogue import normalise_items
from facility.maintenance.kinds import AssetKind, PlanKind
from facility.maintenance.models import (
    Asset,
    Inspection,
    InspectionTemplate,
    MaintenancePlan,
    Part,
)
from facility.rooms.models import Room
from tests.factories import make_room

_seq = itertools.count(1)
# The smallest valid PNG: a 1x1 transparent pixel.
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()

POOL_ITEMS = [
    {"key": "posted", "type": "check", "ko": "검사 결과 게시"},
    {"key": "ph", "type": "number", "ko": "수소이온농도", "min": 5.8, "max": 8.6},
    {"key": "remarks", "type": "text", "ko": "특이사항"},
    {"key": "photo", "type": "photo", "ko": "사진"},
]


def make_template(
    session: Session,
    *,
    items: list[dict[str, object]] | None = None,
    law: str = "체육시설법",
    rrule: str = "FREQ=DAILY;BYHOUR=9",
) -> InspectionTemplate:
    template = InspectionTemplate(
        code=f"tpl-{next(_seq)}",
        name_ko="수질검사",
        name_en="Water test",
        law=law,
        rrule=rrule,
        items=normalise_items(items or POOL_ITEMS),  # type: ignore[arg-type]
    )
    session.add(template)
    session.commit()
    return template


def make_asset(
    session: Session,
    *,
    room: Room | None = None,
    kind: AssetKind = AssetKind.pump,
    parent: Asset | None = None,
) -> Asset:
    room = room or make_room(session)
    n = next(_seq)
    asset = Asset(
        code=f"AS-{n}",
        serial=f"SN-{n:06d}",
        name_ko="펌프",
        kind=kind.value,
        building_id=room.building_id,
        room_id=room.id,
        parent_id=parent.id if parent else None,
    )
    session.add(asset)
    session.commit()
    return asset


def make_plan(
    session: Session,
    *,
    template: InspectionTemplate | None = None,
    room: Room | None = None,
    rrule: str = "FREQ=DAILY;BYHOUR=9",
    kind: PlanKind = PlanKind.fixed,
    starts_at: datetime = datetime(2026, 3, 1, tzinfo=UTC),
    lead_days: int = 0,
    threshold_hours: float | None = None,
) -> MaintenancePlan:
    template = template or make_template(session)
    room = room or make_room(session)
    plan = plans.create_plan(
        session,
        None,
        name=f"plan {next(_seq)}",
        kind=kind,
        template_id=template.id,
        rrule=rrule,
        starts_at=starts_at,
        room_id=room.id,
        lead_days=lead_days,
        threshold_hours=threshold_hours,
    )
    session.commit()
    return plan


def make_inspection(
    session: Session, *, plan: MaintenancePlan | None = None, due_at: datetime | None = None
) -> Inspection:
    plan = plan or make_plan(session)
    due_at = due_at or datetime(2026, 3, 2, tzinfo=UTC)
    inspection = Inspection(
        plan_id=plan.id,
        template_id=plan.template_id,
        room_id=plan.room_id,  # type: ignore[arg-type]
        building_id=plan.building_id,
        due_at=due_at,
        visible_from=due_at,
    )
    session.add(inspection)
    session.commit()
    return inspection


def make_part(session: Session, *, on_hand: int = 5, min_level: int = 2) -> Part:
    part = Part(code=f"P-{next(_seq)}", name_ko="필터", on_hand=on_hand, min_level=min_level)
    session.add(part)
    session.commit()
    return part


def passing_answers() -> dict[str, object]:
    return {"posted": "pass", "ph": 7.2, "remarks": "이상 없음", "photo": [PNG_DATA_URL]}


def new_submission_id() -> str:
    return uuid.uuid4().hex
