"""Inspection templates: the shipped statutory content, its versions, listing and edits.

A template's wording and checklist are versioned: every change writes a `mnt_template_version`
row and bumps `version`. Occurrences remember the version they were created under and a
submission keeps the items it was done against, so evidence never changes under its feet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import Conflict
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.maintenance.exceptions import TemplateNotFound
from facility.maintenance.kinds import AskWhen, ItemType
from facility.maintenance.models import InspectionTemplate, InspectionTemplateVersion

TEMPLATES_FILE = Path(__file__).with_name("data") / "templates.yaml"
# The fields a version freezes; a change to any of them is a new version.
VERSIONED_FIELDS = ("name_ko", "name_en", "legal_basis", "cadence", "article", "source_url", "items", "duty")
CITATION_KEYS = ("law", "article", "source_url", "reviewed")


def normalise_items(items: list[dict[str, Any]], cites: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Checklist items with every key present, so pages and validation need no defaults; each
    cites its own law and article, or its template's (`cites`)."""
    cites = cites or {}
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
                "note": AskWhen(item.get("note") or "never").value,
                "photo": AskWhen(item.get("photo") or "never").value,
                "law": item.get("law", cites.get("law", "")),
                "article": item.get("article", cites.get("article", "")),
                "source_url": item.get("url", item.get("source_url", cites.get("source_url", ""))),
                "reviewed": bool(item.get("reviewed", cites.get("reviewed", False))),
            }
        )
    return result


def normalise_duty(spec: dict[str, Any] | None, cites: dict[str, Any]) -> dict[str, Any]:
    """A duty definition with every key present; {} when the template starts no duty."""
    if not spec:
        return {}
    steps = []
    for order, step in enumerate(spec["steps"]):
        steps.append(
            {
                "key": str(step["key"]),
                "order": order,
                "ko": step["ko"],
                "en": step.get("en", step["ko"]),
                "days": int(step.get("days", 0)),
                "hold_days": int(step.get("hold_days", 0)),
                "years": int(step.get("years", 0)),
                "owner": step.get("owner", "manager"),
                "when": step.get("when", "always"),
                "evidence": "" if step.get("years") else step.get("evidence", "any"),
            }
        )
    return {
        "code": spec["code"],
        "ko": spec["ko"],
        "en": spec.get("en", spec["ko"]),
        "law": spec.get("law", cites["law"]),
        "article": spec.get("article", cites.get("article", "")),
        "source_url": spec.get("url", cites.get("source_url", "")),
        "reviewed": bool(spec.get("reviewed", False)),
        "steps": steps,
    }


def shipped_values(spec: dict[str, Any]) -> dict[str, Any]:
    cites = {
        "law": spec["law"],
        "article": spec.get("article", ""),
        "source_url": spec.get("url", ""),
        "reviewed": bool(spec.get("reviewed", False)),
    }
    return {
        **cites,
        "name_ko": spec["ko"],
        "name_en": spec.get("en", ""),
        "legal_basis": spec.get("basis", ""),
        "cadence": spec.get("cadence", ""),
        "rrule": spec.get("rrule", ""),
        "verify_regulation": bool(spec.get("verify", False)),
        "statutory": bool(spec.get("statutory", True)),
        "source": spec.get("research", ""),
        "items": normalise_items(spec["items"], cites),
        "duty": normalise_duty(spec.get("duty"), cites),
    }


def _write_version(session: Session, template: InspectionTemplate) -> None:
    session.add(
        InspectionTemplateVersion(
            template_id=template.id,  # type: ignore[arg-type]
            version=template.version,
            **{field: getattr(template, field) for field in VERSIONED_FIELDS},
        )
    )


