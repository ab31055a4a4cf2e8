"""Tables of the maintenance domain: assets, stock, reports, plans, inspections, work orders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, String, Text, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow
from facility.core.i18n import gettext as _
from facility.maintenance.exceptions import EvidenceLocked
from facility.maintenance.kinds import OPEN_STATUSES


class Asset(SQLModel, table=True):
    __tablename__ = "mnt_asset"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True, index=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: str = Field(sa_type=String(40), index=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="mnt_asset.id", index=True)
    make: str = Field(default="", max_length=100)
    model: str = Field(default="", max_length=100)
    serial: str = Field(default="", max_length=100)
    installed_on: date | None = Field(default=None)
    warranty_until: date | None = Field(default=None)
    active: bool = Field(default=True)
    notes: str = Field(default="", max_length=2000)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class StaffProfile(SQLModel, table=True):
    """A staff member's trade and the buildings they look after (crews see these first)."""

    __tablename__ = "mnt_staff_profile"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    trade: str = Field(default="", max_length=40)
    building_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Part(SQLModel, table=True):
    """A stocked spare part; at or below `min_level` it shows a low-stock warning."""

    __tablename__ = "mnt_part"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    unit: str = Field(default="ea", max_length=20)
    on_hand: int = Field(default=0)
    min_level: int = Field(default=0, ge=0)


