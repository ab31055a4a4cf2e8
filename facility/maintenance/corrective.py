"""Corrective work from a failed checklist item, carrying its evidence: where (room or asset), what
(the item's label), the measured value against its limit, the inspector's note and photos, and a
link back to the inspection. The work order's audit entry names the inspector who failed it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from facility.core.db import utcnow
from facility.core.models import User
from facility.maintenance import sources
from facility.maintenance.kinds import ItemType, Priority, WorkOrderSource
from facility.maintenance.models import Asset, Inspection, InspectionTemplate, Photo
from facility.maintenance.schemas import WorkOrderCreate

CORRECTIVE_DUE = timedelta(days=7)
# A building-wide inspection names no asset; its work goes to the building's equipment of the
# kind the template inspects (the first by code), so the crew knows where to go.
ASSET_KINDS_BY_TEMPLATE = {
    "fire": ("fire_panel", "sprinkler", "extinguisher"),
    "lift": ("lift",),
    "elec": ("electrical_panel", "generator"),
    "mech": ("boiler", "chiller", "hvac", "pump"),
    "pool": ("pool_filter", "pool_pump"),
    "iaq": ("iaq_meter", "hvac"),
}


def _number(value: float) -> str:
    return f"{value:g}"


def measured_text(item: dict[str, Any], value: Any) -> str:
    """ "0.6 MΩ (기준: 최소 1 MΩ)" for a number, "부적합" for a check."""
    if item["type"] != ItemType.number.value or value in (None, "na"):
        return "부적합 (fail)"
    unit = f" {item['unit']}" if item.get("unit") else ""
    limits = []
    if item.get("min") is not None:
        limits.append(f"최소 {_number(item['min'])}{unit}")
    if item.get("max") is not None:
        limits.append(f"최대 {_number(item['max'])}{unit}")
    return f"측정값 {_number(float(value))}{unit} (기준: {', '.join(limits)})"


def _asset_for(session: Session, inspection: Inspection, template: InspectionTemplate) -> int | None:
    if inspection.asset_id or inspection.room_id or inspection.building_id is None:
        return inspection.asset_id
    kinds = ASSET_KINDS_BY_TEMPLATE.get(template.code.split("-")[0], ())
    for kind in kinds:
        asset = session.exec(
            select(Asset)
            .where(Asset.building_id == inspection.building_id, Asset.kind == kind, col(Asset.active).is_(True))
            .order_by(col(Asset.code))
        ).first()
        if asset is not None:
            return asset.id
    return None


def _photo_ids(items: list[dict[str, Any]], answers: dict[str, Any]) -> list[int]:
    return [pid for item in items if item["type"] == ItemType.photo.value for pid in answers.get(item["key"], [])]


def description(
    template: InspectionTemplate,
    inspection: Inspection,
    item: dict[str, Any],
    value: Any,
    inspector: User,
    note: str,
    photo_ids: list[int],
) -> str:
    lines = [
        f"{template.name_ko} 점검에서 부적합 판정된 항목: {item['ko']}",
        measured_text(item, value),
        f"근거: {item.get('law') or template.law} {item.get('article') or template.article}".rstrip(),
        f"점검자: {inspector.full_name or inspector.email}",
    ]
    if note.strip():
        lines.append(f"점검자 메모: {note.strip()}")
    lines += [f"사진: /maintenance/photos/{pid}" for pid in photo_ids]
    lines.append(f"점검: /maintenance/inspections/{inspection.id}/checklist")
    return "\n".join(lines)


def open_for_failed_items(
    session: Session,
    inspector: User,
    inspection: Inspection,
    template: InspectionTemplate,
    items: list[dict[str, Any]],
    answers: dict[str, Any],
    failed: list[str],
    *,
    note: str = "",
    extras: dict[str, dict[str, Any]] | None = None,
) -> list[int]:
    """One corrective work order per failed item, unless one is already open for it; it carries the
    item's own note and photos (`extras`) before the checklist's."""
    by_key = {item["key"]: item for item in items}
    photos = _photo_ids(items, answers)
    asset_id = _asset_for(session, inspection, template)
    created: list[int] = []
    for key in failed:
        item = by_key[key]
        own = (extras or {}).get(key, {})
        item_note = "\n".join(text for text in (own.get("note", ""), note.strip()) if text)
        item_photos = [*own.get("photos", []), *photos]
        order, new = sources.open_once(
            session,
            inspector,
            WorkOrderCreate(
                title=f"[시정] {template.name_ko}: {item['ko']}"[:200],
                description=description(
                    template, inspection, item, answers.get(key), inspector, item_note, item_photos
                ),
                priority=Priority.high,
                due_at=utcnow() + CORRECTIVE_DUE,
                asset_id=asset_id,
                room_id=inspection.room_id,
            ),
            source=WorkOrderSource.inspection,
            source_key=f"inspection:{inspection.id}:{key}",
            inspection_id=inspection.id,
        )
        if new:
            order.created_by = inspector.id
            _attach_photos(session, item_photos, order.id)  # type: ignore[arg-type]
        created.append(order.id)  # type: ignore[arg-type]
    return created


def _attach_photos(session: Session, photo_ids: list[int], order_id: int) -> None:
    """The inspector's photos show on the work order too (the first work order of the submission)."""
    for photo in session.exec(select(Photo).where(col(Photo.id).in_(photo_ids), col(Photo.work_order_id).is_(None))):
        photo.work_order_id = order_id
        session.add(photo)
    session.flush()