def apply_changes(session: Session, template: InspectionTemplate, values: dict[str, Any]) -> bool:
    """Set the values; a change to a versioned field starts a new version. Returns whether it did."""
    is_new = template.id is None
    bump = not is_new and any(
        field in values and values[field] != getattr(template, field) for field in VERSIONED_FIELDS
    )
    for field, value in values.items():
        setattr(template, field, value)
    if bump:
        template.version += 1
    session.add(template)
    session.flush()
    if is_new or bump:
        _write_version(session, template)
        session.flush()
    return is_new or bump


def load_content(path: Path = TEMPLATES_FILE) -> dict[str, Any]:
    """The shipped templates and the yearly calendar deadlines, as written in the YAML file."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def seed_templates(session: Session, path: Path = TEMPLATES_FILE) -> dict[str, InspectionTemplate]:
    """Create the shipped templates, or move them to the shipped content unless edited on site."""
    data = load_content(path)
    found: dict[str, InspectionTemplate] = {}
    for spec in data["templates"]:
        row = template_by_code(session, spec["code"])
        if row is None:
            row = InspectionTemplate(code=spec["code"], name_ko="", law="")
        if not row.customised:
            apply_changes(session, row, shipped_values(spec))
        found[row.code] = row
    return found


# The demo and the benchmark load the same content the seeding step does.
load_templates = seed_templates


def list_templates(session: Session) -> list[InspectionTemplate]:
    return list(session.exec(select(InspectionTemplate).order_by(InspectionTemplate.law, InspectionTemplate.code)))


def template_by_code(session: Session, code: str) -> InspectionTemplate | None:
    return session.exec(select(InspectionTemplate).where(InspectionTemplate.code == code)).first()


def get_template(session: Session, code: str) -> InspectionTemplate:
    template = template_by_code(session, code)
    if template is None:
        raise TemplateNotFound(_("No inspection template has the code {code}.", code=code))
    return template


def template_versions(session: Session, template_id: int) -> list[InspectionTemplateVersion]:
    return list(
        session.exec(
            select(InspectionTemplateVersion)
            .where(InspectionTemplateVersion.template_id == template_id)
            .order_by(col(InspectionTemplateVersion.version))
        )
    )


def items_of_version(session: Session, template: InspectionTemplate, version: int) -> list[dict[str, Any]]:
    """The checklist of one version of a template (the current items if that version is unknown)."""
    row = session.exec(
        select(InspectionTemplateVersion)
        .where(InspectionTemplateVersion.template_id == template.id)
        .where(InspectionTemplateVersion.version == version)
    ).first()
    return row.items if row is not None else template.items


def _cites(values: dict[str, Any]) -> dict[str, Any]:
    return {key: values.get(key, "") for key in CITATION_KEYS}


def create_template(session: Session, actor: User, values: dict[str, Any]) -> InspectionTemplate:
    """A template of the campus's own (a manager's); its code must be new."""
    ensure_role(actor, *MANAGING_ROLES)
    if template_by_code(session, values["code"]) is not None:
        raise Conflict(_("An inspection template with the code {code} already exists.", code=values["code"]))
    values = {**values, "items": normalise_items(values["items"], _cites(values))}
    template = InspectionTemplate(customised=True, **{k: v for k, v in values.items() if k != "items"})
    template.items = values["items"]
    apply_changes(session, template, {})
    audit.record(session, actor, "template.create", "inspection_template", template.id, after=template)
    return template


def update_template(session: Session, actor: User, code: str, changes: dict[str, Any]) -> InspectionTemplate:
    """Edit a template; new occurrences use the new version, done ones keep theirs."""
    ensure_role(actor, *MANAGING_ROLES)
    template = get_template(session, code)
    before = audit.snapshot(template)
    if "items" in changes:
        changes = {
            **changes,
            "items": normalise_items(changes["items"], _cites({**audit.snapshot(template), **changes})),
        }
    apply_changes(session, template, changes)
    template.customised = True
    session.add(template)
    session.flush()
    audit.record(session, actor, "template.update", "inspection_template", template.id, before=before, after=template)
    return template
