"""Inspection templates: loaded from data/templates.yaml, listed, their items normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, select

from facility.maintenance.kinds import ItemType
from facility.maintenance.models import InspectionTemplate

TEMPLATES_FILE = Path(__file__).with_name("data") / "templates.yaml"


def normalise_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Checklist items with every key present, so pages and validation need no defaults."""
    result = []
    for item in items:
        kind = ItemType(item.get("type", "check"))
        result.append(
            {
                "key": str(item["key"]),
                "type": kind.value,
                "ko": item.get("ko", item["key"]),
                "en": item.get("en", item.get("ko", item["key"])),
                "unit": item.get("unit", ""),
                "min": item.get("min"),
                "max": item.get("max"),
                "required": item.get("required", kind != ItemType.photo and kind != ItemType.text),
            }
        )
    return result


def load_templates(session: Session, path: Path = TEMPLATES_FILE) -> dict[str, InspectionTemplate]:
    """Create or update the templates of the file; returns them by code."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, InspectionTemplate] = {}
    for spec in data["templates"]:
        row = session.exec(
            select(InspectionTemplate).where(InspectionTemplate.code == spec["code"])
        ).first() or InspectionTemplate(code=spec["code"], name_ko="", law="")
        row.name_ko = spec["ko"]
        row.name_en = spec.get("en", "")
        row.law = spec["law"]
        row.legal_basis = spec.get("basis", "")
        row.cadence = spec.get("cadence", "")
        row.rrule = spec.get("rrule", "")
        row.verify_regulation = bool(spec.get("verify", False))
        row.statutory = bool(spec.get("statutory", True))
        row.source = spec.get("source", "")
        row.items = normalise_items(spec["items"])
        session.add(row)
        found[row.code] = row
    session.flush()
    return found


def list_templates(session: Session) -> list[InspectionTemplate]:
    return list(session.exec(select(InspectionTemplate).order_by(InspectionTemplate.law, InspectionTemplate.code)))


def template_by_code(session: Session, code: str) -> InspectionTemplate | None:
    return session.exec(select(InspectionTemplate).where(InspectionTemplate.code == code)).first()