class ProblemReport(SQLModel, table=True):
    """A problem reported by anyone on site through an asset's QR page, waiting for triage."""

    __tablename__ = "mnt_problem_report"

    id: int | None = Field(default=None, primary_key=True)
    asset_id: int = Field(foreign_key="mnt_asset.id", index=True)
    description: str = Field(max_length=1000)
    reporter: str = Field(default="", max_length=100)
    contact: str = Field(default="", max_length=100)
    source_key: str = Field(max_length=64, index=True)  # hashed address, for rate limiting
    status: str = Field(default="new", sa_type=String(20), index=True)
    work_order_id: int | None = Field(default=None, foreign_key="mnt_work_order.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)


class InspectionTemplate(SQLModel, table=True):
    __tablename__ = "mnt_template"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    law: str = Field(max_length=100, index=True)
    legal_basis: str = Field(default="", max_length=300)
    cadence: str = Field(default="", max_length=300)
    rrule: str = Field(default="", max_length=200)
    verify_regulation: bool = Field(default=False)
    # Research notes for whoever reviews the template (secondary sources); never shown as its basis.
    source: str = Field(default="", max_length=300)
    # The article it cites and the law's text on law.go.kr; `reviewed` once checked against that text.
    article: str = Field(default="", max_length=200)
    source_url: str = Field(default="", max_length=300)
    reviewed: bool = Field(default=False)
    statutory: bool = Field(default=True)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The statutory duty the inspection starts (steps with their clocks); {} for none.
    duty: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The current version; each change of wording or items adds a `mnt_template_version` row.
    version: int = Field(default=1, ge=1)
    # Changed by someone on site: seeding the shipped content leaves it alone from then on.
    customised: bool = Field(default=False)


class InspectionTemplateVersion(SQLModel, table=True):
    """One version of a template's checklist: occurrences and evidence point at the one they used."""

    __tablename__ = "mnt_template_version"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="mnt_template.id", index=True)
    version: int = Field(ge=1)
    name_ko: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    legal_basis: str = Field(default="", max_length=300)
    cadence: str = Field(default="", max_length=300)
    article: str = Field(default="", max_length=200)
    source_url: str = Field(default="", max_length=300)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    duty: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class MaintenancePlan(SQLModel, table=True):
    __tablename__ = "mnt_plan"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(sa_type=String(20), index=True)
    template_id: int | None = Field(default=None, foreign_key="mnt_template.id", index=True)
    building_id: int | None = Field(default=None, foreign_key="building.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    asset_id: int | None = Field(default=None, foreign_key="mnt_asset.id", index=True)
    rrule: str = Field(default="", max_length=200)
    starts_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    lead_days: int = Field(default=0, ge=0)
    threshold_hours: float | None = Field(default=None)
    meter_metric: str = Field(default="", max_length=60)
    alert_rule: str = Field(default="", max_length=100)
    priority: str = Field(default="normal", sa_type=String(20))
    active: bool = Field(default=True, index=True)
    # The due time of the last occurrence created: the scheduler's per-plan cursor.
    generated_until: datetime | None = utc_field(default=None, nullable=True)
    # Usage plans count hours since this moment (the last completion, or the plan's start).
    usage_since: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class Inspection(SQLModel, table=True):
    """One occurrence of a plan: due at a time, done once, verified by a manager."""

    __tablename__ = "mnt_inspection"
    __table_args__ = (UniqueConstraint("plan_id", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="mnt_plan.id", index=True)
    template_id: int = Field(foreign_key="mnt_template.id", index=True)
    # The template's version when the occurrence was created: its checklist is that version's.
    template_version: int = Field(default=1)
    building_id: int | None = Field(default=None, foreign_key="building.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    asset_id: int | None = Field(default=None, foreign_key="mnt_asset.id", index=True)
    due_at: datetime = utc_field(nullable=False, index=True)
    visible_from: datetime = utc_field(nullable=False, index=True)
    status: str = Field(default="open", sa_type=String(20), index=True)
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    completed_at: datetime | None = utc_field(default=None, nullable=True)
    completed_by: int | None = Field(default=None, foreign_key="user_account.id")
    result: str = Field(default="", max_length=10)
    verified_at: datetime | None = utc_field(default=None, nullable=True)
    verified_by: int | None = Field(default=None, foreign_key="user_account.id")
    escalated_at: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class Submission(SQLModel, table=True):
    """Evidence of a completed checklist; never edited, a correction is a new row."""

    __tablename__ = "mnt_submission"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: str = Field(max_length=64, unique=True)
    inspection_id: int = Field(foreign_key="mnt_inspection.id", index=True)
    corrects_id: int | None = Field(default=None, foreign_key="mnt_submission.id")
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    items: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    template_version: int = Field(default=1)
    failed_items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    work_order_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    result: str = Field(max_length=10)
    signature_photo_id: int | None = Field(default=None, foreign_key="mnt_photo.id")
    signed_by: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=1000)
    # What an item's template asked for beside its answer: {key: {"note": str, "photos": [photo ids]}}.
    item_extras: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    submitted_by: int | None = Field(default=None, foreign_key="user_account.id")
    submitted_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    # When the crew filled it in (offline submissions arrive later than that).
    filled_at: datetime | None = utc_field(default=None, nullable=True)


# Evidence is append-only wherever a Submission is loaded, so the guard lives with the table.
@event.listens_for(Submission, "before_update")
@event.listens_for(Submission, "before_delete")
def _evidence_is_append_only(*_args: Any) -> None:
    raise EvidenceLocked(_("Checklist evidence cannot be changed; submit a correction instead."))


class Photo(SQLModel, table=True):
    """A photo or signature image; kept in the database so evidence travels with its backup."""

    __tablename__ = "mnt_photo"

    id: int | None = Field(default=None, primary_key=True)
    content_type: str = Field(max_length=40)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    work_order_id: int | None = Field(default=None, foreign_key="mnt_work_order.id", index=True)
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


OPEN_SOURCED = text(f"source_key <> '' AND status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})")


class WorkOrder(SQLModel, table=True):
    __tablename__ = "mnt_work_order"
    __table_args__ = (
        # One open work order per source (an alert's rule and room, a failed checklist item, a
        # report): the database holds it, so racing jobs and staff cannot open a second one.
        Index(
            "uq_mnt_work_order_open_source",
            "source_key",
            unique=True,
            postgresql_where=OPEN_SOURCED,
            sqlite_where=OPEN_SOURCED,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="open", sa_type=String(20), index=True)
    priority: str = Field(default="normal", sa_type=String(20), index=True)
    due_at: datetime | None = utc_field(default=None, nullable=True, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    asset_id: int | None = Field(default=None, foreign_key="mnt_asset.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    source: str = Field(default="manual", sa_type=String(20))
    # Deduplicates generated work: "inspection:12:item", "alert:co2_high:room:5", "plan:3:..."
    source_key: str = Field(default="", max_length=120, index=True)
    inspection_id: int | None = Field(default=None, foreign_key="mnt_inspection.id", index=True)
    needs_room: bool = Field(default=False)
    block_starts_at: datetime | None = utc_field(default=None, nullable=True)
    block_ends_at: datetime | None = utc_field(default=None, nullable=True)
    block_id: int | None = Field(default=None)  # booking's block; no FK across in-flight domains
    minutes_spent: int = Field(default=0, ge=0)
    # The sensor alert it was opened for (sensors never reads this table; maintenance shows the link).
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    # The craft it needs; with the building it picks the default assignee (`mnt_assignment_rule`).
    trade: str = Field(default="", max_length=40)
    # Completing asks for a note, the time spent and a signature or typed name; parts when asked.
    needs_parts: bool = Field(default=False)
    # The photo row points back here (`mnt_photo.work_order_id`); no FK this way, or the two tables cycle.
    signature_photo_id: int | None = Field(default=None)
    signed_by: str = Field(default="", max_length=100)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)
    updated_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    done_at: datetime | None = utc_field(default=None, nullable=True)
    verified_at: datetime | None = utc_field(default=None, nullable=True)
    escalated_at: datetime | None = utc_field(default=None, nullable=True)


class WorkOrderComment(SQLModel, table=True):
    __tablename__ = "mnt_comment"

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="mnt_work_order.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="user_account.id")
    body: str = Field(max_length=2000)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class PartUsage(SQLModel, table=True):
    __tablename__ = "mnt_part_usage"

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="mnt_work_order.id", index=True)
    part_id: int = Field(foreign_key="mnt_part.id", index=True)
    quantity: int = Field(ge=1)
    used_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class AssignmentRule(SQLModel, table=True):
    """Who gets a building's work of one trade by default (an empty trade: any other trade)."""

    __tablename__ = "mnt_assignment_rule"
    __table_args__ = (UniqueConstraint("building_id", "trade"),)

    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    trade: str = Field(default="", max_length=40)
    assignee_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class WorkTimer(SQLModel, table=True):
    """A running timer: who started work on which order, when (one per person per order; stopping
    deletes the row and adds the minutes to the order's `minutes_spent`)."""

    __tablename__ = "mnt_work_timer"
    __table_args__ = (UniqueConstraint("work_order_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="mnt_work_order.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    started_at: datetime = utc_field(nullable=False)
