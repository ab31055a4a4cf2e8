"""API shapes of the maintenance domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from facility.core.params import MAX_ID
from facility.maintenance.kinds import AssetKind, PlanKind, Priority, WorkOrderStatus

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class AssetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name_ko: str
    name_en: str
    kind: str
    building_id: int
    room_id: int | None
    parent_id: int | None
    make: str
    model: str
    serial: str
    installed_on: date | None
    active: bool
    warranty_until: date | None = None


class AssetList(BaseModel):
    items: list[AssetPublic]
    total: int


class WorkOrderCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    priority: Priority = Priority.normal
    due_at: AwareDatetime | None = None
    asset_id: RowId | None = None
    room_id: RowId | None = None
    assignee_id: RowId | None = None
    needs_room: bool = False
    block_starts_at: AwareDatetime | None = None
    block_ends_at: AwareDatetime | None = None
    trade: str = Field(default="", max_length=40)
    needs_parts: bool = False


class WorkOrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    status: str
    priority: str
    due_at: datetime | None
    assignee_id: int | None
    asset_id: int | None
    room_id: int | None
    source: str
    inspection_id: int | None
    needs_room: bool
    block_id: int | None
    minutes_spent: int
    alert_id: int | None = None
    trade: str = ""
    needs_parts: bool = False
    signed_by: str = ""
    created_at: datetime
    done_at: datetime | None
    verified_at: datetime | None
    escalated_at: datetime | None
    overdue: bool = False


class WorkOrderList(BaseModel):
    items: list[WorkOrderPublic]
    total: int


class TransitionRequest(BaseModel):
    to: WorkOrderStatus
    assignee_id: RowId | None = None
    note: str = Field(default="", max_length=2000)
    minutes_spent: int | None = Field(default=None, ge=0, le=100_000)
    signature: str | None = Field(default=None, description="data:image/png;base64,... (done)")
    confirm_name: str = Field(default="", max_length=100, description="your name typed instead of a signature")


class WorkOrderAssign(BaseModel):
    assignee_id: RowId


class AssignmentRuleSet(BaseModel):
    building_id: RowId
    trade: str = Field(default="", max_length=40, description="empty: every trade without its own rule")
    assignee_id: RowId


class AssignmentRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    building_id: int
    trade: str
    assignee_id: int


class InspectionPublic(BaseModel):
    id: int
    plan_id: int
    template_id: int
    template_code: str
    template_name: str
    law: str
    building_id: int | None
    room_id: int | None
    asset_id: int | None
    due_at: datetime
    status: str
    overdue: bool
    completed_at: datetime | None
    result: str
    verified_at: datetime | None


class InspectionList(BaseModel):
    items: list[InspectionPublic]
    total: int


class SubmissionCreate(BaseModel):
    submission_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    answers: dict[str, Any] = Field(default_factory=dict)
    signature: str | None = Field(default=None, description="data:image/png;base64,... of the signature")
    signed_by: str = Field(default="", max_length=100)
    confirm_name: str = Field(default="", max_length=100, description="your name typed instead of a signature")
    note: str = Field(default="", max_length=1000)
    filled_at: AwareDatetime | None = None
    item_notes: dict[str, str] = Field(default_factory=dict, description="notes on items that ask for one")
    item_photos: dict[str, list[str]] = Field(
        default_factory=dict, description="data:image/... photos on items that ask for one"
    )


class SubmissionResult(BaseModel):
    id: int
    submission_id: str
    inspection_id: int
    result: str
    failed_items: list[str]
    corrective_work_orders: list[int]
    submitted_at: datetime
    correction: bool


class ChecklistItem(BaseModel):
    key: str = Field(min_length=1, max_length=60)
    type: str = Field(default="check", pattern="^(check|number|text|photo|time)$")
    ko: str = Field(default="", max_length=300)
    en: str = Field(default="", max_length=300)
    unit: str = Field(default="", max_length=20)
    min: float | None = None
    max: float | None = None
    required: bool | None = None
    note: str = Field(default="never", pattern="^(never|on_fail|always)$", description="ask for a note")
    photo: str = Field(default="never", pattern="^(never|on_fail|always)$", description="ask for a photo")


class TemplatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_ko: str
    name_en: str
    law: str
    legal_basis: str
    article: str
    source_url: str
    reviewed: bool
    cadence: str
    rrule: str
    statutory: bool
    verify_regulation: bool
    version: int
    customised: bool
    items: list[dict[str, Any]]
    duty: dict[str, Any]


class TemplateUpdate(BaseModel):
    """Fields a manager may change; wording or items start a new version."""

    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    legal_basis: str | None = Field(default=None, max_length=300)
    article: str | None = Field(default=None, max_length=200)
    source_url: str | None = Field(default=None, max_length=300, pattern=r"^(https://www\.law\.go\.kr/.*)?$")
    # A manager who checked the cadence and clocks against the law's text marks it reviewed.
    reviewed: bool | None = None
    cadence: str | None = Field(default=None, max_length=300)
    rrule: str | None = Field(default=None, max_length=200)
    items: list[ChecklistItem] | None = Field(default=None, min_length=1, max_length=100)


class TemplateCreate(BaseModel):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    law: str = Field(default="", max_length=100)
    legal_basis: str = Field(default="", max_length=300)
    article: str = Field(default="", max_length=200)
    source_url: str = Field(default="", max_length=300, pattern=r"^(https://www\.law\.go\.kr/.*)?$")
    cadence: str = Field(default="", max_length=300)
    rrule: str = Field(default="", max_length=200)
    statutory: bool = False
    items: list[ChecklistItem] = Field(min_length=1, max_length=100)


class AssetCreate(BaseModel):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: AssetKind
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    building_id: RowId
    room_id: RowId | None = None
    parent_id: RowId | None = None
    make: str = Field(default="", max_length=100)
    model: str = Field(default="", max_length=100)
    serial: str = Field(default="", max_length=100)
    installed_on: date | None = None
    warranty_until: date | None = None
    notes: str = Field(default="", max_length=2000)


class AssetUpdate(BaseModel):
    """Fields of an asset a manager may change; all optional."""

    name_ko: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    room_id: RowId | None = None
    parent_id: RowId | None = None
    make: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    serial: str | None = Field(default=None, max_length=100)
    installed_on: date | None = None
    warranty_until: date | None = None
    active: bool | None = None
    notes: str | None = Field(default=None, max_length=2000)


class PlanCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: PlanKind = PlanKind.fixed
    template: str | None = Field(default=None, max_length=60, description="template code")
    rrule: str = Field(default="", max_length=200, description="defaults to the template's")
    starts_at: AwareDatetime
    building_id: RowId | None = None
    room_id: RowId | None = None
    asset_id: RowId | None = None
    lead_days: int = Field(default=7, ge=0, le=365)
    threshold_hours: float | None = Field(default=None, gt=0, le=1_000_000)
    priority: Priority = Priority.normal


class PlanUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    rrule: str | None = Field(default=None, min_length=1, max_length=200)
    lead_days: int | None = Field(default=None, ge=0, le=365)
    threshold_hours: float | None = Field(default=None, gt=0, le=1_000_000)
    priority: Priority | None = None
    active: bool | None = None


class PlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    template_id: int | None
    building_id: int | None
    room_id: int | None
    asset_id: int | None
    rrule: str
    starts_at: datetime
    lead_days: int
    threshold_hours: float | None
    priority: str
    active: bool
